"""The fields of an `ElectraBackbone` config and their checks, the one table of them.

Kept apart from the class so that preset validation and the converters check a
config without importing the model.
"""

import math
import numbers

from keras_electra.layers.attention_mask import ATTENTION_DIRECTIONS

# Config fields and what each must be: "positive int", "rate" (a float in
# [0, 1)), "positive float" or "non-negative float". Types are checked
# strictly: `True` is not an int and `"64"` is not a number.
CONFIG_FIELDS = {
    "vocabulary_size": "positive int",
    "num_layers": "positive int",
    "num_heads": "positive int",
    "hidden_dim": "positive int",
    "intermediate_dim": "positive int",
    "embedding_dim": "positive int",
    "dropout": "rate",
    "max_sequence_length": "positive int",
    "num_segments": "positive int",
    "layer_norm_epsilon": "positive float",
    "initializer_range": "non-negative float",
    "attention_direction": "direction",
}
# Fields of a saved config that `keras.Model` itself handles.
BASE_CONFIG_FIELDS = ("name", "trainable", "dtype")
REQUIRED_CONFIG_FIELDS = (
    "vocabulary_size", "num_layers", "num_heads", "hidden_dim", "intermediate_dim"
)


def config_problem(config):
    """The first invalid field of a backbone config, as `(field, message)`, or None.

    Checks the type and range of every field in `CONFIG_FIELDS` that is
    present (an `embedding_dim` of None means `hidden_dim`) and that
    `hidden_dim` is divisible by `num_heads`. Unknown fields are the
    caller's business: the constructor leaves them to `keras.Model`, preset
    loading rejects them.

    Example:

    >>> config_problem({"hidden_dim": "abc"})
    ('hidden_dim', "must be a positive integer; received 'abc' (str)")
    """
    for field, kind in CONFIG_FIELDS.items():
        if field not in config or (field == "embedding_dim" and config[field] is None):
            continue
        value = config[field]
        received = f"received {value!r} ({type(value).__name__})"
        is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if kind == "positive int" and not (is_int and value > 0):
            return field, f"must be a positive integer; {received}"
        if kind == "rate" and not (is_real and 0 <= value < 1):
            return field, f"must be a number in [0, 1); {received}"
        if kind == "positive float" and not (is_real and math.isfinite(value) and value > 0):
            return field, f"must be a finite number > 0; {received}"
        if kind == "non-negative float" and not (
            is_real and math.isfinite(value) and value >= 0
        ):
            return field, f"must be a finite number >= 0; {received}"
        if kind == "direction" and value not in ATTENTION_DIRECTIONS:
            return field, f"must be one of {ATTENTION_DIRECTIONS}; {received}"
    hidden_dim, num_heads = config.get("hidden_dim"), config.get("num_heads")
    if hidden_dim is not None and num_heads is not None and hidden_dim % num_heads:
        return "num_heads", (
            f"hidden_dim ({hidden_dim}) must be divisible by num_heads ({num_heads})"
        )
    return None
