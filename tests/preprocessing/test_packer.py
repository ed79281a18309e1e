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
