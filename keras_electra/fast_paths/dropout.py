"""Dropout with its mask drawn from uniform noise, for the lean call paths."""

from keras import ops

from keras_electra.fast_paths.switch import noise_routing_enabled
from keras_electra.fast_paths.random_noise import uniform


def apply_dropout(layer, inputs, training=None):
    """What `layer(inputs, training=training)` does for a `keras.layers.Dropout`.

    The same distribution and the layer's own seed generator, but the mask is
    `uniform < 1 - rate` rather than a Bernoulli draw. jax and TensorFlow draw
    their dropout masks this way already. On torch, whose CPU `bernoulli` is
    slow, it takes a [16, 2, 64, 64] dropout from ~620 to ~390 us; dropout
    was ~15% of the tiny model's fine-tuning step. The masks drawn on torch
    therefore differ from Keras' for the same seed.
    Layers with a `noise_shape`, and every layer while
    `keras_electra.config.set_noise_routing(False)` is in effect, use Keras' own `call`.

    Example:
    ```python
    import numpy as np
    import keras
    layer = keras.layers.Dropout(0.1, seed=1)
    x = np.ones((2, 8), "float32")
    apply_dropout(layer, x, training=True)  # kept entries are 1 / 0.9
    ```
    """
    rate = layer.rate
    if not training or rate == 0:
        return inputs
    inputs = ops.convert_to_tensor(inputs)
    if layer.noise_shape is not None or rate >= 1 or not noise_routing_enabled():
        return layer.call(inputs, training=training)
    keep = 1.0 - rate
    noise = uniform(ops.shape(inputs), layer.seed_generator)
    return inputs * ops.cast(noise < keep, inputs.dtype) * (1.0 / keep)
