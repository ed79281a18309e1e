"""EncoderAdapter: a keras-hub backbone split at its token embedding, for RTD pretraining."""

import keras
from keras import ops
from keras_hub.layers import TokenAndPositionEmbedding
from keras_hub.models import Backbone

from keras_electra.errors import ElectraError
from keras_electra.layers.gdes_embedding import GradientDisentangledEmbedding

# The inputs an adapted backbone may read besides `token_ids`.
ENCODER_INPUTS = ("segment_ids", "padding_mask")


class EncoderAdapter:
    """Any keras-hub `Backbone` as `embed_tokens(ids)` + the encoder after it.

    `ElectraPretrainer` shares token tables between a generator and a
    discriminator (tied or GDES). A keras-hub backbone owns its table, so the
    adapter cuts its functional graph at the token embedding's output: the
    encoder is a `keras.Model` from that tensor (plus `segment_ids` and
    `padding_mask`) to `sequence_output`, on the backbone's own layers (its
    variables, no copy). `embed_tokens` looks the ids up in any table of the
    right shape and, for a `TokenAndPositionEmbedding` block (RoBERTa),
    adds the backbone's position embedding as that block does.

    Requirements (an `ElectraError` names what is missing): inputs
    `token_ids` and `padding_mask` (`segment_ids` optional, nothing else); a
    `sequence_output` output or a single output; a `token_embedding` with an
    `embeddings` table and `reverse=True` calls (`ReversibleEmbedding`),
    called once in the graph, directly or in a `TokenAndPositionEmbedding`;
    and no other path from `token_ids` to the output.

    The adapter is a plain object (not a layer): the backbone stays the owner
    of the variables and of the config.

    Args:
        backbone: a keras-hub `Backbone` (BERT, RoBERTa, DeBERTaV3, ...).
        token_table: the layer that looks token ids up, `ReversibleEmbedding`
            or `GradientDisentangledEmbedding` of the backbone's table shape;
            the backbone's own `token_embedding` when None.

    Example:
    ```python
    import numpy as np
    import keras_hub
    from keras_electra.models.encoder_adapter import EncoderAdapter

    bert = keras_hub.models.BertBackbone(
        vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=8,
        intermediate_dim=16, max_sequence_length=12)
    adapter = EncoderAdapter(bert)
    ids = np.array([[2, 7, 9, 3]], "int32")
    inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
              "padding_mask": np.ones_like(ids)}
    adapter(ids, inputs).shape  # (1, 4, 8), equal to bert(inputs)["sequence_output"]
    ```
    """

    def __init__(self, backbone, token_table=None):
        name = getattr(backbone, "name", type(backbone).__name__)
        if not isinstance(backbone, Backbone):
            raise ElectraError(
                f"{name!r} is a {type(backbone).__name__}, not a keras-hub `Backbone`; "
                "ElectraPretrainer takes keras-hub backbones (BERT, RoBERTa, DeBERTaV3, ...)."
            )
        self.backbone = backbone
        inputs = backbone.input
        if not isinstance(inputs, dict):
            raise ElectraError(
                f"{name!r} ({type(backbone).__name__}) does not take a dict of named inputs; "
                "the pretrainer needs `token_ids` and `padding_mask`."
            )
        missing = [key for key in ("token_ids", "padding_mask") if key not in inputs]
        extra = sorted(set(inputs) - {"token_ids", *ENCODER_INPUTS})
        if missing or extra:
            raise ElectraError(
                f"{name!r} ({type(backbone).__name__}) has inputs {sorted(inputs)}: "
                + (f"missing {missing}" if missing else f"{extra} unknown to the pretrainer")
                + "; it needs `token_ids` and `padding_mask`, and `segment_ids` at most."
            )
        self.input_names = tuple(key for key in ENCODER_INPUTS if key in inputs)
        outputs = backbone.output
        if isinstance(outputs, dict):
            if "sequence_output" not in outputs:
                raise ElectraError(
                    f"{name!r} ({type(backbone).__name__}) has outputs {sorted(outputs)} "
                    "but no `sequence_output`."
                )
            outputs = outputs["sequence_output"]
        elif not isinstance(outputs, keras.KerasTensor):
            raise ElectraError(
                f"{name!r} ({type(backbone).__name__}) has several outputs and no "
                "`sequence_output`."
            )
        if len(outputs.shape) != 3:
            raise ElectraError(
                f"{name!r}'s output has shape {outputs.shape}; the pretrainer needs a "
                "`sequence_output` of shape [batch, sequence, hidden]."
            )
        table = backbone.token_embedding
        if table is None or not _is_table(table):
            raise ElectraError(
                f"{name!r} ({type(backbone).__name__}) has no token embedding to share: "
                "its `token_embedding` must be a `ReversibleEmbedding` (an `embeddings` "
                f"table and `reverse=True` calls); it is {type(table).__name__}."
            )
        self.token_embedding = table
        start, self.position_embedding = _embedding_output(backbone, table, name)
        try:
            self.encoder = keras.Model(
                [start] + [inputs[key] for key in self.input_names], outputs,
                name=f"{name}_encoder",
            )
        except ValueError as error:
            raise ElectraError(
                f"{name!r} ({type(backbone).__name__}) reads `token_ids` other than "
                f"through its token embedding, so its table cannot be shared: {error}"
            ) from error
        self.token_table = token_table or table
        if tuple(self.token_table.embeddings.shape) != tuple(table.embeddings.shape):
            raise ElectraError(
                f"The token table given to {name!r} has shape "
                f"{tuple(self.token_table.embeddings.shape)}; its own is "
                f"{tuple(table.embeddings.shape)}."
            )
        self.hidden_dim = int(outputs.shape[-1])

    @property
    def vocabulary_size(self):
        """Rows of the token table."""
        return int(self.token_embedding.input_dim)

    @property
    def layer_norm_epsilon(self):
        """The backbone's `layer_norm_epsilon` if it has one, else BERT's 1e-12."""
        return getattr(self.backbone, "layer_norm_epsilon", 1e-12)

    @property
    def initializer_range(self):
        """The backbone's `initializer_range` if it has one, else BERT's 0.02."""
        return getattr(self.backbone, "initializer_range", 0.02)

    def embed_tokens(self, token_ids):
        """`[B, T, E]` token embeddings of `token_ids` (plus positions where the block adds them)."""
        x = self.token_table(ops.cast(token_ids, "int32"))
        if self.position_embedding is not None:
            x = x + self.position_embedding(x)
        return x

    def __call__(self, token_ids, inputs, training=False):
        """`[B, T, H]` sequence output of `token_ids` with `inputs`' segments and padding."""
        extra = [ops.cast(inputs[key], "int32") for key in self.input_names]
        return self.encoder([self.embed_tokens(token_ids)] + extra, training=training)


def _is_table(layer):
    return all(hasattr(layer, key) for key in ("embeddings", "input_dim", "output_dim")) and (
        isinstance(layer, keras.layers.ReversibleEmbedding)
        or isinstance(layer, GradientDisentangledEmbedding)
    )


def _embedding_output(backbone, table, name):
    """The graph tensor after the token lookup, and the position layer to add (or None)."""
    if any(layer is table for layer in backbone.layers):
        return _single_output(table, name), None
    for layer in backbone.layers:
        if isinstance(layer, TokenAndPositionEmbedding) and layer.token_embedding is table:
            return _single_output(layer, name), layer.position_embedding
    raise ElectraError(
        f"{name!r} ({type(backbone).__name__}) does not call its `token_embedding` in "
        "its graph (directly or in a `TokenAndPositionEmbedding`), so the pretrainer "
        "cannot give it a shared table."
    )


def _single_output(layer, name):
    try:
        return layer.output
    except (AttributeError, ValueError) as error:
        raise ElectraError(
            f"{name!r}'s layer {layer.name!r} is called more than once in its graph; "
            f"the pretrainer needs one token-embedding output: {error}"
        ) from error
