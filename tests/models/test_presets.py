import json
import os

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.models.preset_loading import PresetError
from keras_electra.models.presets import PRESETS
from keras_electra.models.presets import resolve_preset
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs


@pytest.fixture
def preset(tmp_path):
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    path = str(tmp_path / "tiny")
    backbone.save_to_preset(path)
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    ElectraTextClassifierPreprocessor(tokenizer, sequence_length=16).save_to_preset(path)
    return path, backbone


def test_round_trip_is_exact(preset):
    path, backbone = preset
    restored = ElectraBackbone.from_preset(path)
    assert restored.get_config() == backbone.get_config()
    for a, b in zip(backbone.weights, restored.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    inputs = tiny_inputs()
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(backbone(inputs)["sequence_output"]),
        keras.ops.convert_to_numpy(restored(inputs)["sequence_output"]),
    )


def test_tokenizer_and_preprocessor_round_trip(preset):
    path, _ = preset
    tokenizer = ElectraTokenizer.from_preset(path)
    assert tokenizer.get_vocabulary() == VOCAB and tokenizer.lowercase
    preprocessor = ElectraTextClassifierPreprocessor.from_preset(path)
    assert preprocessor.sequence_length == 16 and preprocessor.truncate == "longest_first"
    out = preprocessor("The quick fox.")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out["token_ids"])[:6], [2, 5, 6, 8, 13, 3])


def test_registry_lists_the_six_public_checkpoints():
    assert len(PRESETS) == 6
    for size in ("small", "base", "large"):
        for role in ("discriminator", "generator"):
            name = f"electra_{size}_{role}_en"
            assert PRESETS[name]["handle"] == f"hf://google/electra-{size}-{role}"
            assert PRESETS[name]["params"] > 0
    assert resolve_preset("electra_small_discriminator_en") == "hf://google/electra-small-discriminator"
    assert resolve_preset("/some/dir") == "/some/dir"


def test_named_preset_offline_gives_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PresetError, match="electra_small_discriminator_en.*network"):
        ElectraBackbone.from_preset("electra_small_discriminator_en")


def test_unknown_preset(tmp_path):
    with pytest.raises(PresetError, match="neither a registered name"):
        ElectraBackbone.from_preset(str(tmp_path / "nope"))


def test_missing_config_names_file(preset):
    path, _ = preset
    os.remove(os.path.join(path, "config.json"))
    with pytest.raises(PresetError, match="config.json"):
        ElectraBackbone.from_preset(path)


def test_corrupt_config_names_file(preset):
    path, _ = preset
    with open(os.path.join(path, "config.json"), "w") as f:
        f.write("{not json")
    with pytest.raises(PresetError, match="config.json.*not valid JSON"):
        ElectraBackbone.from_preset(path)


def test_missing_weights_names_file(preset):
    path, _ = preset
    os.remove(os.path.join(path, "model.weights.h5"))
    with pytest.raises(PresetError, match="model.weights.h5"):
        ElectraBackbone.from_preset(path)


def test_corrupt_weights_names_file(preset):
    path, _ = preset
    weights = os.path.join(path, "model.weights.h5")
    with open(weights, "r+b") as f:
        f.truncate(os.path.getsize(weights) // 3)
    with pytest.raises(PresetError, match="model.weights.h5"):
        ElectraBackbone.from_preset(path)


def test_vocabulary_size_mismatch(preset):
    path, _ = preset
    vocab = os.path.join(path, "assets", "tokenizer", "vocabulary.txt")
    with open(vocab, "a", encoding="utf-8") as f:
        f.write("extra\n")
    with pytest.raises(PresetError, match="vocabulary.txt has 26 tokens.*vocabulary_size=25"):
        ElectraBackbone.from_preset(path)


def test_missing_vocabulary_names_file(preset):
    path, _ = preset
    os.remove(os.path.join(path, "assets", "tokenizer", "vocabulary.txt"))
    with pytest.raises((ValueError, FileNotFoundError), match="vocabulary.txt"):
        ElectraTokenizer.from_preset(path)


def test_config_without_registered_name(preset):
    path, _ = preset
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({"hello": 1}, f)
    with pytest.raises(PresetError, match="neither a Keras preset"):
        ElectraBackbone.from_preset(path)
