"""apply_dropout: Keras' Dropout distribution, with the mask drawn from uniforms."""

import keras
import numpy as np
import pytest

from keras_electra.layers.dropout import apply_dropout


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_keeps_each_entry_with_probability_one_minus_rate(rate):
    layer = keras.layers.Dropout(rate, seed=3)
    x = np.full((64, 32, 32), 2.0, "float32")
    y = to_numpy(apply_dropout(layer, x, training=True))
    kept = y != 0
    n = kept.size
    standard_error = np.sqrt(rate * (1 - rate) / n)
    assert abs(kept.mean() - (1 - rate)) < 4 * standard_error
    np.testing.assert_allclose(y[kept], 2.0 / (1 - rate), rtol=1e-6)
    # Independent across positions: rows agree with each other only by chance.
    assert not (kept[0] == kept[1]).all()


def test_inference_and_zero_rate_are_identity():
    x = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    layer = keras.layers.Dropout(0.3, seed=1)
    np.testing.assert_array_equal(to_numpy(apply_dropout(layer, x, training=False)), x)
    np.testing.assert_array_equal(to_numpy(apply_dropout(layer, x, training=None)), x)
    no_rate = keras.layers.Dropout(0.0)
    np.testing.assert_array_equal(to_numpy(apply_dropout(no_rate, x, training=True)), x)


def test_seed_generator_makes_masks_reproducible_and_advancing():
    x = np.ones((8, 16), "float32")
    first = keras.layers.Dropout(0.5, seed=7)
    second = keras.layers.Dropout(0.5, seed=7)
    a1, a2 = (to_numpy(apply_dropout(first, x, True)) for _ in range(2))
    b1 = to_numpy(apply_dropout(second, x, True))
    np.testing.assert_array_equal(a1, b1)  # same seed, same first mask
    assert not np.array_equal(a1, a2)  # the generator advances


def test_noise_shape_uses_keras_dropout():
    layer = keras.layers.Dropout(0.5, noise_shape=(8, 1), seed=2)
    y = to_numpy(apply_dropout(layer, np.ones((8, 16), "float32"), True))
    # One decision per row, broadcast along the second axis.
    assert all(len(set(row.tolist())) == 1 for row in y)


def test_keeps_dtype_under_mixed_precision():
    layer = keras.layers.Dropout(0.2, seed=4)
    x = keras.ops.ones((4, 8), dtype="bfloat16")
    y = apply_dropout(layer, x, True)
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"
