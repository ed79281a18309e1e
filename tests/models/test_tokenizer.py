import numpy as np
import pytest

from keras_electra.models import ElectraTokenizer
from tests.conftest import requires_tf
from tests.helpers import VOCAB


def ids(x):
    return np.asarray(x).tolist()


def test_special_token_ids():
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id, tokenizer.cls_token_id,
            tokenizer.sep_token_id, tokenizer.mask_token_id) == (0, 1, 2, 3, 4)


def test_lowercase_accents_punctuation_and_wordpiece():
    tokenizer = ElectraTokenizer(vocabulary=VOCAB + ["cafe"])
    out = ids(tokenizer("The CATS jumped, Café!"))
    assert out == [5, 16, 20, 9, 14, 25, 1]
    assert tokenizer.detokenize([5, 16, 20]) == "the cats"


def test_cased_keeps_case_and_accents():
    tokenizer = ElectraTokenizer(vocabulary=VOCAB + ["The", "Café"], lowercase=False)
    assert ids(tokenizer("The Café the")) == [25, 26, 5]
    assert tokenizer.strip_accents is False


def test_batched_is_ragged_list():
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    out = tokenizer(["the fox", "a cat sat"])
    assert [ids(row) for row in out] == [[5, 8], [15, 16, 17]]


def test_vocabulary_file_and_errors(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    assert ElectraTokenizer(vocabulary=str(path)).vocabulary_size() == len(VOCAB)
    with pytest.raises(ValueError, match=r"\[MASK\]"):
        ElectraTokenizer(vocabulary=[t for t in VOCAB if t != "[MASK]"])
    no_mask = tmp_path / "no_mask.txt"
    no_mask.write_text("\n".join(t for t in VOCAB if t != "[MASK]"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"no_mask.txt.*\[MASK\]"):
        ElectraTokenizer(vocabulary=str(no_mask))
    with pytest.raises(ValueError, match="nothere.txt"):
        ElectraTokenizer(vocabulary=str(tmp_path / "nothere.txt"))


def test_config_round_trip():
    tokenizer = ElectraTokenizer(vocabulary=VOCAB, lowercase=False, strip_accents=True)
    config = tokenizer.get_config()
    restored = ElectraTokenizer.from_config(config)
    assert restored.get_config() == config and restored.strip_accents is True


@requires_tf
def test_tf_data_gives_same_ids_as_python():
    import tensorflow as tf

    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    texts = ["The quick brown fox jumped over the lazy dogs.", "A cat, sat on mats!"]
    ds = tf.data.Dataset.from_tensor_slices(texts).map(tokenizer)
    assert [row.tolist() for row in ds.as_numpy_iterator()] == [ids(tokenizer(t)) for t in texts]
