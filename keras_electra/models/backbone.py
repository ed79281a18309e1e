"""ElectraBackbone: the ELECTRA encoder, faithful to google-research/electra."""

import keras
from keras_hub.models import Backbone

from keras_electra.layers.attention_mask import DirectionalAttentionMask
from keras_electra.layers.canonical import CanonicalVariable
from keras_electra.layers.canonical import collect_variables
from keras_electra.layers.embedding import EMBEDDING_VARIABLES
from keras_electra.layers.embedding import ElectraEmbedding
from keras_electra.layers.embedding import electra_kernel_initializer
from keras_electra.layers.encoder_layer import ENCODER_LAYER_VARIABLES
from keras_electra.layers.encoder_layer import ElectraEncoderLayer
from keras_electra.fast_paths.direct_functional import DirectFunctional
from keras_electra.errors import ElectraError
from keras_electra.models.backbone_config import config_problem
from keras_electra.utils.input_validation import HostInputChecks
from keras_electra.utils.input_validation import check_backbone_inputs

# The embeddings projection (`embedding_dim != hidden_dim` only); its input
# dimension follows the tables, which are split over the embedding dimension.
PROJECTION_VARIABLES = (
    CanonicalVariable("kernel", "kernel", lambda c: (c["embedding_dim"], c["hidden_dim"]),
                      ("model", None), ("kernel",)),
    CanonicalVariable("bias", "bias", lambda c: (c["hidden_dim"],), None, ("bias",)),
)
# The backbone's parts in canonical order: (canonical scope, Keras layer path,
# variables). `{i}` stands for a Transformer layer's index.
BACKBONE_PARTS = (
    ("embeddings/", "embeddings/", EMBEDDING_VARIABLES),
    ("embeddings_project/", "embeddings_projection/", PROJECTION_VARIABLES),
    ("encoder/layer_{i}/", "transformer_layer_{i}/", ENCODER_LAYER_VARIABLES),
)


def backbone_variable_specs(num_layers, has_projection, include_embeddings=True):
    """`[(canonical name, Keras path, CanonicalVariable)]` of a backbone, unbuilt.

    Args:
        num_layers: number of Transformer layers.
        has_projection: whether `embedding_dim != hidden_dim`.
        include_embeddings: False for a backbone reusing another's tables
            (its `embedding_layer`), whose paths are the owner's.

    Returns:
        The list, in canonical order (that of `ElectraBackbone.canonical_variables`).
    """
    specs = []
    for canonical_scope, path_scope, variables in BACKBONE_PARTS:
        if canonical_scope == "embeddings/" and not include_embeddings:
            continue
        if canonical_scope == "embeddings_project/" and not has_projection:
            continue
        indices = range(num_layers) if "{i}" in canonical_scope else (None,)
        for i in indices:
            for v in variables:
                specs.append(
                    (canonical_scope.format(i=i) + v.name, path_scope.format(i=i) + v.path, v)
                )
    return specs


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraBackbone(DirectFunctional, HostInputChecks, Backbone):
    """The ELECTRA encoder (discriminator or generator body).

    Faithful to google-research/electra and transformers' `ElectraModel`: a
    token/position/segment embedding block with LayerNorm, a dense projection
    to `hidden_dim` when `embedding_dim != hidden_dim`, post-LayerNorm
    Transformer layers with exact (erf) GELU, and no pooler: `pooled_output`
    is the [CLS] vector itself.

    Args:
        vocabulary_size: int. Size of the token vocabulary.
        num_layers: int. Number of Transformer layers.
        num_heads: int. Attention heads per layer.
        hidden_dim: int. Width of the Transformer layers.
        intermediate_dim: int. Width of the feed-forward inner layer.
        embedding_dim: int. Width of the embedding tables; defaults to
            `hidden_dim`. When different, a dense `embeddings_projection`
            follows the embedding LayerNorm.
        dropout: float. Dropout rate for embeddings, attention and outputs.
        max_sequence_length: int. Number of learned positions.
        num_segments: int. Number of segment ids.
        layer_norm_epsilon: float. LayerNorm epsilon.
        initializer_range: float. Stddev of the truncated-normal initializers
            (the `embeddings_projection` kernel is glorot-uniform, as the
            original's).
        attention_direction: `"bidirectional"` (default), `"left_to_right"`
            or `"right_to_left"`. The one-directional modes are the towers of
            Electric's cloze generator.
        embedding_layer: optional `ElectraEmbedding` to use instead of a new
            one. Passing the same instance to two backbones ties their
            embeddings. It is a runtime object and is not part of the config;
            a backbone rebuilt from config gets its own copy.
        dtype: string or `keras.DTypePolicy`. The dtype policy.

    Example:
    ```python
    import numpy as np
    import keras_electra

    backbone = keras_electra.models.ElectraBackbone(
        vocabulary_size=1000, num_layers=2, num_heads=2, hidden_dim=64,
        intermediate_dim=128, embedding_dim=32, max_sequence_length=64,
    )
    outputs = backbone({
        "token_ids": np.array([[2, 15, 16, 3, 0]]),
        "segment_ids": np.zeros((1, 5), "int32"),
        "padding_mask": np.array([[1, 1, 1, 1, 0]]),
    })
    outputs["sequence_output"].shape  # (1, 5, 64)
    outputs["pooled_output"].shape  # (1, 64)
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers,
        num_heads,
        hidden_dim,
        intermediate_dim,
        embedding_dim=None,
        dropout=0.1,
        max_sequence_length=512,
        num_segments=2,
        layer_norm_epsilon=1e-12,
        initializer_range=0.02,
        attention_direction="bidirectional",
        embedding_layer=None,
        dtype=None,
        **kwargs,
    ):
        problem = config_problem(
            dict(
                vocabulary_size=vocabulary_size,
                num_layers=num_layers,
                num_heads=num_heads,
                hidden_dim=hidden_dim,
                intermediate_dim=intermediate_dim,
                embedding_dim=embedding_dim,
                dropout=dropout,
                max_sequence_length=max_sequence_length,
                num_segments=num_segments,
                layer_norm_epsilon=layer_norm_epsilon,
                initializer_range=initializer_range,
                attention_direction=attention_direction,
            )
        )
        if problem is not None:
            raise ElectraError(f"`{problem[0]}` {problem[1]}.")
        embedding_dim = hidden_dim if embedding_dim is None else embedding_dim
        if embedding_layer is not None:
            _check_embedding_layer(
                embedding_layer,
                vocabulary_size=vocabulary_size,
                embedding_dim=embedding_dim,
                max_sequence_length=max_sequence_length,
                num_segments=num_segments,
            )

        # === Layers ===
        self.embeddings = embedding_layer or ElectraEmbedding(
            vocabulary_size=vocabulary_size,
            embedding_dim=embedding_dim,
            max_sequence_length=max_sequence_length,
            num_segments=num_segments,
            dropout=dropout,
            layer_norm_epsilon=layer_norm_epsilon,
            initializer_range=initializer_range,
            dtype=dtype,
            name="embeddings",
        )
        self.embeddings_projection = None
        if embedding_dim != hidden_dim:
            # The original's `tf.layers.dense(..., name="embeddings_project")`
            # (model/modeling.py) has TF's default glorot-uniform kernel.
            self.embeddings_projection = keras.layers.Dense(
                hidden_dim,
                kernel_initializer="glorot_uniform",
                dtype=dtype,
                name="embeddings_projection",
            )
        self.attention_mask_layer = None
        if attention_direction != "bidirectional":
            self.attention_mask_layer = DirectionalAttentionMask(
                attention_direction, dtype=dtype, name="attention_mask"
            )
        self.transformer_layers = []
        for i in range(num_layers):
            self.transformer_layers.append(
                ElectraEncoderLayer(
                    num_heads=num_heads,
                    intermediate_dim=intermediate_dim,
                    activation="gelu",
                    dropout=dropout,
                    layer_norm_epsilon=layer_norm_epsilon,
                    kernel_initializer=electra_kernel_initializer(
                        initializer_range
                    ),
                    normalize_first=False,
                    dtype=dtype,
                    name=f"transformer_layer_{i}",
                )
            )

        # === Functional Model ===
        token_id_input = keras.Input(
            shape=(None,), dtype="int32", name="token_ids"
        )
        segment_id_input = keras.Input(
            shape=(None,), dtype="int32", name="segment_ids"
        )
        padding_mask_input = keras.Input(
            shape=(None,), dtype="int32", name="padding_mask"
        )
        x = self.embeddings(token_id_input, segment_id_input)
        if self.embeddings_projection is not None:
            x = self.embeddings_projection(x)
        if attention_direction == "bidirectional":
            mask_kwargs = {"padding_mask": padding_mask_input}
        else:
            mask_kwargs = {
                "attention_mask": self.attention_mask_layer(padding_mask_input)
            }
        for transformer_layer in self.transformer_layers:
            x = transformer_layer(x, **mask_kwargs)
        super().__init__(
            inputs={
                "token_ids": token_id_input,
                "segment_ids": segment_id_input,
                "padding_mask": padding_mask_input,
            },
            outputs={
                "sequence_output": x,
                "pooled_output": x[:, 0, :],
            },
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.attention_direction = attention_direction

    def __call__(self, inputs, *args, **kwargs):
        self._check_inputs(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, training=None, mask=None, **kwargs):
        # Also here: a task model may run this `call` directly.
        self._check_inputs(inputs)
        return super().call(inputs, training=training, mask=mask, **kwargs)

    def _check_inputs(self, inputs):
        check_backbone_inputs(
            inputs,
            vocabulary_size=self.vocabulary_size,
            max_sequence_length=self.max_sequence_length,
            num_segments=self.num_segments,
        )

    @property
    def token_embedding(self):
        """The `ReversibleEmbedding` token table (used by tied MLM heads)."""
        return self.embeddings.token_embedding

    @token_embedding.setter
    def token_embedding(self, value):
        # The table lives in `self.embeddings`; keras-hub's base sets None.
        if value is not None:
            raise AttributeError("Set the token table via `embedding_layer`.")

    def canonical_variables(self):
        """`{canonical name: keras.Variable}` of every backbone variable.

        Names are the original google-research/electra ones without the model
        scope (`embeddings/word_embeddings`, `encoder/layer_0/attention/self/query/kernel`),
        in the order of `backbone_variable_specs`; every converter maps to and
        from this table.

        Example:
        ```python
        backbone = ElectraBackbone(vocabulary_size=30, num_layers=1, num_heads=2,
                                   hidden_dim=16, intermediate_dim=32)
        backbone.canonical_variables()["embeddings/word_embeddings"].shape  # (30, 16)
        ```
        """
        table = self.embeddings.canonical_variables("embeddings/")
        if self.embeddings_projection is not None:
            table.update(collect_variables(
                self.embeddings_projection, PROJECTION_VARIABLES, "embeddings_project/"
            ))
        for i, layer in enumerate(self.transformer_layers):
            table.update(layer.canonical_variables(f"encoder/layer_{i}/"))
        return table

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim,
                "embedding_dim": self.embedding_dim,
                "dropout": self.dropout,
                "max_sequence_length": self.max_sequence_length,
                "num_segments": self.num_segments,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "initializer_range": self.initializer_range,
                "attention_direction": self.attention_direction,
            }
        )
        return config

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Builds a backbone from a preset.

        `preset` is a local Keras preset directory, the name of a registered
        public checkpoint (see `keras_electra.models.presets.PRESETS`), or a
        handle such as `hf://google/electra-small-discriminator`. Transformers
        checkpoints (a `config.json` with `model_type`) are converted on load.

        Example:
        ```python
        backbone = ElectraBackbone.from_preset("./my_electra_preset")
        ```
        """
        from keras_electra.models import preset_loading

        return preset_loading.load_backbone(cls, preset, load_weights, **kwargs)


def _check_embedding_layer(layer, **expected):
    if not isinstance(layer, ElectraEmbedding):
        raise ValueError(
            "`embedding_layer` must be an `ElectraEmbedding`. "
            f"Received: {type(layer).__name__}."
        )
    for key, value in expected.items():
        if getattr(layer, key) != value:
            raise ValueError(
                f"The shared `embedding_layer` has {key}={getattr(layer, key)}, "
                f"but this backbone needs {key}={value}. Tied embeddings need "
                "equal vocabulary, embedding width, positions and segments."
            )
