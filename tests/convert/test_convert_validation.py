"""Converters refuse broken inputs before anything is written, naming the file and field."""

import json
import os

import numpy as np
import pytest

from keras_electra.cli.main import main
from keras_electra.convert import keras_hub as kh
from keras_electra.convert import transformers as hf
from keras_electra.convert.export import export_to_transformers
from keras_electra.utils.safetensors_io import read_safetensors
from keras_electra.utils.safetensors_io import write_safetensors
from keras_electra.convert.weights import ConversionError
from keras_electra.errors import ElectraError
from keras_electra.models import ElectraBackbone
from tests.conftest import requires_tf
from tests.convert import convert_helpers as h
from tests.helpers import VOCAB


def electra_config(**overrides):
    config = dict(
        model_type="electra", architectures=["ElectraModel"], vocab_size=h.VOCAB_SIZE,
        embedding_size=h.EMBED, hidden_size=h.HIDDEN, num_hidden_layers=h.LAYERS,
        num_attention_heads=h.HEADS, intermediate_size=h.INTER,
        max_position_embeddings=h.MAX_LEN, type_vocab_size=2, hidden_act="gelu",
        hidden_dropout_prob=0.1, layer_norm_eps=1e-12, initializer_range=0.02,
    )
    config.update(overrides)
    return config


def write_config(directory, config):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f)
    return str(directory)


@pytest.fixture
def checkpoint(tmp_path):
    """A tiny transformers ElectraModel checkpoint (config.json + model.safetensors)."""
    backbone = ElectraBackbone(
        vocabulary_size=len(VOCAB), num_layers=h.LAYERS, num_heads=h.HEADS, hidden_dim=h.HIDDEN,
        intermediate_dim=h.INTER, embedding_dim=h.EMBED, max_sequence_length=h.MAX_LEN,
    )
    path = str(tmp_path / "hf")
    export_to_transformers(backbone, path)
    return path


def write_vocab(directory, tokens):
    with open(os.path.join(directory, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")


# --- transformers config.json ------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("hidden_size", "big", "positive integer; received 'big'"),
        ("num_hidden_layers", -1, "positive integer"),
        ("vocab_size", None, "positive integer"),
        ("layer_norm_eps", 0.0, "> 0"),
        ("hidden_dropout_prob", 1.5, r"\[0, 1\)"),
        ("type_vocab_size", "2", "positive integer"),
        ("num_attention_heads", 3, "divisible"),
    ],
)
def test_transformers_config_field_is_named(tmp_path, field, value, message):
    directory = write_config(tmp_path / "hf", electra_config(**{field: value}))
    with pytest.raises(ConversionError, match=rf"config.json: field '{field}': .*{message}"):
        hf.read_config(directory)
    # The same error through preset loading, before any weights are read.
    with pytest.raises(ConversionError, match=rf"field '{field}'"):
        ElectraBackbone.from_preset(directory)


def test_transformers_config_missing_field(tmp_path):
    config = electra_config()
    del config["intermediate_size"]
    directory = write_config(tmp_path / "hf", config)
    with pytest.raises(ConversionError, match="config.json: field 'intermediate_size': is missing"):
        hf.read_config(directory)


@pytest.mark.parametrize("document", ["[]", '"electra"', "{" * 50000])
def test_transformers_config_not_an_object(tmp_path, document):
    directory = tmp_path / "hf"
    directory.mkdir()
    (directory / "config.json").write_text(document)
    with pytest.raises(ElectraError, match="config.json"):
        hf.read_config(str(directory))


def test_convert_cli_names_the_bad_field_and_writes_nothing(tmp_path, capsys):
    directory = write_config(tmp_path / "hf", electra_config(hidden_size="big"))
    out = str(tmp_path / "out")
    assert main(["convert", "--from", "transformers", directory, "--out", out]) != 0
    assert "config.json: field 'hidden_size'" in capsys.readouterr().err
    assert not os.path.exists(out)


# --- weights -----------------------------------------------------------------


def test_non_finite_checkpoint_weights_are_named(checkpoint):
    path = os.path.join(checkpoint, "model.safetensors")
    tensors = read_safetensors(path)
    name = "encoder.layer.1.intermediate.dense.bias"
    tensors[name] = tensors[name].copy()
    tensors[name][3] = np.inf
    write_safetensors(path, tensors)
    with pytest.raises(ConversionError, match=r"non-finite .*encoder/layer_1/intermediate/dense/bias \(1 values\)"):
        hf.load_backbone(checkpoint)


# --- vocabulary size -----------------------------------------------------------


@requires_tf
def test_transformers_vocabulary_size_mismatch_writes_nothing(checkpoint, tmp_path, capsys):
    write_vocab(checkpoint, VOCAB + ["extra"])
    out = str(tmp_path / "out")
    with pytest.raises(ConversionError, match=f"vocab.txt has {len(VOCAB) + 1} tokens.*{len(VOCAB)} rows"):
        hf.convert_checkpoint(checkpoint, out)
    assert not os.path.exists(out)
    assert main(["convert", "--from", "transformers", checkpoint, "--out", out]) != 0
    assert "vocab.txt has" in capsys.readouterr().err
    assert not os.path.exists(out)
    # The matching vocabulary converts.
    write_vocab(checkpoint, VOCAB)
    assert hf.convert_checkpoint(checkpoint, out).vocabulary_size == len(VOCAB)


@requires_tf
def test_tf1_vocabulary_size_mismatch_writes_nothing(tmp_path):
    from keras_electra.convert import tf1
    from tests.convert.test_convert_tf1 import original_variables
    from tests.convert.test_convert_tf1 import write_checkpoint

    prefix = write_checkpoint(original_variables(np.random.default_rng(0)), str(tmp_path / "model.ckpt"))
    write_vocab(str(tmp_path), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])
    out = str(tmp_path / "out")
    with pytest.raises(ConversionError, match=f"vocab.txt has 6 tokens.*{h.VOCAB_SIZE} rows"):
        tf1.convert_checkpoint(prefix, out, num_heads=2)
    assert not os.path.exists(out)


@requires_tf
def test_keras_hub_vocabulary_size_mismatch_writes_nothing(tmp_path):
    from tests.convert.test_convert_keras_hub import hub_preset

    _, path = hub_preset(tmp_path / "hub")
    with open(os.path.join(path, "assets", "tokenizer", "vocabulary.txt"), "a") as f:
        f.write("extra\n")
    out = str(tmp_path / "out")
    with pytest.raises(ConversionError, match=f"vocabulary.txt has {len(VOCAB) + 1} tokens"):
        kh.convert_checkpoint(path, out)
    assert not os.path.exists(out)


def test_keras_hub_config_field_is_named(tmp_path):
    config = {
        "module": "keras_hub.src.models.electra.electra_backbone",
        "class_name": "ElectraBackbone", "registered_name": "keras_hub>ElectraBackbone",
        "config": {"vocab_size": 30, "num_layers": 2, "num_heads": 2, "hidden_dim": "abc",
                   "intermediate_dim": 32, "embedding_dim": 8},
    }
    directory = write_config(tmp_path / "hub", config)
    with pytest.raises(ConversionError, match="config.json: field 'hidden_dim': must be a positive integer"):
        kh.load_backbone(directory)
    with pytest.raises(ConversionError, match="field 'hidden_dim'"):
        ElectraBackbone.from_preset(directory)
