"""Gradient-disentangled embedding sharing (DeBERTaV3's GDES) for ELECTRA."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_electra")
class GradientDisentangledEmbedding(keras.layers.Layer):
    """A token table equal to `stop_gradient(source table) + delta`.

    The discriminator reads the generator's token table without sending its
    gradient back into it, and learns only `delta` (initialised to zero), as
    in DeBERTaV3 (He et al. 2021). Supports `reverse=True` like
    `keras.layers.ReversibleEmbedding`.

    Args:
        source: the generator's `ReversibleEmbedding`. A runtime link, not
            tracked as a sublayer and not part of the config.

    Example:
    ```python
    import numpy as np
    from keras.layers import ReversibleEmbedding
    source = ReversibleEmbedding(10, 4)
    source.build((None,))
    gdes = GradientDisentangledEmbedding(source)
    gdes(np.array([[1, 2]])).shape  # (1, 2, 4), equal to source(...) at init
    ```
    """

    def __init__(self, source, **kwargs):
        super().__init__(**kwargs)
        # Bypass Keras tracking: the source's variables belong to the generator.
        object.__setattr__(self, "_source", source)
        self.input_dim = source.input_dim
        self.output_dim = source.output_dim

    def build(self, input_shape=None):
        self.delta = self.add_weight(
            name="delta", shape=(self.input_dim, self.output_dim), initializer="zeros"
        )
        self.built = True

    @property
    def source(self):
        """The shared `ReversibleEmbedding` whose table this one offsets."""
        return self._source

    @property
    def embeddings(self):
        """The effective table, `stop_gradient(source) + delta`."""
        return ops.stop_gradient(ops.convert_to_tensor(self._source.embeddings)) + self.delta

    def call(self, inputs, reverse=False):
        table = ops.cast(self.embeddings, self.compute_dtype)
        if reverse:
            return ops.matmul(inputs, ops.transpose(table))
        return ops.take(table, ops.cast(inputs, "int32"), axis=0)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)
