"""WordPiece vocabulary training; ElectraTokenizer loads the result."""

import numpy as np
import pytest

from keras_electra.data import SPECIAL_TOKENS
from keras_electra.data import fast_tokenize_function
from keras_electra.data import read_vocabulary
from keras_electra.data import stdlib_docstring_corpus
from keras_electra.data import train_vocabulary
from keras_electra.models import ElectraTokenizer


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return stdlib_docstring_corpus(str(tmp_path_factory.mktemp("c") / "c.txt"), max_files=40)


def test_uncased_vocabulary_loads_in_electra_tokenizer(corpus, tmp_path):
    out = tmp_path / "vocab.txt"
    tokens = train_vocabulary([corpus], 1500, out=str(out))
    assert tokens[:5] == SPECIAL_TOKENS
    assert len(tokens) == 1500 and len(set(tokens)) == 1500
    assert read_vocabulary(str(out)) == tokens
    assert any(t.startswith("##") for t in tokens)
    assert not any(t != t.lower() for t in tokens[5:])
    tokenizer = ElectraTokenizer(vocabulary=str(out))
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id, tokenizer.cls_token_id,
            tokenizer.sep_token_id, tokenizer.mask_token_id) == (0, 1, 2, 3, 4)
    # The fast tokenize function used for examples gives ElectraTokenizer's ids.
    lines = [line for line in open(corpus, encoding="utf-8") if line.strip()][:400]
    fast = fast_tokenize_function(str(out))
    for line in lines:
        assert fast(line) == np.asarray(tokenizer(line)).tolist(), line
    assert fast.batch(lines[:5]) == [fast(line) for line in lines[:5]]


def test_cased_vocabulary_keeps_case(corpus, tmp_path):
    out = tmp_path / "vocab.txt"
    tokens = train_vocabulary([corpus], 1500, out=str(out), lowercase=False)
    assert any(t != t.lower() for t in tokens[5:])
    tokenizer = ElectraTokenizer(vocabulary=str(out), lowercase=False)
    fast = fast_tokenize_function(str(out), lowercase=False)
    line = "Return the Python object."
    assert fast(line) == np.asarray(tokenizer(line)).tolist()


def test_bad_inputs(tmp_path, corpus):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n   \n")
    with pytest.raises(ValueError, match="empty.txt"):
        train_vocabulary([str(empty)], 100)
    with pytest.raises(ValueError, match="no text.*blank.txt"):
        train_vocabulary([str(blank)], 100)
    with pytest.raises(ValueError, match="not found: .*nope.txt"):
        train_vocabulary([str(tmp_path / "nope.txt")], 100)
    with pytest.raises(ValueError, match="vocabulary_size"):
        train_vocabulary([corpus], 3)
    bad_vocab = tmp_path / "v.txt"
    bad_vocab.write_text("[PAD]\n[UNK]\nthe\n")
    with pytest.raises(ValueError, match=r"lacks the special tokens \['\[CLS\]'"):
        read_vocabulary(str(bad_vocab))
    with pytest.raises(ValueError, match="not found"):
        fast_tokenize_function(str(tmp_path / "missing.txt"))
