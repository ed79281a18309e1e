"""The ELECTRA embedding block: token + position + segment embeddings, LayerNorm, dropout."""

import keras
from keras.layers import ReversibleEmbedding
from keras_hub.layers import PositionEmbedding

from keras_electra.layers.canonical import CanonicalVariable
from keras_electra.layers.canonical import collect_variables
from keras_electra.fast_paths.direct_calls import call_directly
from keras_electra.fast_paths.direct_calls import can_call_directly


def electra_kernel_initializer(stddev=0.02):
    """The initializer of every ELECTRA kernel and embedding table."""
    return keras.initializers.TruncatedNormal(stddev=stddev)


def _table(name, layer, attribute, rows):
    # Tables are split over their embedding dimension: 30522 rows do not
    # divide evenly over 4 or 8 devices.
    return CanonicalVariable(
        name, f"{layer}/embeddings", lambda c: (c[rows], c["embedding_dim"]),
        (None, "model"), (layer, attribute),
    )


# The variables of `ElectraEmbedding`, in the original's (TF1) order; names are
# relative to its `embeddings/` scope.
EMBEDDING_VARIABLES = (
    _table("word_embeddings", "token_embedding", "embeddings", "vocabulary_size"),
    _table("position_embeddings", "position_embedding", "position_embeddings",
           "max_sequence_length"),
    _table("token_type_embeddings", "segment_embedding", "embeddings", "num_segments"),
) + tuple(
    CanonicalVariable(f"LayerNorm/{w}", f"layer_norm/{w}",
                      lambda c: (c["embedding_dim"],), None, ("layer_norm", w))
    for w in ("gamma", "beta")
)


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraEmbedding(keras.layers.Layer):
    """Token, position and segment embeddings, summed, normalised and dropped out.

    This is the embedding block of the original ELECTRA (`embedding_lookup` plus
    `embedding_postprocessor` in google-research/electra). The embeddings
    projection to `hidden_dim` is *not* part of this layer: it belongs to the
    backbone, so that a generator and a discriminator can share one
    `ElectraEmbedding` instance and still keep their own projections. That
    sharing is how the pretrainer ties their embeddings.

    Args:
        vocabulary_size: int. Number of token ids.
        embedding_dim: int. Width of the embedding tables.
        max_sequence_length: int. Number of learned positions.
        num_segments: int. Number of segment (token type) ids.
        dropout: float. Dropout rate after the LayerNorm.
        layer_norm_epsilon: float. LayerNorm epsilon.
        initializer_range: float. Stddev of the truncated-normal initializer.
        token_embedding: optional layer to use as the token table instead of a
            new `ReversibleEmbedding` (e.g. the pretrainer's gradient-
            disentangled table). A runtime object, not part of the config.

    Example:
    ```python
    import numpy as np
    embedding = ElectraEmbedding(vocabulary_size=100, embedding_dim=16,
                                 max_sequence_length=32)
    token_ids = np.array([[2, 10, 11, 3]])
    segment_ids = np.zeros((1, 4), "int32")
    embedding(token_ids, segment_ids).shape  # (1, 4, 16)
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        max_sequence_length=512,
        num_segments=2,
        dropout=0.1,
        layer_norm_epsilon=1e-12,
        initializer_range=0.02,
        token_embedding=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range

        self.token_embedding = token_embedding or ReversibleEmbedding(
            input_dim=vocabulary_size,
            output_dim=embedding_dim,
            embeddings_initializer=electra_kernel_initializer(initializer_range),
            dtype=self.dtype_policy,
            name="token_embedding",
        )
        self.position_embedding = PositionEmbedding(
            sequence_length=max_sequence_length,
            initializer=electra_kernel_initializer(initializer_range),
            dtype=self.dtype_policy,
            name="position_embedding",
        )
        self.segment_embedding = keras.layers.Embedding(
            input_dim=num_segments,
            output_dim=embedding_dim,
            embeddings_initializer=electra_kernel_initializer(initializer_range),
            dtype=self.dtype_policy,
            name="segment_embedding",
        )
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="layer_norm",
        )
        self.dropout_layer = keras.layers.Dropout(
            dropout, dtype=self.dtype_policy, name="dropout"
        )

    def build(self, token_ids_shape, segment_ids_shape=None):
        self.token_embedding.build(token_ids_shape)
        embedded_shape = tuple(token_ids_shape) + (self.embedding_dim,)
        self.position_embedding.build(embedded_shape)
        self.segment_embedding.build(token_ids_shape)
        self.layer_norm.build(embedded_shape)
        self.built = True

    def call(self, token_ids, segment_ids=None, training=None):
        # The sublayers' `call` directly where that is exact (see direct_calls).
        direct = can_call_directly(
            self.token_embedding,
            self.position_embedding,
            self.segment_embedding,
            self.layer_norm,
            self.dropout_layer,
        )

        def run(layer, *args, **kwargs):
            if direct:
                return call_directly(layer, *args, **kwargs)
            return layer(*args, **kwargs)

        x = run(self.token_embedding, token_ids)
        x = x + run(self.position_embedding, x)
        if segment_ids is not None:
            x = x + run(self.segment_embedding, segment_ids)
        x = run(self.layer_norm, x)
        return run(self.dropout_layer, x, training=training)

    def compute_output_shape(self, token_ids_shape, segment_ids_shape=None):
        return tuple(token_ids_shape) + (self.embedding_dim,)

    def canonical_variables(self, prefix=""):
        """`{canonical name: keras.Variable}`, names as in `EMBEDDING_VARIABLES`.

        Args:
            prefix: canonical scope before each name, e.g. `"embeddings/"`.
        """
        return collect_variables(self, EMBEDDING_VARIABLES, prefix)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "max_sequence_length": self.max_sequence_length,
                "num_segments": self.num_segments,
                "dropout": self.dropout,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "initializer_range": self.initializer_range,
            }
        )
        return config
