"""ElectraPacker: `[CLS] a [SEP] b [SEP]` packing with the original's truncation."""

import sys

import keras
import numpy as np
from keras_hub.layers import MultiSegmentPacker

from keras_electra.errors import ElectraError

TRUNCATION_STRATEGIES = ("longest_first", "round_robin", "waterfall")


def longest_first_lengths(length_a, length_b, budget, minimum=min, maximum=max):
    """Segment lengths after BERT/ELECTRA's `_truncate_seq_pair`.

    The original pops one token at a time from the longer segment (from the
    second on ties) until the pair fits in `budget`. This is its closed form;
    pass `tf.minimum` / `tf.maximum` to apply it to tensors of lengths.
    """
    keep_a = minimum(length_a, maximum(budget - length_b, (budget + 1) // 2))
    keep_b = minimum(length_b, budget - keep_a)
    return keep_a, keep_b


def check_sequence_length(sequence_length, minimum, special="[CLS] and [SEP]"):
    """Raises `ElectraError` unless `sequence_length` is an int >= `minimum`.

    Example:
    ```python
    check_sequence_length(128, 2)  # fine
    check_sequence_length(0, 2)  # ElectraError
    ```
    """
    is_int = isinstance(sequence_length, int) and not isinstance(sequence_length, bool)
    if not is_int or sequence_length < minimum:
        raise ElectraError(
            f"`sequence_length` must be an integer >= {minimum} (room for {special}). "
            f"Received: {sequence_length!r}."
        )


def check_not_empty(segments, owner):
    """Raises `ElectraError` when a batch of texts (or a segment of pairs) is empty."""
    for segment in segments if isinstance(segments, tuple) else (segments,):
        size = None
        if isinstance(segment, list):
            size = len(segment)
        elif getattr(segment, "shape", None) is not None and len(segment.shape) >= 1:
            size = segment.shape[0]
        if size == 0:
            raise ElectraError(
                f"{owner} received an empty batch (no texts). Pass at least one "
                "text, e.g. `preprocessor([\"a text\"])`."
            )


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _tf():
    import tensorflow as tf

    return tf


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraPacker(MultiSegmentPacker):
    """Packs one or two segments as `[CLS] a [SEP] b [SEP]`, padded.

    A `keras_hub.layers.MultiSegmentPacker` with one more truncation strategy,
    `"longest_first"`, the original ELECTRA/BERT rule (`_truncate_seq_pair`):
    drop tokens from the end of the longer segment until the pair fits. Returns
    `(token_ids, segment_ids)`; works on Python lists, numpy and in `tf.data`,
    batched or not.

    Args:
        sequence_length: int. Output length.
        start_value, end_value, pad_value: ids of [CLS], [SEP] and [PAD].
        truncate: `"longest_first"` (default, the original), `"round_robin"`
            or `"waterfall"`. `"longest_first"` takes at most two segments.

    Example:
    ```python
    packer = ElectraPacker(sequence_length=8, start_value=2, end_value=3,
                           pad_value=0)
    token_ids, segment_ids = packer(([5, 6, 7, 8, 9], [10, 11, 12]))
    # token_ids:   [2, 5, 6, 7, 3, 10, 11, 3]
    # segment_ids: [0, 0, 0, 0, 0, 1, 1, 1]
    ```
    """

    def __init__(self, sequence_length, start_value, end_value, pad_value=None,
                 truncate="longest_first", **kwargs):
        if truncate not in TRUNCATION_STRATEGIES:
            raise ElectraError(
                f"`truncate` must be one of {TRUNCATION_STRATEGIES}. "
                f"Received: {truncate!r}."
            )
        check_sequence_length(sequence_length, len(_as_list(start_value)) + len(_as_list(end_value)))
        base = "round_robin" if truncate == "longest_first" else truncate
        super().__init__(
            sequence_length=sequence_length,
            start_value=start_value,
            end_value=end_value,
            pad_value=pad_value,
            truncate=base,
            **kwargs,
        )
        self.truncate = truncate
        # No weights. Built here, since `pack_host` skips `__call__` (which
        # builds): Keras' trainers run a model with an unbuilt layer eagerly
        # on a first batch before every `predict` call.
        self.built = True

    @classmethod
    def for_tokenizer(cls, tokenizer, sequence_length, truncate="longest_first"):
        """A packer with `tokenizer`'s [CLS], [SEP] and [PAD] ids."""
        return cls(
            sequence_length=sequence_length,
            start_value=tokenizer.cls_token_id,
            end_value=tokenizer.sep_token_id,
            pad_value=tokenizer.pad_token_id,
            truncate=truncate,
        )

    def _budget(self, num_segments, sequence_length):
        sequence_length = sequence_length or self.sequence_length
        special = len(self.start_value) + len(self.end_value)
        special += (num_segments - 1) * len(self.sep_value)
        if sequence_length < special:
            raise ElectraError(
                f"sequence_length={sequence_length} cannot hold the {special} "
                f"special tokens of {num_segments} segment(s) ([CLS] and one "
                f"[SEP] each); use sequence_length >= {special}."
            )
        return sequence_length - special

    def _check_segment_count(self, num_segments):
        if num_segments > 2:
            raise ValueError(
                "truncate='longest_first' packs at most two segments. "
                f"Received {num_segments}; use 'round_robin' or 'waterfall'."
            )

    def call(self, inputs, sequence_length=None, add_start_value=True, add_end_value=True):
        # keras-hub's Python path walks every token id with `keras.tree`, which on
        # torch (pytree) took 1.3 s per 1,600 texts; this one packs with numpy.
        rows = _python_id_rows(inputs)
        length = sequence_length or self.sequence_length
        if rows is None or self.truncate != "longest_first" or length is None:
            outputs = super().call(inputs, sequence_length, add_start_value, add_end_value)
            if self.truncate != "longest_first" or not (
                    isinstance(inputs, tuple) and len(inputs) == 2):
                return outputs
            # The original packs a pair with an empty second segment as the
            # first alone: pick those rows from a single-segment packing.
            single = super().call(inputs[0], sequence_length, add_start_value, add_end_value)
            closing = len(self.end_value) if add_end_value else 0
            return _with_empty_pairs_as_single(outputs, single, closing)
        segments, batched = rows
        return _packed_outputs(self._pack_rows(
            segments, int(length), add_start_value, add_end_value), batched)

    def pack_host(self, inputs, sequence_length=None):
        """Packs host token ids (lists or numpy), as calling the layer does.

        Skips `Layer.__call__`, whose walk over every id of a ragged batch
        (`keras.tree`, pytree on torch) took longer than the packing itself.
        Anything else (tensors, strings, inside `tf.data`) goes through `__call__`.
        """
        if _python_id_rows(inputs) is None:
            return self(inputs, sequence_length=sequence_length)
        return self.call(inputs, sequence_length=sequence_length)

    def _pack_rows(self, segments, length, add_start_value, add_end_value):
        """`(token_ids, segment_ids)` int32 arrays of lists of id rows."""
        self._check_segment_count(len(segments))
        start = self.start_value if add_start_value else []
        end = self.end_value if add_end_value else []
        special = len(start) + len(end) + (len(segments) - 1) * len(self.sep_value)
        if length < special:
            self._budget(len(segments), length)  # raises the error that names it
        budget = length - special
        pad = 0 if self.pad_value is None else self.pad_value
        token_ids = np.full((len(segments[0]), length), pad, "int32")
        segment_ids = np.zeros((len(segments[0]), length), "int32")
        for index, row in enumerate(zip(*segments)):
            if len(row) == 1 or not len(row[1]):
                # The original's `if tokens_b:`: no second [SEP] for an empty b.
                parts = [list(row[0][:budget + (len(segments) - 1) * len(self.sep_value)])]
            else:
                keep = longest_first_lengths(len(row[0]), len(row[1]), budget)
                parts = [list(row[0][:keep[0]])] + ([list(row[1][:keep[1]])] if keep[1] else [])
            tokens, ids = list(start), [0] * len(start)
            for segment, part in enumerate(parts):
                tail = end if segment == len(parts) - 1 else self.sep_value
                tokens += part + list(tail)
                ids += [segment] * (len(part) + len(tail))
            token_ids[index, :len(tokens)] = tokens
            segment_ids[index, :len(ids)] = ids
        return token_ids, segment_ids

    def _trim_inputs_tf(self, inputs, sequence_length=None, **kwargs):
        budget = self._budget(len(inputs), sequence_length)  # checks the length
        if self.truncate != "longest_first":
            return super()._trim_inputs_tf(inputs, sequence_length, **kwargs)
        tf = _tf()
        self._check_segment_count(len(inputs))
        if len(inputs) == 1:
            return [inputs[0][:, :budget]]
        a, b = inputs
        len_a, len_b = a.row_lengths(), b.row_lengths()
        budget = tf.cast(budget, len_a.dtype)
        keep_a, keep_b = longest_first_lengths(
            len_a, len_b, budget, tf.minimum, tf.maximum
        )
        return [_take_first(a, keep_a), _take_first(b, keep_b)]

    def _trim_inputs_python(self, inputs, sequence_length=None, **kwargs):
        budget = self._budget(len(inputs), sequence_length)  # checks the length
        if self.truncate != "longest_first":
            return super()._trim_inputs_python(inputs, sequence_length, **kwargs)
        self._check_segment_count(len(inputs))
        if len(inputs) == 1:
            return [[row[:budget] for row in inputs[0]]]
        trimmed_a, trimmed_b = [], []
        for row_a, row_b in zip(*inputs):
            keep_a, keep_b = longest_first_lengths(len(row_a), len(row_b), budget)
            trimmed_a.append(row_a[:keep_a])
            trimmed_b.append(row_b[:keep_b])
        return [trimmed_a, trimmed_b]


def _is_id_row(row):
    if isinstance(row, np.ndarray):
        return row.ndim == 1 and row.dtype.kind in "iu"
    return isinstance(row, (list, tuple)) and all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in row)


def _python_id_rows(inputs):
    """`(segments, batched)` for host token ids (lists or numpy), else None."""
    eager = getattr(sys.modules.get("tensorflow"), "executing_eagerly", None)
    if eager is not None and not eager():
        return None  # inside `tf.data` / `tf.function`
    segments = inputs if isinstance(inputs, tuple) else (inputs,)
    rows, batched = [], set()
    for segment in segments:
        if isinstance(segment, np.ndarray) and segment.ndim == 2:
            segment = list(segment)
        if _is_id_row(segment) and len(segment):
            rows.append([segment])
            batched.add(False)
        elif isinstance(segment, list) and segment and all(_is_id_row(r) for r in segment):
            rows.append(segment)
            batched.add(True)
        else:
            return None  # strings, tensors, empty input: keras-hub's own path
    if len(batched) != 1 or len({len(r) for r in rows}) != 1:
        return None
    return rows, batched.pop()


def _packed_outputs(arrays, batched):
    from keras_electra.fast_paths.private_api import convert_preprocessing_outputs

    if not batched:
        arrays = tuple(a[0] for a in arrays)
    return convert_preprocessing_outputs(arrays)


def _with_empty_pairs_as_single(pair, single, closing):
    """`pair`'s packed rows, with `single`'s where the second segment was empty.

    A row's second segment was empty where segment 1 holds only its closing
    `[SEP]` (`closing` tokens). Outputs of `tf.data` stay TensorFlow tensors.
    """
    tf = sys.modules.get("tensorflow")
    if tf is not None and tf.is_tensor(pair[0]):
        empty = tf.reduce_sum(tf.cast(pair[1] == 1, "int32"), axis=-1) == closing
        return tuple(tf.where(empty[..., None], s, p) for s, p in zip(single, pair))
    arrays = [np.asarray(x) for x in (*pair, *single)]
    empty = (arrays[1] == 1).sum(axis=-1) == closing
    picked = tuple(np.where(empty[..., None], s, p) for s, p in zip(arrays[2:], arrays[:2]))
    return _packed_outputs(picked, batched=True)


def _take_first(ragged, keep):
    """The first `keep[i]` items of each row of a ragged tensor."""
    tf = _tf()
    positions = tf.ragged.range(ragged.row_lengths())
    return tf.ragged.boolean_mask(ragged, positions < tf.expand_dims(keep, 1))
