import numpy as np

from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from tests.conftest import requires_tf
from tests.helpers import VOCAB


def make(length=10):
    return ElectraTextClassifierPreprocessor(ElectraTokenizer(vocabulary=VOCAB), sequence_length=length)


def np_dict(x):
    return {k: np.asarray(v).tolist() for k, v in x.items()}


def test_single_sentence():
    out = np_dict(make()("The quick fox."))
    assert out["token_ids"] == [2, 5, 6, 8, 13, 3, 0, 0, 0, 0]
    assert out["segment_ids"] == [0] * 10
    assert out["padding_mask"] == [1] * 6 + [0] * 4


def test_pair_with_labels():
    x, y = make(9)(x=(["the fox", "a cat"], ["the dog", "the lazy dog sat on the mat"]), y=[1, 0])
    out = np_dict(x)
    assert out["token_ids"][0] == [2, 5, 8, 3, 5, 12, 3, 0, 0]
    assert out["segment_ids"][0] == [0, 0, 0, 0, 1, 1, 1, 0, 0]
    # longest-first: 6 slots, "a cat" (2) keeps all, the long one gets 4
    assert out["token_ids"][1] == [2, 15, 16, 3, 5, 11, 12, 17, 3]
    assert np.asarray(y).tolist() == [1, 0]


def test_config_round_trip():
    p = make(16)
    config = p.get_config()
    assert config["truncate"] == "longest_first" and config["sequence_length"] == 16


@requires_tf
def test_tf_data_batched_and_unbatched_match_python():
    import tensorflow as tf

    p = make(12)
    first = ["The quick brown fox.", "A cat sat on the mat."]
    second = ["The lazy dog.", "Cats run."]
    expected = np_dict(p(x=(first, second)))
    batched = tf.data.Dataset.from_tensor_slices(((first, second), [0, 1])).batch(2).map(p)
    (x, y), = list(batched.as_numpy_iterator())
    assert {k: v.tolist() for k, v in x.items()} == expected
    unbatched = tf.data.Dataset.from_tensor_slices(((first, second), [0, 1])).map(p)
    rows = [x for x, _ in unbatched.as_numpy_iterator()]
    assert [r["token_ids"].tolist() for r in rows] == expected["token_ids"]


def test_empty_second_text_is_packed_as_the_first_alone():
    # The original's `featurize` skips an empty (or whitespace-only) text_b:
    # no second [SEP], as for a single sentence (transformers adds one).
    x = np_dict(make(10)(x=(["the quick fox", "a cat"], ["", "  "])))
    single = np_dict(make(10)(["the quick fox", "a cat"]))
    assert x == single
    assert x["token_ids"][0] == [2, 5, 6, 8, 3, 0, 0, 0, 0, 0]


@requires_tf
def test_tf_data_packs_an_empty_second_text_as_python():
    import tensorflow as tf

    p = make(10)
    first, second = ["the quick fox", "a cat", "the dog"], ["", "the mat", " "]
    expected = np_dict(p(x=(first, second)))
    assert expected["token_ids"][2] == [2, 5, 12, 3, 0, 0, 0, 0, 0, 0]
    batched = tf.data.Dataset.from_tensor_slices(((first, second), [0, 1, 0])).batch(3).map(p)
    (x, _), = list(batched.as_numpy_iterator())
    assert {k: v.tolist() for k, v in x.items()} == expected
    unbatched = tf.data.Dataset.from_tensor_slices(((first, second), [0, 1, 0])).map(p)
    rows = [x for x, _ in unbatched.as_numpy_iterator()]
    assert [r["segment_ids"].tolist() for r in rows] == expected["segment_ids"]
