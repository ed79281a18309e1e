"""ELECTRA pretraining heads: the generator's masked-LM head and the discriminator head.

Sublayer names follow the original variable scopes and transformers' module
names, so converters map them one to one:
`ElectraMaskedLMHead.dense`/`layer_norm`/`output_bias` <->
`generator_predictions.{dense,LayerNorm}` and `generator_lm_head.bias`;
`ElectraDiscriminatorHead.dense`/`dense_prediction` <->
`discriminator_predictions.{dense,dense_prediction}`.
"""

import keras
from keras import ops

from keras_electra.layers.embedding import electra_kernel_initializer
from keras_electra.layers.masking import gather_positions


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraMaskedLMHead(keras.layers.Layer):
    """dense(embedding_dim, gelu) -> LayerNorm -> tied token-embedding logits + bias.

    Computes logits only at the given positions (`[B, P]`), or at every
    position when `positions` is None. The output projection is the
    transposed token table of `token_embedding` (a `ReversibleEmbedding`), as
    in the original's `_get_masked_lm_output`.

    Args:
        token_embedding: the `keras.layers.ReversibleEmbedding` to tie to.
        activation: activation of the dense layer (exact GELU by default).
        layer_norm_epsilon: float. LayerNorm epsilon.
        initializer_range: float. Stddev of the dense kernel initializer.

    Example:
    ```python
    import numpy as np
    from keras_electra.models import ElectraBackbone
    backbone = ElectraBackbone(vocabulary_size=30, num_layers=1, num_heads=1,
                               hidden_dim=16, intermediate_dim=32,
                               embedding_dim=8, max_sequence_length=16)
    head = ElectraMaskedLMHead(backbone.token_embedding)
    hidden = np.zeros((2, 6, 16), "float32")
    head(hidden, positions=np.array([[1, 2], [3, 0]])).shape  # (2, 2, 30)
    ```
    """

    def __init__(
        self,
        token_embedding,
        activation="gelu",
        layer_norm_epsilon=1e-12,
        initializer_range=0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.token_embedding = token_embedding
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.dense = keras.layers.Dense(
            token_embedding.output_dim,
            activation=keras.activations.get(activation),
            kernel_initializer=electra_kernel_initializer(initializer_range),
            dtype=self.dtype_policy,
            name="dense",
        )
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=self.dtype_policy, name="layer_norm"
        )

    @property
    def vocabulary_size(self):
        return self.token_embedding.input_dim

    def build(self, hidden_shape, positions_shape=None):
        self.dense.build(hidden_shape)
        self.layer_norm.build(tuple(hidden_shape[:-1]) + (self.token_embedding.output_dim,))
        self.output_bias = self.add_weight(
            name="output_bias", shape=(self.vocabulary_size,), initializer="zeros"
        )
        self.built = True

    def call(self, hidden, positions=None):
        if positions is not None:
            hidden = gather_positions(hidden, positions)
        x = self.layer_norm(self.dense(hidden))
        logits = self.token_embedding(x, reverse=True)
        return logits + ops.cast(self.output_bias, logits.dtype)

    def compute_output_shape(self, hidden_shape, positions_shape=None):
        leading = hidden_shape[:-1] if positions_shape is None else positions_shape
        return tuple(leading) + (self.vocabulary_size,)

    def get_config(self):
        # The tied table is a runtime link; owners pass it again on rebuild.
        config = super().get_config()
        config.update(
            {
                "activation": self.activation,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "initializer_range": self.initializer_range,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraDiscriminatorHead(keras.layers.Layer):
    """dense(hidden_dim, gelu) -> dense(1): one replaced-token logit per position.

    Args:
        hidden_dim: int. Width of the inner dense layer (the backbone's width).
        activation: activation of the inner layer (exact GELU by default).
        initializer_range: float. Stddev of the inner dense kernel initializer
            (truncated normal); the output kernel is glorot-uniform, as the
            original's.
        bias_initializer: initializer of the output bias (zeros, as the
            original's); Electric's pretrainer may start it at `log(V)`.

    Example:
    ```python
    import numpy as np
    head = ElectraDiscriminatorHead(hidden_dim=16)
    head(np.zeros((2, 6, 16), "float32")).shape  # (2, 6)
    ```
    """

    def __init__(self, hidden_dim, activation="gelu", initializer_range=0.02,
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.activation = activation
        self.initializer_range = initializer_range
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.dense = keras.layers.Dense(
            hidden_dim,
            activation=keras.activations.get(activation),
            kernel_initializer=electra_kernel_initializer(initializer_range),
            dtype=self.dtype_policy,
            name="dense",
        )
        # The original's `tf.layers.dense(hidden, units=1)` (run_pretraining.py,
        # `_get_discriminator_output`): TF's default glorot-uniform kernel.
        self.dense_prediction = keras.layers.Dense(
            1,
            kernel_initializer="glorot_uniform",
            bias_initializer=self.bias_initializer,
            dtype=self.dtype_policy,
            name="dense_prediction",
        )

    def build(self, hidden_shape):
        self.dense.build(hidden_shape)
        self.dense_prediction.build(tuple(hidden_shape[:-1]) + (self.hidden_dim,))
        self.built = True

    def call(self, hidden):
        return ops.squeeze(self.dense_prediction(self.dense(hidden)), -1)

    def compute_output_shape(self, hidden_shape):
        return tuple(hidden_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "activation": self.activation,
                "initializer_range": self.initializer_range,
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
