"""Fuzzing the tokenizer, the packer and the text classifier preprocessor.

Arbitrary Unicode (lone surrogates included), empty and huge strings, one or
two segments and any sequence length: the call returns well-formed ids or
raises an `ElectraError`; nothing else, and nothing hangs.
"""

import os

import numpy as np
from hypothesis import example
from hypothesis import given
from hypothesis import strategies as st

from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.preprocessing.packer import ElectraPacker, longest_first_lengths
from tests.conftest import requires_tf
from tests.fuzz.fuzz_helpers import file_contents
from tests.fuzz.fuzz_helpers import fuzz_profiles
from tests.fuzz.fuzz_helpers import profile_settings
from tests.fuzz.fuzz_helpers import temporary_file
from tests.fuzz.fuzz_helpers import works_or_clear_error
from tests.helpers import VOCAB

PAD, UNK, CLS, SEP, MASK = range(5)
# The words of the test vocabulary, so that the drawn text also hits real tokens.
words = st.sampled_from([t for t in VOCAB if not t.startswith(("[", "##"))])
texts = st.one_of(
    st.text(),
    st.lists(st.one_of(words, st.text(max_size=3)), max_size=12).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=5),
)
# Lone surrogates cannot be encoded as UTF-8: a clear error or a working call.
texts_with_surrogates = st.text(
    alphabet=st.characters(min_codepoint=0xD700, max_codepoint=0xE000), max_size=4
)
# A short random text repeated to 10k or 100k characters.
huge_texts = st.tuples(
    st.one_of(st.text(min_size=1, max_size=12), words.map(lambda w: w + " ")),
    st.sampled_from([10_000, 100_000]),
).map(lambda t: (t[0] * (t[1] // len(t[0]) + 1))[: t[1]])


def tokenizer():
    return ElectraTokenizer(vocabulary=VOCAB)


TOKENIZER = tokenizer()


def check_ids(ids):
    ids = np.asarray(ids)
    assert ids.ndim == 1 and (ids.dtype.kind == "i" or ids.size == 0)
    assert ((ids >= 0) & (ids < len(VOCAB))).all()
    # The tokenizer never produces special tokens from text (they are split).
    assert not np.isin(ids, [PAD, CLS, SEP, MASK]).any()


@fuzz_profiles
def test_fuzz_tokenizer_python_strings(profile):
    @profile_settings(profile)
    @given(st.one_of(texts, texts_with_surrogates))
    @example("")
    @example("\ud800")  # a lone surrogate
    @example("[CLS] [PAD] [SEP] [MASK]")
    @example("\x00\ufeff\u200b\u2028")
    def check(text):
        ids, _ = works_or_clear_error(TOKENIZER, text)
        if ids is not None:
            check_ids(ids)
            if not text.strip():
                assert len(ids) == 0

    check()


@fuzz_profiles
def test_fuzz_tokenizer_batches(profile):
    @profile_settings(profile)
    @given(st.lists(texts, max_size=6))
    def check(batch):
        out, error = works_or_clear_error(TOKENIZER, batch)
        if error is not None:
            assert batch == [], error  # only an empty batch may be refused
            return
        assert len(out) == len(batch)
        for text, ids in zip(batch, out):
            check_ids(ids)
            assert np.asarray(ids).tolist() == np.asarray(TOKENIZER(text)).tolist()

    check()


@fuzz_profiles
def test_fuzz_tokenizer_huge_strings(profile):
    @profile_settings(profile, scale=0.03)
    @given(huge_texts)
    def check(text):
        ids, _ = works_or_clear_error(TOKENIZER, text)
        if ids is not None:
            check_ids(ids)

    check()


def second_segment_kept(text_a, text_b, sequence_length):
    """Whether longest-first packing keeps text_b: the original drops a b that
    is empty, or that truncation empties (`if tokens_b:`)."""
    len_a, len_b = (len(np.asarray(TOKENIZER(t))) for t in (text_a, text_b))
    return len_b > 0 and longest_first_lengths(len_a, len_b, sequence_length - 3)[1] > 0


def check_packed(outputs, sequence_length, num_segments, batched, single_rows=()):
    """Checks the packed layout; rows in `single_rows` hold one segment (an
    empty second text under "longest_first", as the original packs it)."""
    token_ids = np.asarray(outputs["token_ids"])
    segment_ids = np.asarray(outputs["segment_ids"])
    padding_mask = np.asarray(outputs["padding_mask"]).astype(bool)
    if not batched:
        token_ids, segment_ids, padding_mask = (
            x[None] for x in (token_ids, segment_ids, padding_mask)
        )
    assert token_ids.shape == segment_ids.shape == padding_mask.shape
    assert token_ids.shape[1] == sequence_length
    assert ((token_ids >= 0) & (token_ids < len(VOCAB))).all()
    for row, (ids, segments, mask) in enumerate(zip(token_ids, segment_ids, padding_mask)):
        row_segments = 1 if row in single_rows else num_segments
        length = int(mask.sum())
        # The mask is a prefix; padding is [PAD] in segment 0.
        assert mask[:length].all() and not mask[length:].any()
        assert (ids[length:] == PAD).all() and (segments[length:] == 0).all()
        real = ids[:length]
        assert (real != PAD).all()
        if length == 0:
            continue
        assert real[0] == CLS
        assert list(real).count(SEP) == row_segments and real[-1] == SEP
        first_sep = list(real).index(SEP)
        assert (segments[: first_sep + 1] == 0).all()
        assert (segments[first_sep + 1 : length] == (1 if row_segments == 2 else 0)).all()


@fuzz_profiles
def test_fuzz_preprocessor(profile):
    @profile_settings(profile, scale=0.5)
    @given(
        st.integers(0, 24),
        st.sampled_from(["longest_first", "round_robin", "waterfall"]),
        st.integers(1, 2),
        st.one_of(st.none(), st.integers(0, 4)),
        st.data(),
    )
    # Regressions: too short for the special tokens used to give longer outputs.
    @example(0, "longest_first", 1, None, None)
    @example(0, "round_robin", 1, None, None)
    @example(2, "longest_first", 2, 1, None)
    def check(sequence_length, truncate, num_segments, batch_size, data):
        strings = st.one_of(texts, texts_with_surrogates)
        if data is None:  # the explicit examples: empty strings
            segments = [[""] * (batch_size or 1)] * num_segments
        else:
            segments = [
                data.draw(st.lists(strings, min_size=batch_size or 1, max_size=batch_size or 1))
                for _ in range(num_segments)
            ]
        if batch_size is None:
            segments = [s[0] for s in segments]
        x = segments[0] if num_segments == 1 else tuple(segments)

        def preprocess():
            preprocessor = ElectraTextClassifierPreprocessor(
                tokenizer(), sequence_length=sequence_length, truncate=truncate
            )
            return preprocessor(x=x)

        outputs, error = works_or_clear_error(preprocess)
        if error is None:
            single_rows = ()
            if num_segments == 2 and truncate == "longest_first":
                rows = zip(*(s if batch_size is not None else [s] for s in segments))
                single_rows = {i for i, (a, b) in enumerate(rows)
                               if not second_segment_kept(a, b, sequence_length)}
            check_packed(outputs, sequence_length, num_segments, batch_size is not None,
                         single_rows)

    check()


@fuzz_profiles
def test_fuzz_packer_longest_first(profile):
    """The packer's longest-first truncation on random id lists."""

    @profile_settings(profile)
    @given(
        st.integers(3, 20),
        st.lists(st.lists(st.integers(5, len(VOCAB) - 1), max_size=30), min_size=2, max_size=2),
    )
    def check(sequence_length, pair):
        packer = ElectraPacker(sequence_length, start_value=CLS, end_value=SEP, pad_value=PAD)
        token_ids, segment_ids = packer(tuple([row] for row in pair))
        padding_mask = np.asarray(token_ids) != PAD
        a, b = pair
        kept_b = bool(b) and longest_first_lengths(len(a), len(b), sequence_length - 3)[1] > 0
        check_packed(
            {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
            sequence_length, 2, batched=True, single_rows=() if kept_b else (0,),
        )
        # An empty b leaves a the single-segment budget; one cut to nothing does not.
        budget = sequence_length - (2 if not b else 3)
        kept = np.asarray(token_ids)[0, : int(padding_mask.sum())].tolist()
        first = kept.index(SEP)
        keep_a, keep_b = kept[1:first], kept[first + 1 : -1]
        assert keep_a == a[: len(keep_a)] and keep_b == b[: len(keep_b)]
        assert len(keep_a) + len(keep_b) == min(len(a) + len(b), budget)
        # Longest first: the shorter segment is cut only when both exceed half.
        if len(a) + len(b) > budget:
            assert abs(len(keep_a) - len(keep_b)) <= 1 or min(len(a), len(b)) in (
                len(keep_a), len(keep_b)
            )

    check()


@requires_tf
@fuzz_profiles
def test_fuzz_tokenizer_tf_path_matches_python(profile):
    """Inside a tf.function (a numpy_function) the ids equal the pure-Python path's."""
    import tensorflow as tf

    tokenize = tf.function(
        lambda batch: TOKENIZER(batch).to_tensor(default_value=-1),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )

    @profile_settings(profile, scale=0.25)
    @given(st.lists(texts, min_size=1, max_size=4))
    @example(["a\x00b", "\x00", "c\x00"])
    def check(batch):
        expected = [np.asarray(TOKENIZER(text)).tolist() for text in batch]
        got = tokenize(tf.constant([t.encode("utf-8") for t in batch])).numpy()
        got = [[i for i in row if i != -1] for row in got.tolist()]
        assert got == expected

    check()


VOCAB_BYTES = "".join(token + "\n" for token in VOCAB).encode("utf-8")


@fuzz_profiles
def test_fuzz_vocabulary_file(profile):
    """A damaged `vocab.txt` gives a working tokenizer or an ElectraError naming it."""

    @profile_settings(profile, scale=0.5)
    @given(file_contents(VOCAB_BYTES))
    # Regressions: a repeated (blank) token was a RuntimeError with TensorFlow
    # Text and silently shadowed without it; bad UTF-8 was a bare ValueError.
    @example(b"\n\n" + VOCAB_BYTES)
    @example(VOCAB_BYTES + b"the\n")
    @example(b"\x80")
    def check(content):
        with temporary_file(content, ".txt") as path:
            tokenizer, _ = works_or_clear_error(
                ElectraTokenizer, vocabulary=path, names=[os.path.basename(path)]
            )
        if tokenizer is not None:
            size = tokenizer.vocabulary_size()
            ids = np.asarray(tokenizer("the quick brown fox ."))
            assert ((ids >= 0) & (ids < size)).all()

    check()
