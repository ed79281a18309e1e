"""Checks of model inputs that run on the host, before the model does.

JAX clamps out-of-range gathers silently and TensorFlow on GPU returns zeros,
so a bad token id would give garbage instead of an error. These checks look at
concrete host data (numpy arrays, Python lists, eager CPU tensors) and never at
traced or symbolic values, so they add no device syncs to compiled steps.

`HostInputChecks` runs them once per `fit` / `evaluate` / `predict` call on
array data, before Keras builds a compiled step, and per batch inside the
`preprocess_samples` pipelines of tasks (a numpy check on grain batches, a
`tf.debugging.Assert` in `tf.data`). Every failure is an `ElectraError` that
names the input, the bad value, the allowed range and the first bad index.
"""

import re

import keras
import numpy as np

from keras_electra.errors import ElectraError
from keras_electra.fast_paths import private_api
from keras_electra.fast_paths.private_api import in_symbolic_scope

BACKBONE_INPUTS = ("token_ids", "segment_ids", "padding_mask")

# Marks the message of a `tf.data` assertion, to re-raise it as an ElectraError.
_MARKER = "keras-electra input check:"


def to_host_array(value):
    """Returns `value` as a numpy array if it is concrete host data, else None."""
    if in_symbolic_scope():
        return None
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple, int)):
        try:
            return np.asarray(value)
        except ValueError:  # ragged lists: Keras reports those itself
            return None
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
    """Raises `ElectraError` on malformed backbone inputs.

    Checks the input names, that all inputs have the same (batch, sequence)
    shape, the sequence length against `max_sequence_length`, and, for
    concrete host data, that token ids lie in `[0, vocabulary_size)`, segment
    ids in `[0, num_segments)` and the padding mask is 0/1, and that token and
    segment ids are integers.
    """
    if not isinstance(inputs, dict):
        raise ElectraError(
            "ElectraBackbone expects a dict with keys "
            f"{list(BACKBONE_INPUTS)}. Received: {type(inputs).__name__}."
        )
    missing = [k for k in BACKBONE_INPUTS if k not in inputs]
    unexpected = [k for k in inputs if k not in BACKBONE_INPUTS]
    if missing or unexpected:
        raise ElectraError(
            f"ElectraBackbone inputs must have exactly the keys "
            f"{list(BACKBONE_INPUTS)}. Missing: {missing}. "
            f"Unexpected: {unexpected}."
        )
    shapes = {k: _static_shape(inputs[k]) for k in BACKBONE_INPUTS}
    for key, shape in shapes.items():
        if shape is not None and len(shape) != 2:
            raise ElectraError(
                f"`{key}` must have shape (batch_size, sequence_length). "
                f"Received shape {shape}."
            )
    known = {k: s for k, s in shapes.items() if s is not None}
    for axis, axis_name in ((0, "batch size"), (1, "sequence length")):
        dims = {k: s[axis] for k, s in known.items() if s[axis] is not None}
        if len(set(dims.values())) > 1:
            raise ElectraError(
                f"Backbone inputs disagree on the {axis_name}: {dims}. All of "
                f"{list(BACKBONE_INPUTS)} must have the same shape."
            )
    for key, shape in known.items():
        _check_length(key, shape, max_sequence_length)
    limits = _limits(vocabulary_size, num_segments)
    for key in BACKBONE_INPUTS:
        array = to_host_array(inputs[key])
        if array is not None:
            check_id_array(array, key, *limits[key])


def _check_length(key, shape, max_sequence_length):
    if shape and shape[-1] is not None and shape[-1] > max_sequence_length:
        raise ElectraError(
            f"Input sequence length {shape[-1]} (`{key}`) is longer than the "
            f"model's max_sequence_length={max_sequence_length}. Truncate the "
            "input (the preprocessors' `sequence_length`) or build a model "
            "with more positions."
        )


def _limits(vocabulary_size, num_segments):
    """{input name: (high, hint)}: each input must lie in [0, high)."""
    return {
        "token_ids": (
            vocabulary_size,
            f"The model has vocabulary_size={vocabulary_size}; check that the "
            "tokenizer's vocabulary matches the model.",
        ),
        "segment_ids": (
            num_segments,
            f"The model has num_segments={num_segments}.",
        ),
        "padding_mask": (2, "A padding mask holds 1 for tokens and 0 for padding."),
    }


def check_id_array(array, name, high, hint=""):
    """Raises `ElectraError` unless the numpy `array` holds integers in `[0, high)`.

    Costs one vectorised min and max when the array is fine. Booleans pass.
    Token and segment ids must have an integer dtype; a float padding mask
    must hold exactly 0 and 1.

    Example:
    ```python
    check_id_array(np.array([[2, 7, 3]]), "token_ids", 30)  # fine
    check_id_array(np.array([[2, 30]]), "token_ids", 30)  # ElectraError
    ```
    """
    if array.size == 0 or array.dtype == bool:
        return
    kind = array.dtype.kind
    if kind == "f" and name in ("token_ids", "segment_ids"):
        raise ElectraError(
            f"`{name}` must be integers; received dtype {array.dtype}. Pass "
            "the tokenizer's integer ids, e.g. `np.asarray(ids, 'int32')`."
        )
    if kind not in "iuf":
        raise ElectraError(
            f"`{name}` must be integers in [0, {high}); received dtype {array.dtype}."
        )
    if kind == "f":
        bad = ~np.isin(array, (0.0, 1.0))
        if np.any(bad):
            _raise_first(array, bad, name, high, hint)
        return
    low_value, high_value = array.min(), array.max()
    if low_value < 0 or high_value >= high:
        _raise_first(array, (array < 0) | (array >= high), name, high, hint)


def _raise_first(array, bad, name, high, hint):
    index = np.argwhere(bad)[0]
    value = array[tuple(index)].item()
    axes = "[row, position]" if array.ndim == 2 else "index"
    raise ElectraError(
        f"`{name}` must lie in [0, {high}). Found {int(bad.sum())} value(s) "
        f"outside it; the first is {value} at {axes} {index.tolist()}. {hint}"
    )


def backbone_limits(model):
    """`(vocabulary_size, num_segments, max_sequence_length)` of a model's backbone.

    None when the model has no ELECTRA backbone (nothing to check against).
    """
    backbone = getattr(model, "backbone", None) or model
    try:
        return (
            backbone.vocabulary_size,
            backbone.num_segments,
            backbone.max_sequence_length,
        )
    except AttributeError:
        return None


def check_host_inputs(x, vocabulary_size, num_segments, max_sequence_length):
    """Checks every `token_ids` / `segment_ids` / `padding_mask` in the host data `x`.

    `x` is what `fit` / `evaluate` / `predict` receive: a dict of arrays,
    lists or eager CPU tensors (any rank: multiple-choice inputs have three
    axes), or a tuple `(x, y, sample_weight)` holding one. Datasets,
    generators, device tensors and symbolic values pass unchecked.

    Example:
    ```python
    check_host_inputs({"token_ids": np.array([[2, 40]])}, 30, 2, 512)  # ElectraError
    ```
    """
    limits = _limits(vocabulary_size, num_segments)
    for inputs in _input_dicts(x):
        for name, (high, hint) in limits.items():
            if name not in inputs:
                continue
            array = to_host_array(inputs[name])
            if array is None:
                continue
            _check_length(name, array.shape, max_sequence_length)
            check_id_array(array, name, high, hint)


def _input_dicts(x):
    if isinstance(x, dict):
        yield x
    elif isinstance(x, tuple) and x and isinstance(x[0], dict):
        yield x[0]


def check_pipeline_inputs(x, vocabulary_size, num_segments, max_sequence_length):
    """`check_host_inputs` for one batch of a preprocessing pipeline; returns `x`.

    Host batches (grain, numpy) are checked with numpy. Symbolic `tf.data`
    tensors get a `tf.debugging.Assert` on each id input (as a control
    dependency of the returned tensors); a failure surfaces as a TensorFlow
    error that `raise_pipeline_error` turns into an `ElectraError`.
    """
    if not isinstance(x, dict):
        return x
    limits = _limits(vocabulary_size, num_segments)
    checked = dict(x)
    for name, (high, _) in limits.items():
        value = x.get(name)
        if value is None:
            continue
        if type(value).__module__.startswith("tensorflow") and to_host_array(value) is None:
            checked[name] = _tf_assert_ids(value, name, high)
    check_host_inputs(x, vocabulary_size, num_segments, max_sequence_length)
    return checked


def _tf_assert_ids(value, name, high):
    import tensorflow as tf

    if value.dtype.is_floating and name in ("token_ids", "segment_ids"):
        raise ElectraError(
            f"`{name}` must be integers; received dtype {value.dtype.name}."
        )
    if value.dtype == tf.bool or isinstance(value, tf.RaggedTensor):
        return value
    bad = (value < 0) | (value >= tf.cast(high, value.dtype))
    first = tf.where(bad)[:1]
    check = tf.debugging.Assert(
        tf.logical_not(tf.reduce_any(bad)),
        [
            f"{_MARKER} `{name}` must lie in [0, {high}); the first value outside "
            "it in a batch is",
            tf.gather_nd(value, first),
            "at index",
            first,
        ],
        summarize=8,
    )
    with tf.control_dependencies([check]):
        return tf.identity(value)


def raise_pipeline_error(error):
    """Re-raises a failed `tf.data` input check as an `ElectraError`; else returns.

    Example:
    ```python
    try:
        model.fit(dataset)
    except Exception as e:
        raise_pipeline_error(e)
        raise
    ```
    """
    message = str(error)
    if _MARKER not in message:
        return
    found = re.search(
        re.escape(_MARKER) + r" (.*?)\] \[(.*?)\] \[at index\] \[\[(.*?)\]\]", message
    )
    if found:
        text, value, index = found.groups()
        message = f"{text} {value} at index [{', '.join(index.split())}]."
    else:
        message = message[message.index(_MARKER) + len(_MARKER):].split("\n")[0]
    raise ElectraError(message.strip()) from None


class HostInputChecks:
    """Mixin: `fit` / `evaluate` / `predict` check id inputs before Keras runs.

    Array data (dicts of numpy arrays, lists, eager CPU tensors) is checked
    once per call, on the host, before a compiled step exists: a vectorised
    min and max per input. Batches that `preprocess_samples` produces (task
    pipelines over grain or `tf.data`, including a user's dataset mapped by
    keras-hub) are checked per batch. Without it JAX and TensorFlow would
    clamp or zero out-of-range gathers and return NaN or plausible numbers.

    Put it before the Keras base class. The model, or its `backbone`, needs
    `vocabulary_size`, `num_segments` and `max_sequence_length`.
    """

    def check_inputs(self, x):
        """Raises `ElectraError` on bad host `token_ids`/`segment_ids`/`padding_mask`."""
        limits = backbone_limits(self)
        if limits is not None:
            check_host_inputs(x, *limits)

    def _check_call_inputs(self, x, validation_data=None):
        self.check_inputs(x)
        if isinstance(validation_data, (tuple, list)) and validation_data:
            self.check_inputs(validation_data[0])

    def fit(self, x=None, y=None, *args, **kwargs):
        self._check_call_inputs(x, kwargs.get("validation_data"))
        return self._run_checked(super().fit, x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        self._check_call_inputs(x)
        return self._run_checked(super().evaluate, x, y, *args, **kwargs)

    def predict(self, x=None, *args, **kwargs):
        self._check_call_inputs(x)
        return self._run_checked(super().predict, x, *args, **kwargs)

    def _run_checked(self, method, *args, **kwargs):
        """Runs `method`; a failed pipeline check becomes an `ElectraError`."""
        guard = _jax_state_guard(kwargs)
        try:
            return method(*args, **kwargs)
        except Exception as error:
            if guard is not None:
                guard.restore()
            raise_pipeline_error(error)
            raise

    def preprocess_samples(self, x, y=None, sample_weight=None):
        data = super().preprocess_samples(x, y, sample_weight)
        limits = backbone_limits(self)
        if limits is None:
            return data
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = check_pipeline_inputs(x, *limits)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)


def _jax_state_guard(kwargs):
    """Adds a `_JaxStateGuard` to `kwargs["callbacks"]` on JAX; returns it or None."""
    if keras.config.backend() != "jax":
        return None
    callbacks = kwargs.get("callbacks")
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        return None  # a CallbackList: leave it alone
    guard = _JaxStateGuard()
    kwargs["callbacks"] = list(callbacks or []) + [guard]
    return guard


class _JaxStateGuard(keras.callbacks.Callback):
    """Reattaches a JAX model's variables after an error from its data.

    Keras' JAX trainer detaches variable values while it iterates and
    reattaches them only when the loop ends, so an error raised by the data
    (a failed pipeline check) would leave the model without weights. This
    keeps references to the values at the start of the loop.
    """

    snapshot = ()

    def _take(self, logs=None):
        model = self.model
        variables = list(model.variables) + list(model.metrics_variables)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and optimizer.built:
            variables += list(optimizer.variables)
        self.snapshot = [(v, v.value) for v in variables]

    on_train_begin = on_test_begin = on_predict_begin = _take

    def restore(self):
        purged = [(v, x) for v, x in self.snapshot if private_api.is_detached(v)]
        if not purged:
            return
        if any(x.is_deleted() for _, x in purged):
            # Steps ran (and donated the values): the trainer holds the latest.
            self.model.jax_state_sync()
        else:
            for variable, value in purged:
                variable.assign(value)
