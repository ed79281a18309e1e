"""Uniform noise for masking, sampling and dropout: no device syncs on torch, and on a
single-device jax CPU the cheaper serial threefry."""

import keras

from keras_electra.fast_paths.switch import noise_routing_enabled


def is_unseeded(seed):
    """Whether `seed` is a `keras.random.SeedGenerator` created without a seed."""
    return isinstance(seed, keras.random.SeedGenerator) and seed._initial_seed is None


def draws_from_global_torch_rng(seed):
    """Whether draws for `seed` come from torch's global generator.

    On torch, Keras' own dropout draws an unseeded layer's mask from the global
    generator (`F.dropout`). A seeded draw instead turns the seed state into a
    Python int (`keras/src/backend/torch/random.py`), which on a GPU waits for
    the device. keras-electra does the same for all its unseeded noise: with
    `keras.utils.set_random_seed` (which seeds torch) runs still repeat, and
    training checkpoints save torch's generator states.
    """
    return (
        keras.config.backend() == "torch" and noise_routing_enabled() and is_unseeded(seed)
    )


def draws_serial_threefry():
    """Whether jax draws here use threefry without `jax_threefry_partitionable`.

    jax's default (partitionable) threefry hashes one counter per element, which
    costs about twice as much CPU time as the serial layout: 160 against 90 ms of
    CPU per ELECTRA-Small fine-tuning step (batch 32, seq 64) for the dropout masks
    alone. Partitioning only matters for sharded programs, so the serial layout is
    used on the jax CPU platform with one device and no `keras.distribution` set,
    through jax's public `jax.threefry_partitionable(False)` context. Draws are
    still threefry from the same Keras seed state, but a different stream than
    Keras' own for the same seed.
    """
    if keras.config.backend() != "jax" or not noise_routing_enabled():
        return False
    import jax

    return (
        jax.default_backend() == "cpu"
        and jax.device_count() == 1
        and keras.distribution.distribution() is None
    )


def uniform(shape, seed, dtype="float32"):
    """`keras.random.uniform(shape, dtype=dtype, seed=seed)`, in [0, 1).

    From torch's global generator where `draws_from_global_torch_rng(seed)`;
    with the serial threefry where `draws_serial_threefry()`.

    Example:
    ```python
    import keras
    uniform((2, 3), keras.random.SeedGenerator(1)).shape  # (2, 3)
    ```
    """
    if draws_from_global_torch_rng(seed):
        from keras_electra.fast_paths import torch_kernels

        return torch_kernels.uniform(shape, dtype)
    if draws_serial_threefry():
        import jax

        with jax.threefry_partitionable(False):
            return keras.random.uniform(shape, dtype=dtype, seed=seed)
    return keras.random.uniform(shape, dtype=dtype, seed=seed)
