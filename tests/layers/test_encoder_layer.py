"""ElectraEncoderLayer's lean call equals keras-hub TransformerEncoder's call."""

import keras
import numpy as np
import pytest
from keras_hub.layers import TransformerEncoder

from keras_electra.layers import DirectionalAttentionMask
from keras_electra.layers import ElectraEncoderLayer
from keras_electra.training.checkpointing import global_rng_states
from keras_electra.training.checkpointing import set_global_rng_states
from keras_electra import config
from tests.helpers import use_keras_dropout


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(x, "float32")))


def make_layer(dropout=0.1, dtype=None):
    keras.utils.set_random_seed(0)
    layer = ElectraEncoderLayer(
        num_heads=4, intermediate_dim=64, activation="gelu", dropout=dropout,
        layer_norm_epsilon=1e-12, dtype=dtype, name="transformer_layer_0",
    )
    layer.build((None, 7, 32))
    return layer


def inputs(batch=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 7, 32)).astype("float32")
    padding_mask = np.ones((batch, 7), "int32")
    padding_mask[1, 4:] = 0
    padding_mask[2, :] = 0  # a row with no real token at all
    return x, padding_mask


def call_both(layer, monkeypatch, **kwargs):
    """(lean, keras-hub) outputs of the same layer on the same inputs and RNG."""
    states = [keras.ops.convert_to_numpy(v) for v in layer.non_trainable_variables]
    rng = global_rng_states()  # torch's dropout draws from its global RNG
    with use_keras_dropout():  # mask-for-mask equality
        lean = layer(**kwargs)
    for variable, state in zip(layer.non_trainable_variables, states):
        variable.assign(state)
    set_global_rng_states(rng)
    with config.settings(fast_paths=False):  # keras-hub's own TransformerEncoder.call
        reference = layer(**kwargs)
    return to_numpy(lean), to_numpy(reference)


@pytest.mark.parametrize("training", [False, True])
def test_lean_call_equals_transformer_encoder(monkeypatch, training):
    layer = make_layer()
    x, padding_mask = inputs()
    lean, reference = call_both(
        layer, monkeypatch, inputs=x, padding_mask=padding_mask, training=training
    )
    assert np.isfinite(lean).all()
    np.testing.assert_allclose(lean, reference, atol=1e-5, rtol=1e-5)
    if training:  # dropout was applied, identically
        inference = to_numpy(layer(x, padding_mask=padding_mask, training=False))
        assert np.abs(lean - inference).max() > 1e-2


def test_lean_call_with_directional_mask(monkeypatch):
    layer = make_layer()
    x, padding_mask = inputs()
    attention_mask = DirectionalAttentionMask("left_to_right")(padding_mask)
    lean, reference = call_both(
        layer, monkeypatch, inputs=x, padding_mask=None, attention_mask=attention_mask
    )
    np.testing.assert_allclose(lean, reference, atol=1e-5, rtol=1e-5)
    # Position 0 sees only itself: changing later tokens leaves it unchanged.
    changed = x.copy()
    changed[:, 1:] += 1.0
    again = to_numpy(layer(changed, attention_mask=attention_mask))
    np.testing.assert_allclose(again[:, 0], lean[:, 0], atol=1e-5)


def test_lean_call_under_mixed_precision(monkeypatch):
    layer = make_layer(dtype="mixed_bfloat16")
    x, padding_mask = inputs()
    lean, reference = call_both(layer, monkeypatch, inputs=x, padding_mask=padding_mask)
    assert keras.backend.standardize_dtype(layer(x, padding_mask=padding_mask).dtype) == "bfloat16"
    np.testing.assert_allclose(lean, reference, atol=0.05)
    assert layer._self_attention_layer_norm.gamma.dtype == "float32"


def test_same_variables_and_config_as_transformer_encoder():
    layer = make_layer()
    plain = TransformerEncoder(
        num_heads=4, intermediate_dim=64, activation="gelu", dropout=0.1,
        layer_norm_epsilon=1e-12, name="transformer_layer_0",
    )
    plain.build((None, 7, 32))
    assert [v.path for v in layer.weights] == [v.path for v in plain.weights]
    assert layer.get_config() == plain.get_config()
    restored = ElectraEncoderLayer.from_config(layer.get_config())
    assert isinstance(restored, ElectraEncoderLayer)


def test_attention_scores_use_the_keras_hub_path():
    layer = make_layer()
    x, padding_mask = inputs()
    outputs, scores = layer(x, padding_mask=padding_mask, return_attention_scores=True)
    assert tuple(scores.shape) == (3, 4, 7, 7)
    np.testing.assert_allclose(
        to_numpy(outputs), to_numpy(layer(x, padding_mask=padding_mask)), atol=1e-5
    )
