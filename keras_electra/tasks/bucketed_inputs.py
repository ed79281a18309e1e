"""BucketedInputs: task `fit`/`evaluate`/`predict` on host data in length buckets."""

import keras
import numpy as np

from keras_electra.data.bucketing import BucketedBatches
from keras_electra.data.bucketing import Bucketing
from keras_electra.data.bucketing import divides_by_length
from keras_electra.data.bucketing import restore_order
from keras_electra.data.input_pipeline import pipeline_settings
from keras_electra.data.input_pipeline import tf_data_options

_PACK_CHUNK = 4096  # texts tokenized per preprocessor call


class BucketedInputs:
    """Mixin for tasks: host data runs in length-bucketed batches.

    Host data is raw text (or word lists, or choices) with a preprocessor,
    or a dict of packed numpy features with a `padding_mask` (SQuAD windows,
    arrays). It is packed once on the host at the full `sequence_length`,
    then each batch is trimmed to the smallest bucket length holding its
    longest example (`keras_electra.data.bucketing`). Padding is masked, so
    results match unbucketed runs up to float noise; predictions come back
    in input order, per-position outputs padded back to full length.

    The switch: the `bucketing` attribute of the model (default on) or a
    `bucketing=` argument of `fit`/`evaluate`/`predict`: `True`, `False`
    (one bucket, the full length) or a `Bucketing` (bucket lengths,
    `group_by_length`). `fit` takes `shuffle` as Keras does (default True:
    a new order every epoch).

    Batches are cut in the training thread (a slice per batch); on
    TensorFlow they go through `tf.data` with the thread pool and read-ahead
    of `pipeline_settings`. Datasets (`tf.data`, grain, `PyDataset`),
    generators and backend tensors go the keras-hub way; `tf.data` datasets
    get the sized thread pool too. `validation_split` (the last examples,
    before shuffling) and `class_weight` (one class id per example) stay on
    this path, so the training data is still shuffled (keras-hub batches
    host data for them in order).
    Tasks opt in with `supports_bucketing = True`; those whose outputs depend
    on the padded length (`trims_padding = False`) take the same path with
    one full-length bucket, so their host data is shuffled too.

    Example:
    ```python
    classifier.fit(texts, labels, batch_size=32)  # bucketed
    classifier.fit(texts, labels, batch_size=32, bucketing=False)
    classifier.bucketing = Bucketing(multiple=16, group_by_length=True)
    ```
    """

    bucketing = None  # None: on, with the default `Bucketing()`
    supports_bucketing = False  # task models that take host data this way set True
    trims_padding = True  # False: outputs change with the padded length; one bucket

    def _bucketing(self, value):
        """The `Bucketing` of a call; one full-length bucket when padding can't be trimmed."""
        return Bucketing.get(value) if self.trims_padding else Bucketing(enabled=False)

    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        bucketing = self._bucketing(kwargs.pop("bucketing", self.bucketing))
        data = self._bucket_data(x, y, kwargs.get("sample_weight"))
        validation = kwargs.get("validation_data")
        packed_validation = None
        if validation is not None and data is not None:
            vx, vy, vsw = keras.utils.unpack_x_y_sample_weight(tuple(validation))
            packed_validation = self._bucket_data(vx, vy, vsw)
        # keras-hub batches host data for these without shuffling; keep them here.
        if data is not None and kwargs.get("class_weight") is not None and not _one_class_each(data):
            data = None
        if data is not None and validation is None and kwargs.get("validation_split"):
            data, packed_validation = _split_tail(data, kwargs.pop("validation_split"))
            validation = packed_validation
        if data is not None and kwargs.get("class_weight") is not None:
            data = _fold_class_weight(data, kwargs.pop("class_weight"))
        if (
            data is None
            or (validation is not None and packed_validation is None)
            or kwargs.get("validation_split")
            or kwargs.get("class_weight") is not None
        ):
            return super().fit(self._sized(x), y, batch_size=batch_size, **kwargs)
        batch_size = batch_size or 32
        kwargs.pop("sample_weight", None)
        shuffle = kwargs.pop("shuffle", True)
        kwargs["shuffle"] = False  # the batches shuffle themselves
        settings = pipeline_settings()
        batches = self._batches(data, batch_size, bucketing, settings, shuffle=shuffle)
        if packed_validation is not None:
            size = kwargs.pop("validation_batch_size", None) or batch_size
            kwargs["validation_data"] = self._feed(
                self._batches(packed_validation, size, bucketing, settings, sort=True),
                settings,
            )
        return keras.Model.fit(self, self._feed(batches, settings), **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        bucketing = self._bucketing(kwargs.pop("bucketing", self.bucketing))
        data = None
        if not kwargs.get("_use_cached_eval_dataset"):
            data = self._bucket_data(x, y, kwargs.get("sample_weight"))
        if data is None:
            return super().evaluate(self._sized(x), y, batch_size=batch_size, **kwargs)
        kwargs.pop("sample_weight", None)
        settings = pipeline_settings()
        batches = self._batches(data, batch_size or 32, bucketing, settings, sort=True)
        return keras.Model.evaluate(self, self._feed(batches, settings), **kwargs)

    def predict(self, x=None, batch_size=None, **kwargs):
        bucketing = self._bucketing(kwargs.pop("bucketing", self.bucketing))
        data = self._bucket_data(x, None, None)
        if data is None:
            return super().predict(self._sized(x), batch_size=batch_size, **kwargs)
        settings = pipeline_settings()
        batches = self._batches(data, batch_size or 32, bucketing, settings, sort=True)
        results = [
            (part.plan, keras.Model.predict(self, self._feed(part, settings), **kwargs))
            for _, part in batches.by_bucket()
        ]
        axes = keras.tree.map_structure(_sequence_axis, self.output)
        return restore_order(results, len(batches.lengths), axes, batches.sequence_length)

    # --- helpers ---

    def _batches(self, data, batch_size, bucketing, settings, shuffle=False, sort=False):
        x, y, sample_weight = data
        return BucketedBatches(
            x, y, sample_weight, batch_size, bucketing, shuffle=shuffle, sort=sort,
            workers=1, max_queue_size=settings["prefetch"],
            # Exact for the compiled loss: scaled only where it divides by the length.
            scale_position_weights=divides_by_length(getattr(self, "loss", None)),
            # torch compiles only under `jit_compile=True`: then few lengths, as jax.
            compiled=keras.config.backend() != "torch" or bool(getattr(self, "jit_compile", False)),
        )

    def _feed(self, batches, settings):
        if keras.config.backend() == "tensorflow":
            return batches.to_tf_dataset(settings)
        return batches

    def _sized(self, x):
        """A user's `tf.data` dataset, with a thread pool sized to the machine."""
        if type(x).__module__.startswith("tensorflow") and hasattr(x, "with_options"):
            return x.with_options(tf_data_options())
        return x

    def _bucket_data(self, x, y, sample_weight):
        """`(features, y, sample_weight)` as host arrays, or None: not host data."""
        if not self.supports_bucketing or x is None or _is_pipeline(x) or _is_pipeline(y):
            return None
        if isinstance(x, dict):
            if "padding_mask" not in x or "token_ids" not in x:
                return None
            if not all(_is_host(leaf) for leaf in keras.tree.flatten((x, y, sample_weight))):
                return None
            x, y, sample_weight = (_host_arrays(v) for v in (x, y, sample_weight))
            self.check_inputs(x)
            return x, y, sample_weight
        if getattr(self, "preprocessor", None) is None or not _is_text(x):
            return None
        features = self._pack_text(x)
        if features is None:
            return None
        self.check_inputs(features)  # e.g. a tokenizer larger than the model
        return features, _host_arrays(y), _host_arrays(sample_weight)

    def _pack_text(self, x):
        """Runs the preprocessor over text on the host, in chunks."""
        segments = x if isinstance(x, tuple) else (x,)
        segments = [_as_list(segment) for segment in segments]
        size = len(segments[0])
        parts = []
        for start in range(0, size, _PACK_CHUNK):
            chunk = tuple(s[start:start + _PACK_CHUNK] for s in segments)
            packed = self.preprocessor(x=chunk if len(chunk) > 1 else chunk[0])
            if not isinstance(packed, dict) or "padding_mask" not in packed:
                return None
            parts.append({k: _as_numpy(v) for k, v in packed.items()})
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _one_class_each(data):
    """Whether the labels are one class id per example."""
    labels = None if data[1] is None else np.asarray(data[1])
    return labels is not None and labels.ndim == 1 and labels.dtype.kind in "iu"


def _fold_class_weight(data, class_weight):
    """`class_weight` folded into the sample weights, as Keras does."""
    x, y, sample_weight = data
    labels = np.asarray(y)
    missing = sorted(set(labels.tolist()) - set(class_weight))
    if missing:
        raise ValueError(f"`class_weight` has no weight for the classes {missing}.")
    weights = np.asarray([class_weight[int(label)] for label in labels], "float32")
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, "float32")
    return x, y, weights


def _split_tail(data, fraction):
    """Keras' `validation_split`: the last `fraction` of the examples, before shuffling."""
    size = len(data[0]["padding_mask"])
    cut = int(size * (1.0 - fraction))
    if not 0 < cut < size:
        raise ValueError(
            f"`validation_split={fraction}` leaves no training or no validation "
            f"examples out of {size}."
        )

    def part(selection):
        return tuple(
            None if value is None else keras.tree.map_structure(lambda v: v[selection], value)
            for value in data
        )

    return part(slice(0, cut)), part(slice(cut, None))


def _sequence_axis(tensor):
    """The first axis after the batch whose length is unknown (0: none)."""
    shape = tuple(getattr(tensor, "shape", ()) or ())
    return next((axis for axis in range(1, len(shape)) if shape[axis] is None), 0)


def _is_pipeline(x):
    module = type(x).__module__
    return (
        module.startswith(("tensorflow", "grain"))
        or isinstance(x, keras.utils.PyDataset)
        or hasattr(x, "__next__")
    )


def _is_host(leaf):
    return leaf is None or isinstance(leaf, (np.ndarray, list, int, float))


def _is_text(x):
    if isinstance(x, tuple):
        return bool(x) and all(_is_text(segment) for segment in x)
    if isinstance(x, str):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "OSU"
    return isinstance(x, list) and bool(x) and isinstance(x[0], str)


def _as_list(segment):
    if isinstance(segment, str):
        return [segment]
    if isinstance(segment, np.ndarray):
        return [s.decode() if isinstance(s, bytes) else str(s) for s in segment.tolist()]
    return list(segment)


def _as_numpy(value):
    if value is None:
        return None
    if hasattr(value, "numpy") and type(value).__module__.startswith("tensorflow"):
        return value.numpy()
    return keras.ops.convert_to_numpy(value) if not isinstance(value, (np.ndarray, list)) \
        else np.asarray(value)


def _host_arrays(value):
    """Numpy arrays in place of leaves; a list is one array (as `tf.data` reads it)."""
    if isinstance(value, dict):
        return {key: _host_arrays(item) for key, item in value.items()}
    return _as_numpy(value)
