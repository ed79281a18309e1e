"""apply_dropout: Keras' Dropout distribution, with the mask drawn from uniforms."""

import keras
import numpy as np
import pytest

from keras_electra.fast_paths.dropout import apply_dropout


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


@pytest.mark.skipif(keras.config.backend() != "torch", reason="torch's global RNG")
def test_unseeded_layer_on_torch_draws_from_the_global_generator(monkeypatch):
    import torch

    from keras_electra.fast_paths.random_noise import draws_from_global_torch_rng

    layer = keras.layers.Dropout(0.25)  # no seed: Keras' torch dropout uses F.dropout
    assert draws_from_global_torch_rng(layer.seed_generator)
    assert not draws_from_global_torch_rng(keras.layers.Dropout(0.25, seed=1).seed_generator)
    monkeypatch.setattr(
        keras.random, "uniform", lambda *a, **k: pytest.fail("seeded draw (host sync on GPU)")
    )
    x = np.full((64, 32, 32), 2.0, "float32")
    torch.manual_seed(5)
    first = to_numpy(apply_dropout(layer, x, training=True))
    second = to_numpy(apply_dropout(layer, x, training=True))
    torch.manual_seed(5)
    again = to_numpy(apply_dropout(layer, x, training=True))
    np.testing.assert_array_equal(first, again)  # reproducible from the global seed
    assert not np.array_equal(first, second)
    kept = first != 0
    assert abs(kept.mean() - 0.75) < 4 * np.sqrt(0.25 * 0.75 / kept.size)
    np.testing.assert_allclose(first[kept], 2.0 / 0.75, rtol=1e-6)
