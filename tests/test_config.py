"""The public switches: fast paths, noise routing and the attention implementation."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_electra
from keras_electra import config
from keras_electra.layers import ElectraEncoderLayer
from keras_electra.fast_paths.dropout import apply_dropout
from keras_electra.fast_paths import torch_foreach
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs


def layer_calls(model, inputs):
    """Names of the layers whose `__call__` ran while `model(inputs)` ran."""
    calls = []
    original = keras.layers.Layer.__call__

    def spy(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)

    keras.layers.Layer.__call__ = spy
    try:
        outputs = model(inputs)
    finally:
        keras.layers.Layer.__call__ = original
    return outputs, calls


def test_fast_paths_off_gives_keras_computation_and_same_numbers():
    backbone = keras_electra.ElectraBackbone(**tiny_backbone_kwargs())
    inputs = tiny_inputs()
    fast, fast_calls = layer_calls(backbone, inputs)
    with config.settings(fast_paths=False):
        assert not config.fast_paths_enabled()
        assert config.attention_implementation() == "keras"
        assert not torch_foreach.applies()
        keras_path, keras_calls = layer_calls(backbone, inputs)
    assert config.fast_paths_enabled()
    assert fast_calls == [backbone.name]  # the lean path calls sublayers' `call`
    assert len(keras_calls) > 10  # every layer through Keras' `__call__`
    for key in fast:
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(fast[key]),
            keras.ops.convert_to_numpy(keras_path[key]),
            atol=1e-5,
            rtol=1e-5,
        )


@pytest.mark.parametrize("implementation", config.ATTENTION_IMPLEMENTATIONS)
def test_attention_implementations_agree(implementation):
    layer = ElectraEncoderLayer(intermediate_dim=32, num_heads=2, dropout=0.1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 16)).astype("float32")
    padding_mask = np.array([[1] * 6, [1] * 3 + [0] * 3], "int32")
    reference = keras.ops.convert_to_numpy(layer(x, padding_mask=padding_mask))
    with config.settings(attention=implementation):
        assert config.attention_implementation() == implementation
        output = keras.ops.convert_to_numpy(layer(x, padding_mask=padding_mask))
    np.testing.assert_allclose(output, reference, atol=1e-5, rtol=1e-5)


def test_sdpa_with_attention_dropout_needs_torch_and_an_unseeded_layer():
    layer = ElectraEncoderLayer(intermediate_dim=32, num_heads=2, dropout=0.1)
    x = np.ones((2, 6, 16), "float32")
    with config.settings(attention="sdpa"):
        if keras.config.backend() == "torch":
            assert layer(x, training=True).shape == (2, 6, 16)
        else:
            with pytest.raises(ValueError, match="sdpa"):
                layer(x, training=True)


def test_unknown_attention_implementation_is_a_clear_error():
    with pytest.raises(keras_electra.errors.ElectraError, match="flash"):
        config.set_attention_implementation("flash")


def test_noise_routing_off_draws_keras_dropout_masks():
    x = np.ones((4, 32), "float32")
    layer = keras.layers.Dropout(0.5, seed=3)
    state = keras.ops.convert_to_numpy(layer.seed_generator.state)
    with config.settings(noise_routing=False):
        routed = keras.ops.convert_to_numpy(apply_dropout(layer, x, training=True))
    layer.seed_generator.state.assign(state)
    keras_mask = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_array_equal(routed, keras_mask)


def test_settings_restore_on_error():
    with pytest.raises(RuntimeError):
        with config.settings(fast_paths=False, attention="eager"):
            raise RuntimeError("boom")
    assert config.fast_paths_enabled()
    assert config.attention_implementation() == "auto"


def test_missing_private_api_switches_fast_paths_off_with_one_warning(monkeypatch):
    from keras_electra.fast_paths import private_api
    from keras_electra.fast_paths import switch

    monkeypatch.setattr(private_api, "MODULES_AVAILABLE", False)
    monkeypatch.setattr(private_api, "IMPORT_ERROR", "No module named 'keras.src.gone'")
    with pytest.warns(UserWarning, match="keras.src.gone"):
        assert switch._private_api_present() is False
    with pytest.raises(RuntimeError, match="keras.src.gone"):
        config.set_fast_paths(True)


def test_environment_variable_turns_fast_paths_off():
    code = "import keras_electra; print(keras_electra.config.fast_paths_enabled())"
    env = dict(os.environ, KERAS_ELECTRA_FAST_PATHS="0")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
