"""Checkpoint formats register with the preset loader; `models/` never imports `convert/`."""

import json

import pytest

import keras_electra
from keras_electra.errors import PresetError
from keras_electra.models import ElectraBackbone
from keras_electra.models import preset_loading
from keras_electra.models.preset_loading import PresetFormat
from tests.helpers import tiny_backbone_kwargs

TRANSFORMERS_CONFIG = {
    "model_type": "electra", "vocab_size": 40, "embedding_size": 8, "hidden_size": 16,
    "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
    "max_position_embeddings": 32,
}


@pytest.fixture
def formats(monkeypatch):
    """A private copy of the registry, restored after the test."""
    monkeypatch.setattr(preset_loading, "_PRESET_FORMATS", dict(preset_loading._PRESET_FORMATS))
    return preset_loading._PRESET_FORMATS


def _write_config(directory, config):
    (directory / "config.json").write_text(json.dumps(config))
    return str(directory)


def test_import_keras_electra_registers_transformers_and_keras_hub():
    assert keras_electra.convert.preset_formats.TRANSFORMERS.name == "transformers"
    assert set(preset_loading.registered_preset_formats()) >= {"transformers", "keras_hub"}
    assert preset_loading.find_preset_format({"model_type": "bert"}).name == "transformers"
    assert preset_loading.find_preset_format(
        {"module": "keras_hub.src.models.electra.electra_backbone"}
    ).name == "keras_hub"
    assert preset_loading.find_preset_format({"module": "keras_electra.models.backbone"}) is None


def test_an_unregistered_format_is_a_clear_error(tmp_path, formats):
    formats.clear()
    directory = _write_config(tmp_path, TRANSFORMERS_CONFIG)
    with pytest.raises(PresetError, match="no converted format is registered.*transformers"):
        ElectraBackbone.from_preset(directory)


def test_the_registered_format_checks_and_loads(tmp_path, formats):
    calls = []

    def load(directory, load_weights=True, **kwargs):
        calls.append((directory, load_weights, kwargs))
        return ElectraBackbone(**tiny_backbone_kwargs())

    def check(config, path):
        if config["toy"] != "ok":
            raise PresetError("toy is not ok", path=path, field="toy")

    preset_loading.register_preset_format(
        PresetFormat(name="toy", matches=lambda c: "toy" in c, check_config=check,
                     load_backbone=load)
    )
    directory = _write_config(tmp_path, {"toy": "ok"})
    backbone = ElectraBackbone.from_preset(directory, load_weights=False, dtype="float32")
    assert backbone.hidden_dim == 16
    assert calls == [(directory, False, {"dtype": "float32"})]
    _write_config(tmp_path, {"toy": "broken"})
    with pytest.raises(PresetError, match="field 'toy': toy is not ok"):
        ElectraBackbone.from_preset(directory)


def test_a_keras_preset_must_name_a_subclass_of_the_calling_class(tmp_path):
    config = {
        "module": "keras_electra.tasks.text_classifier", "class_name": "ElectraTextClassifier",
        "registered_name": "keras_electra>ElectraTextClassifier",
        "config": tiny_backbone_kwargs(),
    }
    directory = _write_config(tmp_path, config)
    with pytest.raises(PresetError, match="not a registered ElectraBackbone"):
        ElectraBackbone.from_preset(directory)
    with pytest.raises(PresetError, match="not a registered Backbone"):
        preset_loading.load_preset_config(directory)
