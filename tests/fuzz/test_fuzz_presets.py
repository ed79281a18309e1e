"""Fuzzing preset loading with mutated `config.json` files.

A tiny preset is saved once per module; each example copies it, replaces its
`config.json` with random bytes, a byte-level mutation or a structural JSON
mutation (keys deleted or added, values of other types, NaN, negative sizes),
and loads it with `ElectraBackbone.from_preset`. The load must give a working
backbone or raise an `ElectraError`; nothing else, and nothing hangs.

Loading a model per example costs ~0.3 s, so these tests draw a quarter of the
profile's examples.
"""

import json
import os
import shutil
import tempfile

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_electra.models import ElectraBackbone
from keras_electra.models.preset_loading import load_preset_config
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from tests.fuzz.fuzz_helpers import file_contents
from tests.fuzz.fuzz_helpers import fuzz_profiles
from tests.fuzz.fuzz_helpers import json_values
from tests.fuzz.fuzz_helpers import mutated_json
from tests.fuzz.fuzz_helpers import profile_settings
from tests.fuzz.fuzz_helpers import works_or_clear_error
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs

# Small integers only: a mutated size must not build a model that fills memory.
config_values = json_values(integers=st.integers(-3, 40))
SEQUENCE_LENGTH = 8


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    """A tiny backbone preset with its tokenizer; returns (directory, config)."""
    path = str(tmp_path_factory.mktemp("fuzz_preset") / "preset")
    ElectraBackbone(
        **tiny_backbone_kwargs(num_layers=1, max_sequence_length=SEQUENCE_LENGTH)
    ).save_to_preset(path)
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    ElectraTextClassifierPreprocessor(
        tokenizer, sequence_length=SEQUENCE_LENGTH
    ).save_to_preset(path)
    with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
        return path, json.load(f)


@st.composite
def config_edits(draw, config):
    """A mutated `config.json`: field-level edits of the backbone config
    (most likely), edits anywhere in the file, or byte-level damage."""
    kind = draw(st.sampled_from(["field", "field", "anywhere", "bytes"]))
    if kind == "bytes":
        return draw(file_contents(json.dumps(config, indent=4).encode("utf-8")))
    if kind == "anywhere":
        return draw(mutated_json(config, values=config_values))
    edited = json.loads(json.dumps(config))
    fields = edited["config"]
    for _ in range(draw(st.integers(1, 2))):
        key = draw(st.sampled_from(sorted(fields) + ["unknown_field"]))
        if draw(st.integers(0, 3)) == 0:
            fields.pop(key, None)
        else:
            fields[key] = draw(
                st.one_of(
                    config_values,
                    st.sampled_from([0, -1, 0.5, 1.5, float("nan"), float("inf"),
                                     "abc", "16", None, True, [], {}]),
                )
            )
    return json.dumps(edited).encode("utf-8")


def load(preset_path, config_bytes):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "preset")
        shutil.copytree(preset_path, path)
        with open(os.path.join(path, "config.json"), "wb") as f:
            f.write(config_bytes)
        backbone, error = works_or_clear_error(ElectraBackbone.from_preset, path)
    return backbone, error


def check_backbone(backbone):
    """A loaded backbone runs on a tiny batch and gives finite outputs."""
    token_ids = np.array([[2, 5, 6, 3, 0, 0]], "int32")
    outputs = backbone(
        {
            "token_ids": token_ids,
            "segment_ids": np.zeros_like(token_ids),
            "padding_mask": (token_ids != 0).astype("int32"),
        }
    )
    sequence = keras.ops.convert_to_numpy(outputs["sequence_output"])
    assert sequence.shape == (1, 6, backbone.hidden_dim)
    assert np.isfinite(sequence).all()


def test_unmutated_preset_loads(preset):
    path, config = preset
    backbone, error = load(path, json.dumps(config).encode("utf-8"))
    assert error is None
    check_backbone(backbone)


@fuzz_profiles
def test_fuzz_backbone_config(profile, preset):
    path, config = preset

    @profile_settings(profile, scale=0.25)
    @given(config_edits(config))
    def check(config_bytes):
        backbone, _ = load(path, config_bytes)
        if backbone is not None:
            check_backbone(backbone)

    check()


TRANSFORMERS_CONFIG = {
    "architectures": ["ElectraModel"],
    "model_type": "electra",
    "vocab_size": len(VOCAB),
    "embedding_size": 8,
    "hidden_size": 16,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": SEQUENCE_LENGTH,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
}


@fuzz_profiles
def test_fuzz_load_preset_config(profile, preset):
    """The config check alone (no model built), on many more examples, for
    Keras and transformers `config.json` files."""
    path, config = preset

    @profile_settings(profile)
    @given(
        st.one_of(
            config_edits(config),
            mutated_json(TRANSFORMERS_CONFIG, values=config_values),
            file_contents(json.dumps(TRANSFORMERS_CONFIG).encode("utf-8")),
        )
    )
    def check(config_bytes):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "config.json"), "wb") as f:
                f.write(config_bytes)
            loaded, _ = works_or_clear_error(
                load_preset_config, directory, names=["config.json"]
            )
        if loaded is not None:
            assert isinstance(loaded, dict)

    check()
