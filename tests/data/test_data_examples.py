"""ExampleBuilder against a re-derivation of the original build_pretraining_dataset.py."""

import random

import pytest

from keras_electra.data.pretraining_examples import ExampleBuilder
from keras_electra.data.pretraining_examples import build_examples

CLS, SEP = 2, 3


def tokenize(line):
    # "w17 w18" -> [17, 18]: lines carry their own ids, so tests can trace them.
    return [int(word[1:]) for word in line.split()]


def reference_examples(lines, max_length, rng):
    """The original ExampleBuilder + write_examples loop, re-derived step by step."""
    out, sentences, length, target = [], [], 0, max_length

    def create():
        nonlocal sentences, length, target
        first_target = 100000 if rng.random() < 0.1 else (target - 3) // 2
        first, second = [], []
        for s in sentences:
            if (len(first) == 0 or len(first) + len(s) < first_target
                    or (len(second) == 0 and len(first) < first_target and rng.random() < 0.5)):
                first += s
            else:
                second += s
        first = first[: max_length - 2]
        second = second[: max(0, max_length - len(first) - 3)]
        sentences, length = [], 0
        target = rng.randint(5, max_length) if rng.random() < 0.05 else max_length
        ids = [CLS] + first + [SEP]
        seg = [0] * len(ids)
        if second:
            ids += second + [SEP]
            seg += [1] * (len(second) + 1)
        mask = [1] * len(ids)
        pad = max_length - len(ids)
        out.append({"token_ids": ids + [0] * pad, "segment_ids": seg + [0] * pad,
                    "padding_mask": mask + [0] * pad})

    def add_line(line):
        nonlocal length
        line = line.strip()
        if not line and length != 0:
            create()
            return
        toks = tokenize(line)
        sentences.append(toks)
        length += len(toks)
        if length >= target:
            create()

    for line in lines:
        add_line(line)
    add_line("")
    return out


def crafted_corpus(num_docs, seed, max_sentence=12, max_sentences=30):
    """Documents of random-length sentences; document d uses ids 1000*(d+1)+k."""
    rng = random.Random(seed)
    lines = []
    for d in range(num_docs):
        next_id = 1000 * (d + 1)
        for _ in range(rng.randint(1, max_sentences)):
            n = rng.randint(1, max_sentence)
            lines.append(" ".join(f"w{next_id + k}" for k in range(n)))
            next_id += n
        lines += [""] * rng.randint(1, 2)  # one or more blank lines end a document
    return lines


@pytest.mark.parametrize("max_length,seed", [(16, 0), (32, 1), (64, 2)])
def test_matches_reference_exactly(max_length, seed):
    lines = crafted_corpus(300, seed)
    ours = list(build_examples(lines, tokenize, max_length, random.Random(seed)))
    theirs = reference_examples(lines, max_length, random.Random(seed))
    assert len(ours) == len(theirs) > 100
    assert ours == theirs


def test_examples_never_cross_documents():
    lines = crafted_corpus(400, 3)
    for example in build_examples(lines, tokenize, 32, rng=3):
        content = [t for t in example["token_ids"] if t >= 1000]
        assert content
        assert len({t // 1000 for t in content}) == 1, example["token_ids"]


def test_example_structure():
    for example in build_examples(crafted_corpus(200, 4), tokenize, 24, rng=4):
        ids, seg, mask = example["token_ids"], example["segment_ids"], example["padding_mask"]
        n = sum(mask)
        assert len(ids) == len(seg) == len(mask) == 24
        assert mask == [1] * n + [0] * (24 - n) and ids[n:] == [0] * (24 - n)
        assert ids[0] == CLS and ids[n - 1] == SEP
        seps = [i for i in range(n) if ids[i] == SEP]
        assert len(seps) in (1, 2)
        assert seg[: seps[0] + 1] == [0] * (seps[0] + 1)
        assert seg[seps[0] + 1 : n] == [1] * (n - seps[0] - 1)


def long_document_lines(num_sentences, sentence_length):
    return [" ".join(f"w{1000 + (i * sentence_length + k) % 5000}" for k in range(sentence_length))
            for i in range(num_sentences)]


def test_single_segment_rate_is_ten_percent():
    # Short sentences in one long document: every two-segment example has a B.
    lines = long_document_lines(30000, 3)
    examples = list(build_examples(lines, tokenize, 32, rng=5))
    single = sum(1 for e in examples if 1 not in e["segment_ids"]) / len(examples)
    assert len(examples) > 2500
    assert 0.085 < single < 0.115, single


def test_random_target_lengths_five_percent():
    # One-token sentences: an example has exactly `target` content tokens.
    lines = long_document_lines(100000, 1)
    examples = list(build_examples(lines, tokenize, 32, rng=6))[:-1]  # the last ends the corpus
    content = [sum(e["padding_mask"]) - (3 if 1 in e["segment_ids"] else 2) for e in examples]
    short = [c for c in content if c < 29]  # full targets give 29 or 30 after truncation
    rate = len(short) / len(examples)
    # P(random target) * P(randint(5, 32) <= 28) = 0.05 * 24 / 28
    assert 0.03 < rate < 0.056, rate
    assert min(short) == 5 and max(short) == 28
    assert len(set(short)) == 24  # every length 5..28 occurs


def test_segment_a_aims_for_half():
    lines = long_document_lines(20000, 1)
    examples = list(build_examples(lines, tokenize, 64, rng=7))
    a_lengths = [e["segment_ids"].index(1) - 2 for e in examples if 1 in e["segment_ids"]]
    # One-token sentences fill A to (64 - 3) // 2 - 1 = 29 tokens; the next one
    # joins A on a coin flip (it would reach the aim, not stay under it).
    full = [a for a in a_lengths if a >= 29]
    assert max(a_lengths) == 30 and len(full) > 0.9 * len(a_lengths)
    assert 0.45 < full.count(30) / len(full) < 0.55


def test_truncation_of_long_sentences():
    lines = [" ".join(f"w{1000 + k}" for k in range(100))]
    (example,) = build_examples(lines, tokenize, 16, rng=0)
    assert example["token_ids"] == [CLS] + list(range(1000, 1014)) + [SEP]
    assert example["segment_ids"] == [0] * 16


def test_deterministic_for_a_seed():
    lines = crafted_corpus(100, 8)
    a = list(build_examples(lines, tokenize, 32, rng=1))
    b = list(build_examples(lines, tokenize, 32, rng=1))
    c = list(build_examples(lines, tokenize, 32, rng=2))
    assert a == b and a != c


def test_blank_corpus_gives_no_examples_and_bad_length_raises():
    assert list(build_examples(["", "  ", "\t"], tokenize, 16)) == []
    with pytest.raises(ValueError, match="max_seq_length"):
        ExampleBuilder(tokenize, 4)
