"""keras-hub ElectraBackbone presets -> keras-electra ElectraBackbone."""

import os

import keras
import keras_hub
import numpy as np
import pytest

from keras_electra.convert import keras_hub as kh
from keras_electra.convert.weights import ConversionError
from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraTokenizer
from tests.convert import convert_helpers as h
from tests.helpers import VOCAB


def hub_preset(path, embedding_dim=h.EMBED):
    hub = keras_hub.models.ElectraBackbone(
        vocab_size=len(VOCAB), num_layers=h.LAYERS, num_heads=h.HEADS, hidden_dim=h.HIDDEN,
        embedding_dim=embedding_dim, intermediate_dim=h.INTER, dropout=0.0,
        max_sequence_length=h.MAX_LEN,
    )
    rng = np.random.default_rng(0)
    for v in hub.weights:  # weights large enough that a wrong mapping shows
        v.assign(rng.normal(0, 0.2, v.shape).astype("float32") + (1.0 if "gamma" in v.path else 0.0))
    hub.save_to_preset(str(path))
    keras_hub.tokenizers.ElectraTokenizer(vocabulary=VOCAB).save_to_preset(str(path))
    return hub, str(path)


def exact_gelu_reference(hub, x):
    """keras-hub's model with its tanh-approximate GELU swapped for the exact one."""
    for i in range(hub.num_layers):
        hub.get_layer(f"transformer_layer_{i}")._feedforward_intermediate_dense.activation = (
            lambda t: keras.activations.gelu(t, approximate=False))
    return keras.ops.convert_to_numpy(hub(x)["sequence_output"])


@pytest.mark.parametrize("embedding_dim", [h.EMBED, h.HIDDEN])
def test_keras_hub_preset_matches_with_gelu_matched(tmp_path, embedding_dim, caplog):
    hub, path = hub_preset(tmp_path / "hub", embedding_dim)
    x = h.inputs()
    approximate = keras.ops.convert_to_numpy(hub(x)["sequence_output"])
    with caplog.at_level("INFO", logger="keras_electra.convert"):
        backbone = ElectraBackbone.from_preset(path)  # resolves through the converter
    assert "pooled_dense" in caplog.text
    ours = h.sequence_output(backbone, x)
    np.testing.assert_allclose(ours, exact_gelu_reference(hub, x), atol=1e-4)
    # With keras-hub's approximate GELU left in place, the gap is small but real.
    assert 1e-6 < np.abs(ours - approximate).max() < 5e-2
    np.testing.assert_allclose(keras.ops.convert_to_numpy(backbone(x)["pooled_output"]), ours[:, 0])


def test_convert_writes_preset_with_tokenizer(tmp_path):
    hub, path = hub_preset(tmp_path / "hub")
    out = str(tmp_path / "ours")
    kh.convert_checkpoint(path, out)
    backbone = ElectraBackbone.from_preset(out)
    x = h.inputs()
    np.testing.assert_allclose(h.sequence_output(backbone, x), exact_gelu_reference(hub, x), atol=1e-4)
    assert ElectraTokenizer.from_preset(out).get_vocabulary() == VOCAB


def test_not_a_keras_hub_electra_preset(tmp_path):
    backbone = ElectraBackbone(vocabulary_size=10, num_layers=1, num_heads=1, hidden_dim=8,
                               intermediate_dim=16, max_sequence_length=8)
    backbone.save_to_preset(str(tmp_path / "ours"))
    with pytest.raises(ConversionError, match="not a keras-hub ElectraBackbone"):
        kh.load_backbone(str(tmp_path / "ours"))
    assert os.path.isfile(tmp_path / "ours" / "config.json")
