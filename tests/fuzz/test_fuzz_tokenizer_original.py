"""Fuzzing ElectraTokenizer against the original FullTokenizer's behaviour.

Random Unicode, the edge characters of issue 18 (fractions, ellipses, sigma,
Unicode spaces, zero-width characters, soft hyphens, controls, Hangul, CJK,
accents), real vocabulary words and words around the 200-character limit give
the reference's ids, cased and uncased, in Python and inside `tf.function`.
The reference is transformers' Python BertTokenizer set up as the original
(`tests/preprocessing/tokenizer_reference.py`); its extra NFC step is avoided
by comparing only NFC-stable text there, and decomposed text is compared with
transformers' Rust BertTokenizer, which has no NFC step.
"""

import functools

import numpy as np
import pytest
from hypothesis import assume
from hypothesis import example
from hypothesis import given
from hypothesis import strategies as st

from keras_electra.models import ElectraTokenizer
from tests.conftest import requires_tf
from tests.fuzz.fuzz_helpers import fuzz_profiles
from tests.fuzz.fuzz_helpers import profile_settings
from tests.preprocessing.tokenizer_reference import bert_vocabulary
from tests.preprocessing.tokenizer_reference import nfc_stable
from tests.preprocessing.tokenizer_reference import reference_ids
from tests.preprocessing.tokenizer_reference import reference_tokenizer

EDGE_CHARS = (
    "½⅓¼²₂…‥ΣσςΟΔ\u00a0\u2009\u202f\u3000\u1680\u200b\u200c\u200d\u2060\u00ad\ufeff"
    "\u2028\u2029\x85\x00\x01\x0b\x0c\x1c\x1f\x7f\ufffd\t\n\r 한국어가힣각中文字ｶﾀﾅＡａﬁﬀ"
    "éÉèçñüößİıǅĳ\u0301\u0308\u0327Åå\u212b\u2126Ωΐάẞŉ℃№™©®°′″‘’“”«»—–-_.,;:!?¿¡'\"()[]{}<>"
    "@#$%^&*+=|\\/~`🙂👍🏽𝔘𝔫𝔦\U00020000\U0002a700\uf900\u4e00\u9fff\u3400"
)
LETTERS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789"


@functools.lru_cache(maxsize=None)
def setup(lowercase):
    import tempfile

    path = bert_vocabulary(tempfile.mkdtemp(prefix="vocab-"))
    tokenizer = ElectraTokenizer(vocabulary=path, lowercase=lowercase)
    words = [t for t in tokenizer.get_vocabulary() if not t.startswith(("[", "##"))]
    return path, tokenizer, reference_tokenizer(path, lowercase), words


def texts(words):
    pieces = st.one_of(
        st.sampled_from(words),
        st.text(alphabet=EDGE_CHARS, max_size=6),
        st.text(max_size=6),
        st.text(alphabet=LETTERS, min_size=140, max_size=260),  # around 200 characters
        st.sampled_from(words).map(lambda w: w * 40),
    )
    separators = st.text(alphabet=" \u00a0\u2009\u200b\u00ad\t\n\u3000", min_size=0, max_size=2)
    return st.one_of(
        st.text(),
        st.text(alphabet=EDGE_CHARS),
        st.lists(st.tuples(pieces, separators), max_size=10).map(
            lambda parts: "".join(p + s for p, s in parts)
        ),
    )


LOWERCASE = pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])


@fuzz_profiles
@LOWERCASE
def test_fuzz_tokenizer_matches_the_original(profile, lowercase):
    _, tokenizer, reference, words = setup(lowercase)

    @profile_settings(profile)
    @given(texts(words))
    @example("The 2½ hours… ΟΔΥΣΣΕΥΣ no\u00a0break zero\u200bwidth soft\u00adhyphen 한국어")
    @example("x" * 200 + " " + "x" * 201)
    @example("[CLS] [MASK] \x00\ufffd\ud800")
    def check(text):
        assume(nfc_stable(reference, text))
        expected = reference_ids(reference, text)
        assert np.asarray(tokenizer(text)).tolist() == expected
        # UTF-8 bytes, as the original's `convert_to_unicode` takes them.
        encoded = text.encode("utf-8", "surrogatepass")
        if not any("\ud800" <= c <= "\udfff" for c in text):  # surrogates: no UTF-8
            assert np.asarray(tokenizer(encoded)).tolist() == expected

    check()


@requires_tf
@fuzz_profiles
@LOWERCASE
def test_fuzz_tokenizer_tf_function_matches_the_original(profile, lowercase):
    import tensorflow as tf

    _, tokenizer, reference, words = setup(lowercase)
    tokenize = tf.function(
        lambda batch: tokenizer(batch).to_tensor(default_value=-1),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    # Lone surrogates cannot be UTF-8 bytes in a tf.string.
    no_surrogates = texts(words).map(lambda t: "".join(c for c in t if not "\ud800" <= c <= "\udfff"))

    @profile_settings(profile, scale=0.25)
    @given(st.lists(no_surrogates, min_size=1, max_size=4))
    def check(batch):
        batch = [text for text in batch if nfc_stable(reference, text)]
        assume(batch)
        expected = [reference_ids(reference, text) for text in batch]
        got = tokenize(tf.constant([t.encode("utf-8") for t in batch])).numpy()
        assert [[i for i in row if i != -1] for row in got.tolist()] == expected

    check()


# Decomposed text: base letters, combining marks and conjoining Hangul jamo.
DECOMPOSED = "aeiouAEIOUnNcCsS\u0300\u0301\u0302\u0303\u0308\u030a\u0327\u0307ᄀᄁ나ᅢᅣᆨᆩ ."


@fuzz_profiles
@LOWERCASE
def test_fuzz_decomposed_text_is_not_recomposed(profile, lowercase):
    """The original has no NFC step: compared with transformers' Rust BertTokenizer."""
    transformers = pytest.importorskip("transformers")
    path, tokenizer, _, _ = setup(lowercase)
    with open(path, encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
    rust = transformers.BertTokenizer(vocab=vocab, do_lower_case=lowercase)

    @profile_settings(profile)
    @given(st.text(alphabet=DECOMPOSED, max_size=40))
    @example("cafe\u0301 e\u0301")
    @example("\u1100\u1161\u11a8")  # 각 as conjoining jamo
    def check(text):
        expected = rust(text, add_special_tokens=False)["input_ids"]
        assert np.asarray(tokenizer(text)).tolist() == expected

    check()
