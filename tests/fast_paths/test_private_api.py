"""Every private Keras / keras-hub symbol we rely on exists in the installed versions."""

from keras_electra.fast_paths import private_api


def test_every_listed_private_symbol_exists():
    assert private_api.missing() == []


def test_missing_reports_a_symbol_that_is_gone(monkeypatch):
    monkeypatch.setitem(
        private_api.MODULE_SYMBOLS, "keras.src.backend", ("no_such_function_in_keras",)
    )
    monkeypatch.setattr(private_api, "DENSE_ATTRIBUTES", ("_no_such_attribute",))
    gone = private_api.missing()
    assert "keras.src.backend.no_such_function_in_keras" in gone
    assert "Dense._no_such_attribute" in gone
