"""Chunk F1 against conlleval's counting, on hand-checked cases."""

import pytest

from keras_electra.metrics import chunk_f1
from keras_electra.metrics import chunks


def test_bio_chunks():
    assert chunks(["B-NP", "I-NP", "B-VP", "O", "B-NP"]) == [("NP", 0, 2), ("VP", 2, 3), ("NP", 4, 5)]


def test_conlleval_reads_stray_inside_tags_as_starts():
    # conlleval starts a chunk at I- after O or after another type (IOB1).
    assert chunks(["O", "I-NP", "I-NP", "I-VP"]) == [("NP", 1, 3), ("VP", 3, 4)]
    # B- of the same type splits; I- after B- of another type starts anew.
    assert chunks(["B-NP", "B-NP", "I-VP"]) == [("NP", 0, 1), ("NP", 1, 2), ("VP", 2, 3)]


def test_bioes_chunks():
    tags = ["S-NP", "B-VP", "I-VP", "E-VP", "B-NP", "E-NP", "O", "S-PP"]
    assert chunks(tags) == [("NP", 0, 1), ("VP", 1, 4), ("NP", 4, 6), ("PP", 7, 8)]
    # A chunk ends at E- even when I- of the same type follows.
    assert chunks(["B-NP", "E-NP", "I-NP"]) == [("NP", 0, 2), ("NP", 2, 3)]


def test_counts_precision_recall_f1():
    gold = [["B-NP", "I-NP", "B-VP", "B-NP", "I-NP", "O"], ["B-PP", "B-NP"]]
    guess = [["B-NP", "I-NP", "B-VP", "B-NP", "O", "O"], ["B-PP", "I-PP"]]
    # gold chunks: NP VP NP | PP NP = 5; guessed: NP VP NP(3,4) | PP(0,2) = 4; correct: NP VP = 2
    result = chunk_f1(gold, guess)
    assert (result["true_chunks"], result["predicted_chunks"], result["correct_chunks"]) == (5, 4, 2)
    assert result["precision"] == pytest.approx(50.0)
    assert result["recall"] == pytest.approx(40.0)
    assert result["f1"] == pytest.approx(2 * 50 * 40 / 90)
    assert result["accuracy"] == pytest.approx(100 * 6 / 8)
    assert result["per_type"]["VP"]["f1"] == pytest.approx(100.0)
    assert result["per_type"]["PP"]["f1"] == 0.0


def test_sentence_boundary_ends_chunks():
    # Without the boundary, I-NP would continue the NP of the first sentence.
    assert chunk_f1([["B-NP"], ["I-NP"]], [["B-NP"], ["B-NP"]])["f1"] == pytest.approx(100.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="3 true tags but 2"):
        chunk_f1([["O", "O", "O"]], [["O", "O"]])
    with pytest.raises(ValueError, match="sentences"):
        chunk_f1([["O"]], [["O"], ["O"]])
