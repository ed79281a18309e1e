"""The canonical backbone weight layout every converter maps into and out of.

Canonical names are the original google-research/electra TF1 names without
their model scope (`electra/`, `generator/`), e.g.
`embeddings/word_embeddings` or `encoder/layer_0/attention/self/query/kernel`.
Arrays are in Keras/TF layout: dense kernels are `[in, out]`. A source
converter only has to rename (and transpose) into this layout;
`set_backbone_weights` then does the strict, shape-checked assignment and
`get_backbone_weights` reads a backbone back out for export.
"""

import logging

import numpy as np

from keras_electra.errors import ElectraError
from keras_electra.layers.embedding import EMBEDDING_VARIABLES
from keras_electra.layers.encoder_layer import ENCODER_LAYER_VARIABLES
from keras_electra.models.backbone import PROJECTION_VARIABLES
from keras_electra.models.backbone import backbone_variable_specs

logger = logging.getLogger("keras_electra.convert")

# Derived from the layers' published variables (`CanonicalVariable`).
EMBEDDING_NAMES = tuple("embeddings/" + v.name for v in EMBEDDING_VARIABLES)
PROJECTION_NAMES = tuple("embeddings_project/" + v.name for v in PROJECTION_VARIABLES)
# Per-layer names, relative to `encoder/layer_{i}/`.
LAYER_NAMES = tuple(v.name for v in ENCODER_LAYER_VARIABLES)


class ConversionError(ElectraError):
    """A checkpoint does not fit the model: missing, unexpected or misshapen weights."""


def layer_prefix(i):
    return f"encoder/layer_{i}/"


def canonical_names(num_layers, has_projection):
    """All canonical backbone names, in order."""
    return [name for name, _, _ in backbone_variable_specs(num_layers, has_projection)]


def backbone_variable_table(backbone):
    """Maps each canonical name to the backbone variable that holds it."""
    return backbone.canonical_variables()


def check_names(expected, given, source):
    """Raises a `ConversionError` listing missing and unexpected names."""
    missing = [n for n in expected if n not in given]
    unexpected = [n for n in given if n not in set(expected)]
    problems = []
    if missing:
        problems.append(f"missing from the checkpoint: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected in the checkpoint: {', '.join(unexpected)}")
    if problems:
        raise ConversionError(
            f"{source} does not match the model. " + "; ".join(problems) + "."
        )


def check_finite(weights, source="The checkpoint"):
    """Raises a `ConversionError` naming every array that holds NaN or infinity.

    Args:
        weights: dict of name to array.
        source: text naming the checkpoint, used in errors.
    """
    bad = []
    for name, value in weights.items():
        value = np.asarray(value)
        if value.dtype.name == "bfloat16":  # ml_dtypes: not a numpy float kind
            value = value.astype("float32")
        if value.dtype.kind not in "fc":
            continue  # integer arrays are always finite
        finite = np.isfinite(value)
        if not finite.all():
            bad.append(f"{name} ({int(finite.size - finite.sum())} values)")
    if bad:
        raise ConversionError(
            f"{source} has non-finite values (NaN or infinity) in: {', '.join(bad)}. "
            "A model converted from it would output NaN."
        )


def check_vocabulary_size(tokenizer, vocabulary_size, path):
    """Refuses a tokenizer vocabulary whose size differs from the embedding table's.

    Args:
        tokenizer: an `ElectraTokenizer` (or anything with `vocabulary_size()`).
        vocabulary_size: rows of the checkpoint's token embedding table.
        path: the vocabulary file, used in errors.
    """
    count = tokenizer.vocabulary_size()
    if count != vocabulary_size:
        raise ConversionError(
            f"The vocabulary {path} has {count} tokens but the checkpoint's "
            f"token embedding table has {vocabulary_size} rows "
            f"(vocabulary_size={vocabulary_size}). The vocabulary and the "
            "checkpoint do not belong together; nothing was written."
        )


def set_backbone_weights(backbone, weights, source="The checkpoint"):
    """Assigns canonical weights to a backbone, strictly.

    Every canonical name must be present, no other name may be, and every
    shape must match (attention kernels are reshaped to keras-hub's per-head
    layout, which must hold the same number of values). Afterwards every
    backbone variable must have been written; anything left at its initial
    value is an error, never a silent default, and so is a NaN or infinite
    value.

    Args:
        backbone: an `ElectraBackbone`.
        weights: dict of canonical name to numpy array.
        source: text naming the checkpoint, used in errors.

    Returns:
        The list of canonical names assigned.
    """
    table = backbone_variable_table(backbone)
    check_names(list(table), weights, source)
    check_finite(weights, source)
    mismatched = []
    values = {}
    for name, variable in table.items():
        value = np.asarray(weights[name])
        shape = tuple(variable.shape)
        if value.shape != shape:
            if not _reshapable(value.shape, shape):
                mismatched.append(f"{name} (checkpoint {value.shape}, model {shape})")
                continue
            value = value.reshape(shape)
        values[name] = value
    if mismatched:
        raise ConversionError(
            f"{source} has shape mismatches: {', '.join(mismatched)}."
        )
    for name, variable in table.items():
        variable.assign(values[name].astype(variable.dtype))
    written = {id(v) for v in table.values()}
    left = [v.path for v in backbone.weights if id(v) not in written]
    if left:
        raise ConversionError(
            f"{source} left these model variables at their initial values: "
            f"{', '.join(left)}."
        )
    return list(table)


def _reshapable(checkpoint_shape, model_shape):
    """True when a 2D/1D array is the flat form of keras-hub's per-head one."""
    if int(np.prod(checkpoint_shape)) != int(np.prod(model_shape)):
        return False
    if len(checkpoint_shape) == 2 and len(model_shape) == 3:
        # [in, heads*dim] -> [in, heads, dim] or [heads*dim, out] -> [heads, dim, out]
        return (
            checkpoint_shape[0] == model_shape[0]
            and checkpoint_shape[1] == model_shape[1] * model_shape[2]
        ) or (
            checkpoint_shape[0] == model_shape[0] * model_shape[1]
            and checkpoint_shape[1] == model_shape[2]
        )
    if len(checkpoint_shape) == 1 and len(model_shape) == 2:
        return True
    return False


def get_backbone_weights(backbone):
    """Reads a backbone into canonical numpy arrays (attention kernels flattened)."""
    import keras

    specs = backbone_variable_specs(backbone.num_layers, backbone.embeddings_projection is not None)
    table = backbone_variable_table(backbone)
    weights = {}
    for name, _, spec in specs:
        value = keras.ops.convert_to_numpy(table[name]).astype("float32")
        weights[name] = spec.checkpoint_value(value)
    return weights


def infer_backbone_kwargs(weights, num_heads=None, source="The checkpoint"):
    """Infers `ElectraBackbone` sizes from canonical weight shapes.

    Args:
        weights: dict of canonical name to array (only shapes are used).
        num_heads: attention heads; shapes cannot tell them. Defaults to
            `max(1, hidden_dim // 64)`, the rule of google-research/electra.
        source: text naming the checkpoint, used in errors.
    """
    for name in EMBEDDING_NAMES + (layer_prefix(0) + "intermediate/dense/kernel",):
        if name not in weights:
            raise ConversionError(f"{source} has no variable {name}.")
    vocabulary_size, embedding_dim = np.shape(weights["embeddings/word_embeddings"])
    max_sequence_length = np.shape(weights["embeddings/position_embeddings"])[0]
    num_segments = np.shape(weights["embeddings/token_type_embeddings"])[0]
    hidden_dim, intermediate_dim = np.shape(
        weights[layer_prefix(0) + "intermediate/dense/kernel"]
    )
    num_layers = 0
    while layer_prefix(num_layers) + "output/dense/kernel" in weights:
        num_layers += 1
    if num_heads is None:
        num_heads = max(1, hidden_dim // 64)
    return dict(
        vocabulary_size=int(vocabulary_size),
        num_layers=num_layers,
        num_heads=int(num_heads),
        hidden_dim=int(hidden_dim),
        intermediate_dim=int(intermediate_dim),
        embedding_dim=int(embedding_dim),
        max_sequence_length=int(max_sequence_length),
        num_segments=int(num_segments),
    )


def extract_named(weights, table, source="The checkpoint", strict=True):
    """Picks `{our_name: array}` out of `weights` by a `{our_name: (their_name, fn)}` table.

    Used for head weights. With `strict`, a missing name raises a
    `ConversionError` listing all of them; otherwise missing names are skipped
    (e.g. a tied MLM decoder that the checkpoint does not store).
    """
    out, missing = {}, []
    for ours, (theirs, fn) in table.items():
        if theirs not in weights:
            missing.append(theirs)
            continue
        value = np.asarray(weights[theirs])
        out[ours] = fn(value) if fn is not None else value
    if missing and strict:
        raise ConversionError(
            f"{source} is missing head variables: {', '.join(missing)}."
        )
    return out
