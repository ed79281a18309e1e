"""Checks of model inputs that run on the host, before the model does.

JAX clamps out-of-range gathers silently and TensorFlow on GPU returns zeros,
so a bad token id would give garbage instead of an error. These checks look at
concrete host data (numpy arrays, Python lists, eager CPU tensors) and never at
traced or symbolic values, so they add no device syncs to compiled steps.
"""

import numpy as np

BACKBONE_INPUTS = ("token_ids", "segment_ids", "padding_mask")


def _in_symbolic_scope():
    # Keras traces shapes on torch with uninitialised placeholder tensors.
    try:
        from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    except ImportError:  # a Keras without it traces with KerasTensors only
        return False
    return in_symbolic_scope()


def to_host_array(value):
    """Returns `value` as a numpy array if it is concrete host data, else None."""
    if _in_symbolic_scope():
        return None
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple, int)):
        return np.asarray(value)
    module = type(value).__module__
    if module.startswith("jax"):
        import jax

        if isinstance(value, jax.core.Tracer):
            return None
        if all(d.platform == "cpu" for d in value.devices()):
            return np.asarray(value)
        return None
    if module.startswith("torch"):
        if value.device.type == "cpu" and not value.requires_grad:
            return value.numpy()
        return None
    if module.startswith("tensorflow"):
        if hasattr(value, "numpy") and "CPU" in getattr(value, "device", "CPU"):
            try:
                return value.numpy()
            except Exception:  # symbolic tensor inside tf.function
                return None
    return None


def _static_shape(value):
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    return tuple(None if d is None else int(d) for d in shape)


def check_backbone_inputs(
    inputs, vocabulary_size, max_sequence_length, num_segments
):
    """Raises `ValueError` on malformed backbone inputs.

    Checks the input names, that all inputs have the same (batch, sequence)
    shape, the sequence length against `max_sequence_length`, and, for
    concrete host data, that token ids lie in `[0, vocabulary_size)`, segment
    ids in `[0, num_segments)` and the padding mask is 0/1.
    """
    if not isinstance(inputs, dict):
        raise ValueError(
            "ElectraBackbone expects a dict with keys "
            f"{list(BACKBONE_INPUTS)}. Received: {type(inputs).__name__}."
        )
    missing = [k for k in BACKBONE_INPUTS if k not in inputs]
    unexpected = [k for k in inputs if k not in BACKBONE_INPUTS]
    if missing or unexpected:
        raise ValueError(
            f"ElectraBackbone inputs must have exactly the keys "
            f"{list(BACKBONE_INPUTS)}. Missing: {missing}. "
            f"Unexpected: {unexpected}."
        )
    shapes = {k: _static_shape(inputs[k]) for k in BACKBONE_INPUTS}
    for key, shape in shapes.items():
        if shape is not None and len(shape) != 2:
            raise ValueError(
                f"`{key}` must have shape (batch_size, sequence_length). "
                f"Received shape {shape}."
            )
    known = {k: s for k, s in shapes.items() if s is not None}
    for axis, axis_name in ((0, "batch size"), (1, "sequence length")):
        dims = {k: s[axis] for k, s in known.items() if s[axis] is not None}
        if len(set(dims.values())) > 1:
            raise ValueError(
                f"Backbone inputs disagree on the {axis_name}: {dims}. All of "
                f"{list(BACKBONE_INPUTS)} must have the same shape."
            )
    for key, shape in known.items():
        if shape[1] is not None and shape[1] > max_sequence_length:
            raise ValueError(
                f"Input sequence length {shape[1]} is longer than the model's "
                f"max_sequence_length={max_sequence_length}. Truncate the input "
                "(the preprocessors' `sequence_length`) or build a model with "
                "more positions."
            )
    _check_range(inputs["token_ids"], "token_ids", 0, vocabulary_size)
    _check_range(inputs["segment_ids"], "segment_ids", 0, num_segments)
    _check_range(inputs["padding_mask"], "padding_mask", 0, 2)


def _check_range(value, name, low, high):
    array = to_host_array(value)
    if array is None or array.size == 0:
        return
    if array.dtype == bool:
        return
    bad = (array < low) | (array >= high)
    if np.any(bad):
        positions = np.argwhere(bad)[:5].tolist()
        values = array[bad][:5].tolist()
        raise ValueError(
            f"`{name}` must lie in [{low}, {high}). Found {int(bad.sum())} "
            f"value(s) outside it, e.g. {values} at (row, position) "
            f"{positions}. Check that the tokenizer's vocabulary matches the "
            "model."
        )
