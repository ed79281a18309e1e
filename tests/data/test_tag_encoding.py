"""BIOES training tags and their decoding, against google-research/electra's tagging code."""

import os
import random

import pytest

from keras_electra.data.tag_encoding import span_labels
from keras_electra.data.tag_encoding import tag_vocabulary
from keras_electra.data.tag_encoding import tags_from_spans
from keras_electra.data.tag_encoding import to_bio
from keras_electra.data.tag_encoding import to_bioes
from keras_electra.metrics import chunk_f1


# --- The original, step by step (finetune/tagging/tagging_utils.py and
# tagging_metrics.EntityLevelF1Scorer), written independently here. ---
def original_get_span_labels(sentence_tags, inv_label_mapping=None):
    if inv_label_mapping:
        sentence_tags = [inv_label_mapping[i] for i in sentence_tags]
    spans = []
    last = "O"
    start = -1
    for i, tag in enumerate(sentence_tags):
        pos, _ = (None, "O") if tag == "O" else tag.split("-")
        if (pos == "S" or pos == "B" or tag == "O") and last != "O":
            spans.append((start, i - 1, last.split("-")[-1]))
        if pos == "B" or pos == "S" or last == "O":
            start = i
        last = tag
    if sentence_tags[-1] != "O":
        spans.append((start, len(sentence_tags) - 1, sentence_tags[-1].split("-")[-1]))
    return spans


def original_get_tags(spans, length, encoding):
    tags = ["O" for _ in range(length)]
    for s, e, t in spans:
        for i in range(s, e + 1):
            tags[i] = "I-" + t
        if "E" in encoding:
            tags[e] = "E-" + t
        if "B" in encoding:
            tags[s] = "B-" + t
        if "S" in encoding and s - e == 0:
            tags[s] = "S-" + t
    return tags


def original_label_mapping(*splits):
    """TaggingTask._get_label_mapping for chunking: BIOES tags of every split, sorted."""
    counts = set()
    for sentences in splits:
        for tags in sentences:
            counts.update(original_get_tags(original_get_span_labels(tags), len(tags), "BIOES"))
    return {label: i for i, label in enumerate(sorted(counts))}


def original_entity_f1(gold_ids, predicted_ids, label_mapping):
    inverse = {v: k for k, v in label_mapping.items()}
    correct = predicted = gold = 0
    for labels, preds in zip(gold_ids, predicted_ids):
        true_spans = set(original_get_span_labels(labels, inverse))
        pred_spans = set(original_get_span_labels(preds, inverse))
        correct += len(true_spans & pred_spans)
        gold += len(true_spans)
        predicted += len(pred_spans)
    if correct == 0:
        return 0.0
    p, r = 100.0 * correct / predicted, 100.0 * correct / gold
    return 2 * p * r / (p + r)


CASES = [
    ["B-NP", "I-NP", "B-VP", "O", "B-PP", "B-NP"],
    ["I-NP", "I-NP", "O", "I-VP"],  # IOB1-style starts
    ["B-NP", "I-VP", "O"],  # a type change inside a span
    ["B-NP", "E-NP", "E-NP", "S-VP", "I-PP", "O", "S-NP"],  # ill-formed BIOES
    ["O", "O"],
    ["S-NP"],
]


@pytest.mark.parametrize("tags", CASES)
def test_spans_and_tags_match_the_original(tags):
    assert span_labels(tags) == original_get_span_labels(tags)
    for encoding in ("BIO", "BIOES"):
        spans = original_get_span_labels(tags)
        assert tags_from_spans(spans, len(tags), encoding) == original_get_tags(
            spans, len(tags), encoding
        )


def test_bioes_examples():
    assert to_bioes(["B-NP", "I-NP", "I-NP", "B-VP", "O", "B-NP"]) == [
        "B-NP", "I-NP", "E-NP", "S-VP", "O", "S-NP"]
    assert to_bio(["B-NP", "E-NP", "S-VP", "O"]) == ["B-NP", "I-NP", "B-VP", "O"]
    with pytest.raises(ValueError, match="encoding"):
        tags_from_spans([], 2, "IOB1")


def corrupt(tags, rng, labels):
    return [rng.choice(labels) if rng.random() < 0.15 else t for t in tags]


def check_decoding_matches_the_original_scorer(train, dev):
    """chunk_f1(gold BIO, to_bio(predicted BIOES)) == the original's entity F1."""
    mapping = original_label_mapping(train, dev)
    assert tag_vocabulary(train, dev) == sorted(mapping, key=mapping.get)
    labels = list(mapping)
    rng = random.Random(0)
    gold_bioes = [to_bioes(t) for t in dev]
    predicted = [corrupt(t, rng, labels) for t in gold_bioes]
    expected = original_entity_f1(
        [[mapping[t] for t in s] for s in gold_bioes],
        [[mapping[t] for t in s] for s in predicted],
        mapping,
    )
    ours = chunk_f1(dev, [to_bio(t) for t in predicted])["f1"]
    assert ours == pytest.approx(expected, abs=1e-9)
    assert 20.0 < ours < 100.0


def test_decoding_matches_the_original_scorer_on_toy_data():
    train = [["B-NP", "I-NP", "B-VP", "B-PP", "B-NP"] * 3, ["O", "B-ADJP", "I-ADJP"]] * 20
    dev = [["B-NP", "B-VP", "I-VP", "O", "B-NP", "I-NP", "I-NP"]] * 30
    check_decoding_matches_the_original_scorer(train, dev)


def test_decoding_matches_the_original_scorer_on_conll2000(shared_data):
    from keras_electra.data import read_conll

    folder = os.path.join(shared_data, "conll2000")
    names = sorted(os.listdir(folder))
    train = read_conll(os.path.join(folder, next(n for n in names if "train" in n))).tags
    dev_name = next((n for n in names if "dev" in n or "test" in n), None)
    dev = read_conll(os.path.join(folder, dev_name)).tags[:500]
    # The gold tags survive BIO -> BIOES -> BIO: the training labels keep every chunk.
    for sentence in train[:2000] + dev:
        assert to_bio(to_bioes(sentence)) == sentence
    check_decoding_matches_the_original_scorer(train, dev)
