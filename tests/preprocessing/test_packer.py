import random

import numpy as np
import pytest

from keras_electra.preprocessing import ElectraPacker
from keras_electra.preprocessing.packer import longest_first_lengths
from tests.conftest import requires_tf


def truncate_seq_pair(tokens_a, tokens_b, max_length):
    """google-research/electra's `_truncate_seq_pair`, verbatim in logic."""
    while True:
        total_length = len(tokens_a) + len(tokens_b)
        if total_length <= max_length:
            break
        trunc_tokens = tokens_a if len(tokens_a) > len(tokens_b) else tokens_b
        trunc_tokens.pop()


def test_closed_form_matches_the_original_loop():
    rng = random.Random(0)
    for _ in range(3000):
        a, b = list(range(rng.randint(0, 40))), list(range(rng.randint(0, 40)))
        budget = rng.randint(0, 60)
        expected_a, expected_b = list(a), list(b)
        truncate_seq_pair(expected_a, expected_b, budget)
        assert longest_first_lengths(len(a), len(b), budget) == (len(expected_a), len(expected_b))


def packer(truncate="longest_first", length=8):
    return ElectraPacker(sequence_length=length, start_value=2, end_value=3, pad_value=0, truncate=truncate)


def test_pair_layout_and_padding():
    token_ids, segment_ids = packer(length=10)(([5, 6], [7, 8, 9]))
    assert np.asarray(token_ids).tolist() == [2, 5, 6, 3, 7, 8, 9, 3, 0, 0]
    assert np.asarray(segment_ids).tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0]


def test_single_segment_truncates():
    token_ids, segment_ids = packer()([10, 11, 12, 13, 14, 15, 16, 17])
    assert np.asarray(token_ids).tolist() == [2, 10, 11, 12, 13, 14, 15, 3]
    assert np.asarray(segment_ids).tolist() == [0] * 8


@pytest.mark.parametrize("truncate,expected", [
    ("longest_first", [2, 10, 11, 12, 3, 20, 21, 3]),
    ("round_robin", [2, 10, 11, 12, 3, 20, 21, 3]),
    ("waterfall", [2, 10, 11, 12, 13, 14, 3, 3]),
])
def test_truncation_strategies(truncate, expected):
    token_ids, _ = packer(truncate)(([10, 11, 12, 13, 14, 15], [20, 21, 22, 23]))
    assert np.asarray(token_ids).tolist() == expected


def test_longest_first_differs_from_round_robin():
    a, b = [10, 11, 12, 13, 14, 15, 16], [20]
    lf, _ = packer("longest_first", 8)((a, b))
    assert np.asarray(lf).tolist() == [2, 10, 11, 12, 13, 3, 20, 3]


def test_batched_python():
    token_ids, _ = packer()(([[10, 11, 12, 13, 14, 15], [10]], [[20, 21, 22, 23], [20, 21]]))
    assert np.asarray(token_ids).tolist() == [[2, 10, 11, 12, 3, 20, 21, 3], [2, 10, 3, 20, 21, 3, 0, 0]]


def test_three_segments_need_another_strategy():
    with pytest.raises(ValueError, match="at most two segments"):
        packer()(([1], [2], [3]))
    with pytest.raises(ValueError, match="truncate"):
        packer("shortest_first")


def test_config_round_trip():
    p = packer("waterfall", 12)
    assert ElectraPacker.from_config(p.get_config()).get_config() == p.get_config()


@requires_tf
def test_tf_data_matches_python():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    rows_a = [list(rng.integers(5, 50, rng.integers(0, 12))) for _ in range(20)]
    rows_b = [list(rng.integers(5, 50, rng.integers(0, 12))) for _ in range(20)]
    p = packer(length=10)
    expected = np.asarray(p((rows_a, rows_b))[0]).tolist()
    ragged = (tf.ragged.constant(rows_a, dtype="int32"), tf.ragged.constant(rows_b, dtype="int32"))
    ds = tf.data.Dataset.from_tensors(ragged).map(lambda a, b: p((a, b)))
    (token_ids, _), = list(ds.as_numpy_iterator())
    assert token_ids.tolist() == expected


def reference_pack(a, b, length, start=True, end=True):
    """The original's `featurize`: `_truncate_seq_pair` and `[CLS] a [SEP] b [SEP]`, padded with 0.

    As the original, a pair whose `b` is empty (before or after truncation) is
    packed as `a` alone (`if tokens_b:`).
    """
    a, b = list(a), None if not b else list(b)
    special = int(start) + int(end) + (0 if b is None else 1)
    if b is None:
        a = a[:length - special]
    else:
        truncate_seq_pair(a, b, length - special)
    tokens = ([2] if start else []) + a
    segments = [0] * len(tokens)
    if b:
        tokens += [3] + b
        segments += [0] + [1] * len(b)
    if end:
        tokens += [3]
        segments += [1 if b else 0]  # [SEP] closing the last segment
    pad = length - len(tokens)
    return tokens + [0] * pad, segments + [0] * pad


@pytest.mark.parametrize("pair", [False, True])
@pytest.mark.parametrize("as_numpy", [False, True])
def test_host_ids_match_the_original_layout(pair, as_numpy):
    rng = np.random.default_rng(int(pair) * 2 + int(as_numpy))
    length = 12
    for flags in [(True, True), (True, False), (False, True)]:
        rows_a = [list(rng.integers(5, 50, rng.integers(0, 15))) for _ in range(30)]
        rows_b = [list(rng.integers(5, 50, rng.integers(0, 15))) for _ in range(30)]
        expected = [reference_pack(a, b if pair else None, length, *flags)
                    for a, b in zip(rows_a, rows_b)]
        if as_numpy:  # a list of 1-D arrays, as `np.split` gives
            rows_a = [np.asarray(r, "int64") for r in rows_a]
            rows_b = [np.asarray(r, "int64") for r in rows_b]
        inputs = (rows_a, rows_b) if pair else rows_a
        token_ids, segment_ids = packer(length=length)(
            inputs, add_start_value=flags[0], add_end_value=flags[1])
        assert np.asarray(token_ids).tolist() == [e[0] for e in expected]
        assert np.asarray(segment_ids).tolist() == [e[1] for e in expected]


def test_host_ids_come_back_as_keras_hub_returns_them():
    # Where nothing is truncated, round robin and longest-first agree, so
    # keras-hub's own packer is the reference for values, dtype and tensor type.
    import keras_hub

    reference = keras_hub.layers.MultiSegmentPacker(
        sequence_length=10, start_value=2, end_value=3, pad_value=0)
    for inputs in (([[5, 6], [7]], [[8], [9, 10, 11]]), [5, 6, 7], np.array([[5, 6], [7, 8]])):
        ours, theirs = packer(length=10)(inputs), reference(inputs)
        for mine, other in zip(ours, theirs):
            assert type(mine) is type(other)
            assert np.asarray(mine).tolist() == np.asarray(other).tolist()
            assert str(np.asarray(mine).dtype) == str(np.asarray(other).dtype)


def test_host_ids_too_short_a_length_is_named():
    with pytest.raises(ValueError, match="sequence_length=2"):
        packer(length=2)(([[5]], [[6]]))


def test_packer_is_built_without_being_called():
    # `pack_host` skips `__call__`; an unbuilt layer inside a task made Keras run
    # the whole model eagerly before each `predict` call (jax: one compile per op).
    p = packer()
    assert p.built
    p.pack_host(([[5, 6]], [[7]]))
    assert p.built


def empty_second_rows(rng, count=40):
    """Pairs where about a third of the second segments are empty."""
    rows_a = [list(rng.integers(5, 50, rng.integers(0, 15))) for _ in range(count)]
    rows_b = [list(rng.integers(5, 50, rng.integers(0, 15))) if rng.random() > 0.35 else []
              for _ in range(count)]
    return rows_a, rows_b


@pytest.mark.parametrize("length", [5, 8, 12])
def test_empty_second_segment_is_packed_as_the_original(length):
    # `featurize` in the original's classification_tasks.py: no second [SEP],
    # and the first segment keeps the single-segment budget (length - 2).
    rows_a, rows_b = empty_second_rows(np.random.default_rng(length))
    token_ids, segment_ids = packer(length=length)((rows_a, rows_b))
    expected = [reference_pack(a, b, length) for a, b in zip(rows_a, rows_b)]
    assert np.asarray(token_ids).tolist() == [e[0] for e in expected]
    assert np.asarray(segment_ids).tolist() == [e[1] for e in expected]
    assert np.asarray(packer(length=10)(([5, 6, 7], []))[0]).tolist() == [2, 5, 6, 7, 3, 0, 0, 0, 0, 0]


def test_second_segment_truncated_away_is_dropped_as_the_original():
    # Length 4 leaves one token for the pair: the original pops b to nothing
    # and then skips it (`if tokens_b:`), keeping a's pair-budget truncation.
    token_ids, segment_ids = packer(length=4)(([[5, 6, 7]], [[8, 9]]))
    assert np.asarray(token_ids).tolist() == [reference_pack([5, 6, 7], [8, 9], 4)[0]]
    assert np.asarray(segment_ids).tolist() == [[0, 0, 0, 0]]


@requires_tf
@pytest.mark.parametrize("batched", [True, False])
def test_tf_data_packs_empty_second_segments_as_the_original(batched):
    import tensorflow as tf

    rows_a, rows_b = empty_second_rows(np.random.default_rng(7))
    p = packer(length=10)
    expected = [reference_pack(a, b, 10) for a, b in zip(rows_a, rows_b)]
    if batched:
        ragged = (tf.ragged.constant(rows_a, dtype="int32"), tf.ragged.constant(rows_b, dtype="int32"))
        ds = tf.data.Dataset.from_tensors(ragged).map(lambda a, b: p((a, b)))
        (token_ids, segment_ids), = list(ds.as_numpy_iterator())
    else:
        ds = tf.data.Dataset.from_generator(
            lambda: zip(rows_a, rows_b), output_signature=(
                tf.TensorSpec([None], "int32"), tf.TensorSpec([None], "int32")))
        outputs = list(ds.map(lambda a, b: p((a, b))).as_numpy_iterator())
        token_ids, segment_ids = [o[0] for o in outputs], [o[1] for o in outputs]
    assert np.asarray(token_ids).tolist() == [e[0] for e in expected]
    assert np.asarray(segment_ids).tolist() == [e[1] for e in expected]
