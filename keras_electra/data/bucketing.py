"""Length-bucketed batches of packed features: plans, a Keras `PyDataset`, `tf.data`.

Packed features (`token_ids`, `segment_ids`, `padding_mask`, padded to the
full `sequence_length`) are cut into batches, and each batch is trimmed to
the smallest bucket length that holds its longest example. Padding is masked,
so the model's outputs on real positions do not change; only the work on
padding goes away. Shapes stay static per bucket, so `jit_compile` builds at
most one program per bucket length (and batch size).

Pure numpy: TensorFlow is only imported by `to_tf_dataset`.
"""

import math

import keras
import numpy as np

from keras_electra.errors import ElectraError

FEATURE_KEYS = ("token_ids", "segment_ids", "padding_mask")
# Fill of per-position outputs beyond a batch's bucket (see `BucketedBatches`).
PAD_OUTPUT = -10000.0


class Bucketing:
    """How `fit`, `evaluate` and `predict` batch packed examples.

    Args:
        enabled: bool. False pads every batch to the full `sequence_length`
            (one bucket).
        multiple: int or None. Bucket lengths are the multiples of it up to
            the sequence length (which is always a bucket). None (default):
            `auto_multiple(sequence_length)`: on jax and TensorFlow a
            multiple of 8 that gives at most 16 buckets (8 at length 128, 32
            at 512); on torch 1 (each batch padded to its longest example).
        boundaries: optional explicit bucket lengths (sorted; the sequence
            length is added). Overrides `multiple`.
        group_by_length: bool. In `fit`, sort examples by length within
            windows of `window` batches before batching (as transformers'
            `group_by_length`), then shuffle the batches. Less padding,
            less random batch composition. `evaluate` and `predict` always
            sort, since their results do not depend on the order.
        window: int. Batches per `group_by_length` window (50, as
            transformers' mega-batches).

    Example:
    ```python
    Bucketing().lengths(64)  # jax, TensorFlow: [8, 16, 24, 32, 40, 48, 56, 64]
    Bucketing(multiple=32).lengths(128)  # [32, 64, 96, 128]
    Bucketing(boundaries=[16, 64]).lengths(128)  # [16, 64, 128]
    Bucketing(enabled=False).lengths(128)  # [128]
    ```
    """

    def __init__(self, enabled=True, multiple=None, boundaries=None,
                 group_by_length=False, window=50):
        if multiple is not None and (not isinstance(multiple, int) or multiple < 1):
            raise ElectraError(
                f"`multiple` must be None or an int >= 1. Received: {multiple!r}."
            )
        if not isinstance(window, int) or window < 1:
            raise ElectraError(f"`window` must be an int >= 1. Received: {window!r}.")
        if boundaries is not None:
            boundaries = sorted(int(b) for b in boundaries)
            if not boundaries or boundaries[0] < 1:
                raise ElectraError(
                    f"`boundaries` must be positive lengths. Received: {boundaries!r}."
                )
        self.enabled = bool(enabled)
        self.multiple = multiple
        self.boundaries = boundaries
        self.group_by_length = bool(group_by_length)
        self.window = window

    @classmethod
    def get(cls, value):
        """A `Bucketing` from a `Bucketing`, a bool or None (`default_bucketing()`)."""
        if isinstance(value, cls):
            return value
        if value is None:
            return _default[0]
        if isinstance(value, bool):
            return cls(enabled=value)
        raise ElectraError(
            f"`bucketing` must be True, False or a `Bucketing`. Received: {value!r}."
        )

    def lengths(self, sequence_length, compiled=None):
        """The bucket lengths for packed features of `sequence_length`.

        `compiled`: whether each length is a compiled program (see
        `auto_multiple`); only matters under `multiple=None`.
        """
        if not self.enabled:
            return [sequence_length]
        if self.boundaries is not None:
            found = [b for b in self.boundaries if b < sequence_length]
        else:
            multiple = self.multiple or auto_multiple(sequence_length, compiled)
            found = list(range(multiple, sequence_length, multiple))
        return found + [sequence_length]

    def __repr__(self):
        return (f"Bucketing(enabled={self.enabled}, multiple={self.multiple}, "
                f"boundaries={self.boundaries}, group_by_length={self.group_by_length}, "
                f"window={self.window})")


# At most this many bucket lengths (so compiled programs) under `multiple=None`.
MAX_AUTO_BUCKETS = 16


def auto_multiple(sequence_length, compiled=None):
    """The default bucket step for the current backend.

    Where each bucket length is one compiled program (jax, TensorFlow, and
    torch under `jit_compile=True`), a multiple of 8 giving at most
    `MAX_AUTO_BUCKETS` buckets. On eager torch, 1: each batch is padded to
    its longest example, as transformers' dynamic padding. Finer buckets pad
    less (SST-2 at length 128, batch 16: 45 tokens per batch on average with
    steps of 1, 49 with 8, 64 with 32).

    Args:
        sequence_length: int. The full packed length.
        compiled: bool or None. None: True except on torch.
    """
    if compiled is None:
        compiled = keras.config.backend() != "torch"
    if not compiled:
        return 1
    return 8 * max(1, math.ceil(sequence_length / (8 * MAX_AUTO_BUCKETS)))


_default = [Bucketing()]


def default_bucketing():
    """What task models use when neither they nor the call set `bucketing` (on)."""
    return _default[0]


def set_default_bucketing(value):
    """Sets the process-wide default (`True`, `False` or a `Bucketing`); the CLI's switch.

    Example:
    ```python
    set_default_bucketing(False)  # every task pads to its full length
    set_default_bucketing(Bucketing(group_by_length=True))
    ```
    """
    _default[0] = Bucketing.get(True if value is None else value)


def example_lengths(padding_mask):
    """Per example, one past its last unmasked position (the max over choices)."""
    mask = np.asarray(padding_mask) != 0
    positions = np.arange(1, mask.shape[-1] + 1)
    lengths = np.max(np.where(mask, positions, 0), axis=-1)
    while lengths.ndim > 1:
        lengths = lengths.max(axis=-1)
    return lengths.astype("int64")


def bucket_of(lengths, buckets):
    """The smallest bucket length that holds each length."""
    buckets = np.asarray(buckets)
    return buckets[np.searchsorted(buckets, np.maximum(lengths, 1))]


def plan_batches(lengths, batch_size, buckets, order=None, sort=False,
                 group_window=None, rng=None):
    """Cuts examples into batches; returns `[(indices, bucket_length), ...]`.

    Args:
        lengths: per-example lengths (`example_lengths`).
        batch_size: int.
        buckets: sorted bucket lengths; the last holds every example.
        order: the order to batch in (default: input order).
        sort: bool. Sort all examples by length first (evaluation and
            prediction: least padding, results unchanged).
        group_window: int or None. Sort by length within windows of this
            many batches (transformers' `group_by_length`), then shuffle
            the batches with `rng`.
        rng: a `numpy.random.Generator` for `group_window`.
    """
    lengths = np.asarray(lengths)
    order = np.arange(len(lengths)) if order is None else np.asarray(order)
    if sort:
        order = order[np.argsort(lengths[order], kind="stable")]
    elif group_window:
        size = group_window * batch_size
        order = np.concatenate([
            chunk[np.argsort(-lengths[chunk], kind="stable")]
            for chunk in np.array_split(order, max(1, math.ceil(len(order) / size)))
        ]) if len(order) else order
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if group_window and not sort and len(batches) > 1:
        # The longest batch first (a memory check, as transformers), then random.
        rng = rng or np.random.default_rng()
        longest = max(range(len(batches)), key=lambda i: lengths[batches[i]].max())
        rest = [b for i, b in enumerate(batches) if i != longest]
        batches = [batches[longest]] + [rest[i] for i in rng.permutation(len(rest))]
    return [
        (indices, int(bucket_of(lengths[indices].max(keepdims=True), buckets)[0]))
        for indices in batches
    ]


class BucketedBatches(keras.utils.PyDataset):
    """A Keras `PyDataset` of length-bucketed batches of packed features.

    Holds `x` (a dict with `token_ids`, `segment_ids`, `padding_mask` and
    any other per-example inputs), optional `y` and `sample_weight`, all as
    host arrays at the full sequence length. Batch `i` takes the examples
    of its plan and trims every array shaped like `token_ids` (labels and
    weights of tagging included) to its bucket length along the last axis.
    With `scale_position_weights`, per-position sample weights are scaled by
    `bucket / sequence_length`: a loss reduced with `sum_over_batch_size`
    divides by the padded length, and so do Keras' weighted `Mean` metrics
    (a mean over the length per example); scaled, both equal the unbucketed
    values. A summed loss needs them unscaled (and metrics that sum over
    positions, as the tagger's token accuracy).

    Args:
        x, y, sample_weight: host data (numpy arrays, nested in dicts).
        batch_size: int.
        bucketing: a `Bucketing`.
        shuffle: bool. A new random order every epoch (`fit`).
        sort: bool. Sort by length (`evaluate`, `predict`).
        scale_position_weights: bool. Scale per-position sample weights by
            `bucket / sequence_length` (for losses and metrics that divide
            by the padded length; see `divides_by_length`).
        compiled: bool or None. Whether each bucket length is a compiled
            program (`auto_multiple`); None: True except on torch.
        workers, max_queue_size: Keras `PyDataset` read-ahead
            (`keras_electra.data.input_pipeline.pipeline_settings`).

    Example:
    ```python
    batches = BucketedBatches(features, labels, batch_size=32,
                              bucketing=Bucketing(multiple=32))
    model.fit(batches, epochs=2)
    ```
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, bucketing=None,
                 shuffle=False, sort=False, plan=None, workers=1, max_queue_size=10,
                 scale_position_weights=True, compiled=None):
        super().__init__(workers=workers, use_multiprocessing=False,
                         max_queue_size=max_queue_size)
        if not isinstance(x, dict) or "padding_mask" not in x:
            raise ElectraError("`BucketedBatches` needs a dict of packed features "
                               "with a `padding_mask`.")
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size = int(batch_size)
        self.bucketing = Bucketing.get(bucketing)
        self.shuffle = shuffle
        self.sort = sort
        self.scale_position_weights = bool(scale_position_weights)
        self.token_shape = tuple(np.shape(x["token_ids"]))
        self.sequence_length = self.token_shape[-1]
        self.buckets = self.bucketing.lengths(self.sequence_length, compiled)
        self.lengths = example_lengths(x["padding_mask"])
        self.plan = plan if plan is not None else self._new_plan()

    def _new_plan(self):
        order = np.random.permutation(len(self.lengths)) if self.shuffle else None
        window = self.bucketing.window if self.bucketing.group_by_length else None
        return plan_batches(self.lengths, self.batch_size, self.buckets, order=order,
                            sort=self.sort, group_window=window if self.shuffle else None,
                            rng=np.random.default_rng(np.random.randint(2**31)))

    @property
    def num_batches(self):
        return len(self.plan)

    def __len__(self):
        return len(self.plan)

    def __getitem__(self, index):
        indices, length = self.plan[index]
        take = lambda value: self._take(value, indices, length)  # noqa: E731
        x = keras.tree.map_structure(take, self.x)
        if self.y is None:
            return (x,)
        y = keras.tree.map_structure(take, self.y)
        if self.sample_weight is None:
            return x, y
        return x, y, keras.tree.map_structure(
            lambda w: self._take_weights(w, indices, length), self.sample_weight
        )

    def _take(self, value, indices, length):
        value = np.asarray(value)[indices]
        if value.shape[1:] == self.token_shape[1:]:
            value = value[..., :length]
        return value

    def _take_weights(self, value, indices, length):
        # A reduction that divides by the padded length gets the kept
        # fraction as a factor: exactly the full-length values.
        value = np.asarray(value)
        if value.shape[1:] != self.token_shape[1:]:
            return value[indices]
        value = value[indices][..., :length]
        if not self.scale_position_weights:
            return value
        return (value * (length / self.sequence_length)).astype(value.dtype)

    def on_epoch_end(self):
        if self.shuffle:
            self.plan = self._new_plan()

    def by_bucket(self):
        """One `BucketedBatches` per bucket length in use, with the same order."""
        lengths = sorted({length for _, length in self.plan})
        return [
            (length, BucketedBatches(
                self.x, self.y, self.sample_weight, self.batch_size, self.bucketing,
                plan=[entry for entry in self.plan if entry[1] == length],
                workers=self.workers, max_queue_size=self.max_queue_size,
                scale_position_weights=self.scale_position_weights,
            ))
            for length in lengths
        ]

    def to_tf_dataset(self, settings=None):
        """A `tf.data.Dataset` of the batches, the length axis left unknown.

        Keras infers a `PyDataset`'s spec on TensorFlow from its first two
        batches, which fixes the length of later buckets; this one does not.
        The plan is redrawn every pass when shuffling.
        """
        import tensorflow as tf

        from keras_electra.data.input_pipeline import tf_data_options

        trimmed = self.token_shape[1:-1] + (self.plan[0][1],)  # batch 0's shape

        def spec(value):
            value = np.asarray(value)
            shape = [None] + list(value.shape[1:])
            if tuple(value.shape[1:]) == trimmed:
                shape[-1] = None
            return tf.TensorSpec(shape, tf.as_dtype(value.dtype))

        signature = keras.tree.map_structure(spec, self[0])

        def batches():
            for index in range(len(self)):
                yield self[index]
            self.on_epoch_end()

        ds = tf.data.Dataset.from_generator(batches, output_signature=signature)
        ds = ds.apply(tf.data.experimental.assert_cardinality(len(self)))
        options = tf_data_options(settings)
        return ds.with_options(options).prefetch(
            (settings or {}).get("prefetch", tf.data.AUTOTUNE)
        )


def divides_by_length(loss):
    """Whether a compiled Keras loss divides per-position losses by the padded length.

    True for the reductions `"sum_over_batch_size"` and `"mean"` (Keras'
    default, also for loss names and functions); False for `"sum"`,
    `"mean_with_sample_weight"` (a per-batch ratio) and no loss. Nested
    losses: True if any is.

    Example:
    ```python
    divides_by_length(keras.losses.SparseCategoricalCrossentropy())  # True
    divides_by_length(keras.losses.SparseCategoricalCrossentropy(reduction="sum"))  # False
    ```
    """
    if loss is None:
        return False
    if isinstance(loss, (dict, list, tuple)):
        return any(divides_by_length(item) for item in keras.tree.flatten(loss))
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    return getattr(loss, "reduction", "sum_over_batch_size") in ("sum_over_batch_size", "mean")


def restore_order(bucket_outputs, size, sequence_axes, sequence_length):
    """Puts per-bucket predictions back in input order, padded to full length.

    Args:
        bucket_outputs: `[(plan, outputs), ...]`, one per bucket, `outputs`
            as Keras' `predict` returns them for that bucket's batches.
        size: number of examples.
        sequence_axes: structure like `outputs`: the axis of each output
            that runs along the sequence, or 0 for none.
        sequence_length: the full length.

    Returns:
        Outputs for all examples in input order. Per-position outputs past
        an example's bucket hold `PAD_OUTPUT` (0 for integers).
    """
    result = None
    for plan, outputs in bucket_outputs:
        indices = np.concatenate([entry[0] for entry in plan])

        def place(out, axis, existing):
            out = np.asarray(out)
            if existing is None:
                shape = list(out.shape)
                shape[0] = size
                if axis:
                    shape[axis] = sequence_length
                fill = PAD_OUTPUT if out.dtype.kind == "f" else 0
                existing = np.full(shape, fill, out.dtype)
            region = (indices,) + tuple(slice(0, n) for n in out.shape[1:])
            existing[region] = out
            return existing

        if result is None:
            result = keras.tree.map_structure(
                lambda o, a: place(o, a, None), outputs, sequence_axes
            )
        else:
            result = keras.tree.map_structure(place, outputs, sequence_axes, result)
    return result
