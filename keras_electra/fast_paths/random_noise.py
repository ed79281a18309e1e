"""Uniform noise for masking, sampling and dropout, without device syncs on torch."""

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


def uniform(shape, seed, dtype="float32"):
    """`keras.random.uniform(shape, dtype=dtype, seed=seed)`, in [0, 1).

    From torch's global generator where `draws_from_global_torch_rng(seed)`.

    Example:
    ```python
    import keras
    uniform((2, 3), keras.random.SeedGenerator(1)).shape  # (2, 3)
    ```
    """
    if draws_from_global_torch_rng(seed):
        from keras_electra.fast_paths import torch_kernels

        return torch_kernels.uniform(shape, dtype)
    return keras.random.uniform(shape, dtype=dtype, seed=seed)
