"""Presets that are broken are refused with a `PresetError` naming the file and field."""

import json
import os

import h5py
import keras
import numpy as np
import pytest

from keras_electra.errors import ElectraError
from keras_electra.models import ElectraBackbone
from keras_electra.tasks.masked_lm import ElectraMaskedLM
from keras_electra.models.preset_loading import PresetError
from keras_electra.models.preset_loading import load_preset_config
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraQuestionAnswerer
from keras_electra.tasks import ElectraTextClassifier
from tests.conftest import requires_tf
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs


@pytest.fixture
def preset(tmp_path):
    path = str(tmp_path / "backbone")
    ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0)).save_to_preset(path)
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    ElectraTextClassifierPreprocessor(tokenizer, sequence_length=16).save_to_preset(path)
    return path


@pytest.fixture
def task_preset(preset, tmp_path):
    path = str(tmp_path / "task")
    model = ElectraTextClassifier.from_preset(preset, num_classes=2)
    model.save_to_preset(path)
    return path, model


def edit_json(path, edit):
    with open(path) as f:
        config = json.load(f)
    edit(config)
    with open(path, "w") as f:
        json.dump(config, f)


def set_field(preset, field, value):
    edit_json(os.path.join(preset, "config.json"), lambda c: c["config"].__setitem__(field, value))


def numpy_weights(model):
    return [keras.ops.convert_to_numpy(v) for v in model.weights]


# --- config.json -------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("hidden_dim", "abc", "positive integer; received 'abc'"),
        ("num_layers", True, "positive integer; received True"),
        ("vocabulary_size", 25.0, "positive integer"),
        ("num_heads", 0, "positive integer"),
        ("max_sequence_length", None, "positive integer"),
        ("dropout", 1.0, r"in \[0, 1\)"),
        ("layer_norm_epsilon", 0, "> 0"),
        ("layer_norm_epsilon", -1e-5, "> 0"),
        ("initializer_range", "0.02", ">= 0"),
        ("attention_direction", "sideways", "must be one of"),
    ],
)
def test_bad_config_field_names_file_and_field(preset, field, value, message):
    set_field(preset, field, value)
    with pytest.raises(PresetError, match=rf"config.json: field '{field}': .*{message}") as e:
        ElectraBackbone.from_preset(preset)
    assert e.value.field == field and e.value.path.endswith("config.json")


def test_unknown_config_field(preset):
    set_field(preset, "hidden_size", 16)  # the transformers name, not ours
    with pytest.raises(PresetError, match="config.json: field 'hidden_size': unknown"):
        ElectraBackbone.from_preset(preset)


def test_unknown_wrapper_field_and_missing_field(preset):
    config = os.path.join(preset, "config.json")
    edit_json(config, lambda c: c.__setitem__("extra", 1))
    with pytest.raises(PresetError, match="field 'extra': unknown"):
        load_preset_config(preset)
    edit_json(config, lambda c: (c.pop("extra"), c["config"].pop("num_heads")))
    with pytest.raises(PresetError, match="field 'num_heads': is missing"):
        load_preset_config(preset)


def test_heads_must_divide_hidden_dim(preset):
    set_field(preset, "num_heads", 3)
    with pytest.raises(PresetError, match="field 'num_heads': hidden_dim .16. must be divisible"):
        ElectraBackbone.from_preset(preset)


@pytest.mark.parametrize("document", ["[1, 2]", '"text"', "null", "[" * 100000])
def test_config_that_is_not_an_object(preset, document):
    with open(os.path.join(preset, "config.json"), "w") as f:
        f.write(document)
    with pytest.raises(PresetError, match="config.json"):
        load_preset_config(preset)


def test_load_preset_config_returns_a_valid_config(preset):
    config = load_preset_config(preset)
    assert config["config"]["hidden_dim"] == 16


@pytest.mark.parametrize(
    "field, value",
    [("hidden_dim", "abc"), ("num_layers", 2.5), ("layer_norm_epsilon", 0.0),
     ("layer_norm_epsilon", float("nan")), ("dropout", -0.1), ("embedding_dim", 0)],
)
def test_constructor_names_the_argument(field, value):
    with pytest.raises(ElectraError, match=f"`{field}`"):
        ElectraBackbone(**tiny_backbone_kwargs(**{field: value}))


# --- model.weights.h5 --------------------------------------------------------


def test_fewer_layers_than_the_weights_is_an_error(preset):
    set_field(preset, "num_layers", 1)
    with pytest.raises(PresetError, match=r"model.weights.h5: holds 39 arrays but ElectraBackbone has 23"):
        ElectraBackbone.from_preset(preset)


def test_more_layers_than_the_weights_names_the_weights_file(preset):
    set_field(preset, "num_layers", 3)
    with pytest.raises(PresetError, match="model.weights.h5"):
        ElectraBackbone.from_preset(preset)


def test_truncated_weights_name_the_file(preset):
    weights = os.path.join(preset, "model.weights.h5")
    with open(weights, "r+b") as f:
        f.truncate(os.path.getsize(weights) // 3)
    with pytest.raises(PresetError, match="model.weights.h5: is not a readable Keras weights file"):
        ElectraBackbone.from_preset(preset)


def poison(path, name_part):
    """Writes a NaN into the first array of `path` whose name contains `name_part`."""
    with h5py.File(path, "r+") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        name = next(n for n in names if name_part in n)
        data = f[name][...]
        data.flat[0] = np.nan
        f[name][...] = data


def test_non_finite_weights_name_the_variable(preset):
    poison(os.path.join(preset, "model.weights.h5"), "token_embedding")
    with pytest.raises(PresetError, match=r"model.weights.h5: variable .*token_embedding/embeddings holds 1 non-finite"):
        ElectraBackbone.from_preset(preset)


def test_load_weights_false_does_not_read_weights(preset):
    os.remove(os.path.join(preset, "model.weights.h5"))
    assert ElectraBackbone.from_preset(preset, load_weights=False).num_layers == 2


def test_sharded_weights_still_load(tmp_path):
    backbone = ElectraBackbone(**tiny_backbone_kwargs(vocabulary_size=3000, hidden_dim=64, embedding_dim=64))
    path = str(tmp_path / "sharded")
    backbone.save_to_preset(path, max_shard_size=0.0008)
    assert not os.path.isfile(os.path.join(path, "model.weights.h5"))
    restored = ElectraBackbone.from_preset(path)
    for a, b in zip(numpy_weights(backbone), numpy_weights(restored)):
        np.testing.assert_array_equal(a, b)


# --- task presets ------------------------------------------------------------


def test_task_round_trip(task_preset):
    path, model = task_preset
    restored = ElectraTextClassifier.from_preset(path)
    for a, b in zip(numpy_weights(model), numpy_weights(restored)):
        np.testing.assert_array_equal(a, b)


def test_task_preset_without_head_weights_is_an_error(task_preset):
    path, _ = task_preset
    os.remove(os.path.join(path, "task.weights.h5"))
    with pytest.raises(PresetError, match="task.weights.h5: is missing.*random"):
        ElectraTextClassifier.from_preset(path)
    # A fresh head, asked for on purpose, needs no head weights.
    assert ElectraTextClassifier.from_preset(path, num_classes=3).num_classes == 3


def test_truncated_task_weights_name_the_file(task_preset):
    path, _ = task_preset
    weights = os.path.join(path, "task.weights.h5")
    with open(weights, "r+b") as f:
        f.truncate(os.path.getsize(weights) // 2)
    with pytest.raises(PresetError, match="task.weights.h5"):
        ElectraTextClassifier.from_preset(path)


def test_non_finite_head_weights_name_the_variable(task_preset):
    path, _ = task_preset
    poison(os.path.join(path, "task.weights.h5"), "layers/")
    with pytest.raises(PresetError, match="task.weights.h5: variable .* non-finite"):
        ElectraTextClassifier.from_preset(path)


def test_task_backbone_weights_are_checked(task_preset):
    path, _ = task_preset
    edit_json(os.path.join(path, "task.json"),
              lambda c: c["config"]["backbone"]["config"].__setitem__("num_layers", 1))
    with pytest.raises(PresetError, match="model.weights.h5: holds 39 arrays"):
        ElectraTextClassifier.from_preset(path)


def test_bad_backbone_config_in_task_json(task_preset):
    path, _ = task_preset
    edit_json(os.path.join(path, "task.json"),
              lambda c: c["config"]["backbone"]["config"].__setitem__("hidden_dim", "abc"))
    with pytest.raises(PresetError, match="task.json: field 'hidden_dim'"):
        ElectraTextClassifier.from_preset(path)


@pytest.mark.parametrize("task_cls", [ElectraMaskedLM, ElectraQuestionAnswerer])
def test_other_task_presets_need_their_head_weights(preset, tmp_path, task_cls):
    backbone = ElectraBackbone.from_preset(preset)
    model = task_cls(backbone=backbone)
    path = str(tmp_path / "task")
    model.save_to_preset(path)
    restored = task_cls.from_preset(path)
    for a, b in zip(numpy_weights(model), numpy_weights(restored)):
        np.testing.assert_array_equal(a, b)
    os.remove(os.path.join(path, "task.weights.h5"))
    with pytest.raises(PresetError, match="task.weights.h5: is missing"):
        task_cls.from_preset(path)


@requires_tf
def test_evaluate_refuses_a_task_preset_without_head_weights(task_preset, tmp_path, capsys):
    from keras_electra.cli.main import main

    path, _ = task_preset
    with open(os.path.join(path, "finetune.json"), "w") as f:
        json.dump({"task": "sst2", "label_names": None, "sequence_length": 16}, f)
    os.remove(os.path.join(path, "task.weights.h5"))
    data = tmp_path / "dev.tsv"
    data.write_text("1\tthe quick fox\n0\tthe lazy dog\n")
    code = main(["evaluate", "--model", path, "--data", str(data), "--text-columns", "1",
                 "--label-column", "0", "--header", "no"])
    err = capsys.readouterr().err
    assert code == 2
    assert "keras-electra evaluate: error:" in err and "task.weights.h5: is missing" in err
