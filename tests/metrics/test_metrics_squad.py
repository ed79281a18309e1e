"""SQuAD EM/F1 against values worked out by hand from the official scripts' logic."""

import pytest

from keras_electra.metrics.squad import compute_f1
from keras_electra.metrics.squad import exact_match_v1
from keras_electra.metrics.squad import f1_v1
from keras_electra.metrics.squad import normalize_answer
from keras_electra.metrics.squad import squad_evaluate
from keras_electra.metrics.squad import squad_v1_evaluate
from keras_electra.metrics.squad import squad_v2_evaluate


def _data(qas):
    return [{"title": "t", "paragraphs": [{"context": "c", "qas": [
        {"id": qid, "question": "?", "answers": [{"text": a, "answer_start": 0} for a in answers]}
        for qid, answers in qas
    ]}]}]


def test_normalization():
    assert normalize_answer("  The Cat,  sat on a MAT! ") == "cat sat on mat"
    assert normalize_answer("an apple's") == "apples"
    # Articles are removed only as whole words.
    assert normalize_answer("theater anthem") == "theater anthem"


def test_v1_exact_and_f1():
    assert exact_match_v1("the Cat", "cat") == 1.0
    assert exact_match_v1("cats", "cat") == 0.0
    # "a" is an article and goes: common {b, c}, precision 2/4, recall 2/4.
    assert f1_v1("a b c d e", "b c f g") == pytest.approx(0.5)
    # precision 2/4, recall 2/3 -> F1 = 4/7.
    assert f1_v1("b c d e", "b c f") == pytest.approx(4 / 7)
    # v1.1 scores empty answers 0 even when both are empty; v2.0 scores 1.
    assert f1_v1("", "") == 0.0
    assert compute_f1("", "") == 1
    assert compute_f1("the", "") == 1  # normalizes to empty
    assert compute_f1("", "x") == 0


def test_v1_evaluate_max_over_golds_and_missing():
    data = _data([("q1", ["Denver Broncos", "Broncos"]), ("q2", ["b c f", "zzz"]), ("q3", ["x"])])
    result = squad_v1_evaluate(data, {"q1": "the broncos", "q2": "b c d e"})
    assert result["exact_match"] == pytest.approx(100.0 / 3)
    assert result["f1"] == pytest.approx(100.0 * (1 + 4 / 7 + 0) / 3)
    assert result["total"] == 3 and result["missing"] == 1


def test_v2_evaluate_breakdowns_and_best_thresholds():
    data = _data([("q1", ["Denver Broncos"]), ("q2", ["light blue sky"]), ("q3", []), ("q4", [])])
    preds = {"q1": "denver", "q2": "light blue sky", "q3": "", "q4": "something"}
    na = {"q1": 0.1, "q2": 0.9, "q3": 0.8, "q4": 0.95}
    out = squad_v2_evaluate(data, preds, na_probs=na, na_prob_thresh=0.5)
    # raw exact: q1 0, q2 1, q3 1, q4 0; raw f1: q1 2/3, q2 1, q3 1, q4 0.
    # Threshold 0.5 makes q2, q3, q4 "no answer": q2 -> 0, q3 -> 1, q4 -> 1.
    assert out["exact"] == pytest.approx(50.0)
    assert out["f1"] == pytest.approx(100 * (2 / 3 + 0 + 1 + 1) / 4)
    assert out["total"] == 4
    assert out["HasAns_exact"] == pytest.approx(0.0)
    assert out["HasAns_f1"] == pytest.approx(100 * (2 / 3) / 2)
    assert out["HasAns_total"] == 2
    assert out["NoAns_exact"] == pytest.approx(100.0)
    assert out["NoAns_total"] == 2
    # Sweep in na order q1, q3, q2, q4 from 2 (all no-answer right):
    # exact 2 -> 2 -> 2 -> 3 (at 0.9) -> 2; f1 2 -> 2.67 (0.1) -> 2.67 -> 3.67 (0.9) -> 2.67.
    assert out["best_exact"] == pytest.approx(75.0)
    assert out["best_exact_thresh"] == pytest.approx(0.9)
    assert out["best_f1"] == pytest.approx(100 * (2 + 2 / 3 + 1) / 4)
    assert out["best_f1_thresh"] == pytest.approx(0.9)


def test_v2_without_na_probs_and_empty_golds():
    # A gold that normalizes to "" is dropped; with none left the gold is "".
    data = _data([("q1", ["The", "a"]), ("q2", ["red"])])
    out = squad_v2_evaluate(data, {"q1": "", "q2": "Red."})
    assert out["exact"] == 100.0 and out["f1"] == 100.0
    assert "best_f1" not in out
    # Has-answer is decided by the raw answer list, as the official script.
    assert out["HasAns_total"] == 2 and "NoAns_total" not in out


def test_dispatch():
    data = _data([("q1", ["x"])])
    assert squad_evaluate(data, {"q1": "x"}, "1.1") == {"exact_match": 100.0, "f1": 100.0, "total": 1, "missing": 0}
    assert squad_evaluate(data, {"q1": "y"}, "2.0")["exact"] == 0.0
