"""random_noise.uniform: Keras' uniform draws, from torch's global RNG when unseeded on torch."""

import keras
import numpy as np
import pytest

from keras_electra.layers import DynamicMasking
from keras_electra.fast_paths import random_noise

TORCH = keras.config.backend() == "torch"


def spy_on_keras_uniform(monkeypatch):
    calls = []
    original = keras.random.uniform

    def spy(*args, **kwargs):
        calls.append(kwargs.get("seed"))
        return original(*args, **kwargs)

    monkeypatch.setattr(keras.random, "uniform", spy)
    return calls


def test_values_shape_and_dtype():
    for seed in (keras.random.SeedGenerator(), keras.random.SeedGenerator(3)):
        x = keras.ops.convert_to_numpy(random_noise.uniform((64, 50), seed))
        assert x.shape == (64, 50) and x.dtype == np.float32
        assert 0.0 <= x.min() and x.max() < 1.0
        assert abs(x.mean() - 0.5) < 4 * np.sqrt(1 / 12 / x.size)


def test_seeded_generators_use_keras_uniform(monkeypatch):
    calls = spy_on_keras_uniform(monkeypatch)
    seeded = keras.random.SeedGenerator(3)
    random_noise.uniform((2, 3), seeded)
    assert calls == [seeded]
    assert not random_noise.draws_from_global_torch_rng(seeded)
    assert not random_noise.draws_from_global_torch_rng(7)  # an int seed


def test_unseeded_generators_use_torch_global_rng_only_on_torch(monkeypatch):
    calls = spy_on_keras_uniform(monkeypatch)
    unseeded = keras.random.SeedGenerator()
    state = keras.ops.convert_to_numpy(unseeded.state)
    assert random_noise.draws_from_global_torch_rng(unseeded) == TORCH
    if not TORCH:
        random_noise.uniform((2, 3), unseeded)
        assert calls == [unseeded]
        return
    import torch

    torch.manual_seed(11)
    first = keras.ops.convert_to_numpy(random_noise.uniform((4, 5), unseeded))
    torch.manual_seed(11)
    again = keras.ops.convert_to_numpy(random_noise.uniform((4, 5), unseeded))
    np.testing.assert_array_equal(first, again)
    assert calls == []  # no seed state read back to the host
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(unseeded.state), state)


@pytest.mark.skipif(not TORCH, reason="torch's global RNG")
def test_unseeded_masking_repeats_under_torch_manual_seed():
    import torch

    masking = DynamicMasking(
        vocabulary_size=50, mask_token_id=4, special_token_ids=[2, 3], pad_token_id=0,
        mask_probability=0.3, max_predictions=5,
    )
    token_ids = np.random.default_rng(0).integers(5, 50, (4, 16)).astype("int32")
    padding_mask = np.ones((4, 16), "int32")
    outputs = []
    for _ in range(2):
        torch.manual_seed(2)
        outputs.append(keras.ops.convert_to_numpy(masking(token_ids, padding_mask)["masked_lm_positions"]))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert (outputs[0] > 0).any()


JAX = keras.config.backend() == "jax"


@pytest.mark.skipif(not JAX, reason="the serial threefry is a jax CPU route")
def test_jax_cpu_draws_are_serial_threefry_of_the_keras_seed():
    import jax
    import jax.numpy as jnp

    from keras_electra import config

    seed = keras.random.SeedGenerator(5)
    key = jnp.asarray(keras.ops.convert_to_numpy(seed.state), jnp.uint32)
    assert random_noise.draws_serial_threefry()
    drawn = np.asarray(jax.jit(lambda: random_noise.uniform((16, 33), seed))())
    # Reference: jax's own threefry on the key Keras draws (the state before the draw),
    # serial layout, no Keras in between.
    with jax.threefry_partitionable(False):
        expected = np.asarray(jax.random.uniform(key, (16, 33)))
    np.testing.assert_array_equal(drawn, expected)
    assert not np.array_equal(drawn, np.asarray(jax.random.uniform(key, (16, 33))))
    with config.settings(noise_routing=False):
        assert not random_noise.draws_serial_threefry()
    with config.settings(fast_paths=False):
        assert not random_noise.draws_serial_threefry()


@pytest.mark.skipif(not JAX, reason="the serial threefry is a jax CPU route")
def test_jax_distribution_keeps_the_partitionable_threefry():
    import jax

    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    try:
        assert not random_noise.draws_serial_threefry()
    finally:
        keras.distribution.set_distribution(None)
    assert random_noise.draws_serial_threefry()
