"""Span decoding: back to the exact context text, n-best limits and the null threshold."""

import numpy as np
import pytest

from keras_electra.tasks.squad_decoding import decode_squad_predictions
from keras_electra.tasks.squad_decoding import get_final_text
from keras_electra.tasks.squad_decoding import gold_outputs
from tests.tasks.qa_helpers import WORDS, preprocessor, read

CONTEXT = "The leader was John Smith (1895-1943). Steve Smith's fox jumped."


def _features(tmp_path, questions, version="1.1", context=CONTEXT, **kwargs):
    dataset = read(tmp_path, [(context, questions)], version)
    return preprocessor(**{"sequence_length": 32, **kwargs}).featurize(dataset.examples)


def test_gold_spans_map_back_to_exact_text(tmp_path):
    questions = [("q1", "who", "John Smith"), ("q2", "born", "1895"), ("q3", "who", "Steve Smith"),
                 ("q4", "when", "(1895-1943)"), ("q5", "what", "fox jumped.")]
    features = _features(tmp_path, questions)
    predictions = decode_squad_predictions(features, gold_outputs(features))
    assert predictions.answers == {"q1": "John Smith", "q2": "1895", "q3": "Steve Smith",
                                   "q4": "(1895-1943)", "q5": "fox jumped."}
    assert predictions.null_scores == {}
    nbest = predictions.nbest["q1"]
    assert nbest[0]["text"] == "John Smith"
    assert sum(entry["probability"] for entry in nbest) == pytest.approx(1.0)


def test_gold_spans_across_stride_windows(tmp_path):
    context = " ".join(WORDS[:40])
    questions = [(f"q{i}", "who", f"{WORDS[i]} {WORDS[i + 1]}") for i in range(0, 38, 3)]
    features = _features(tmp_path, questions, context=context, sequence_length=16, doc_stride=3)
    assert len(features) > 3 * len(questions)
    predictions = decode_squad_predictions(features, gold_outputs(features))
    assert predictions.answers == {qid: answer for qid, _, answer in questions}


def test_get_final_text_alignment():
    def basic(text):
        return text.lower().replace("'", " ' ").split()

    assert get_final_text("steve smith", "Steve Smith's", basic) == "Steve Smith"
    assert get_final_text("nowhere", "Steve Smith's", basic) == "Steve Smith's"


def test_max_answer_length_and_n_best(tmp_path):
    features = _features(tmp_path, [("q", "who", "The leader was John Smith")])
    outputs = gold_outputs(features)
    predictions = decode_squad_predictions(features, outputs, max_answer_length=4)
    assert predictions.answers["q"] != "The leader was John Smith"  # 5 wordpieces > 4
    predictions = decode_squad_predictions(features, outputs, n_best_size=3)
    assert len(predictions.nbest["q"]) <= 3
    assert predictions.answers["q"] == "The leader was John Smith"


def test_v2_null_threshold_hf_logits(tmp_path):
    features = _features(tmp_path, [("q", "who", "John Smith")], version="2.0")
    outputs = gold_outputs(features)  # span score 10 + 10
    outputs["start_logits"][:, 0] = 9.0
    outputs["end_logits"][:, 0] = 9.0  # null score 18: diff -2
    predictions = decode_squad_predictions(features, outputs, version_2=True)
    assert predictions.null_scores["q"] == pytest.approx(-2.0)
    assert predictions.answers["q"] == "John Smith"  # -2 <= 0.0 (hf default)
    predictions = decode_squad_predictions(features, outputs, version_2=True, null_score_threshold=-3.0)
    assert predictions.answers["q"] == "" and predictions.best_non_null["q"] == "John Smith"


def _joint(features, start, end, null):
    n, k = len(features), 2
    return {
        "start_top_index": np.tile(np.array([[start, 1]], "int32"), (n, 1)),
        "start_top_log_probs": np.tile(np.array([[-0.1, -3.0]], "float32"), (n, 1)),
        "end_top_index": np.tile(np.array([[[end, 2], [1, 2]]], "int32"), (n, 1, 1)),
        "end_top_log_probs": np.tile(np.array([[[-0.2, -2.0], [-1.0, -4.0]]], "float32"), (n, 1, 1)),
        "no_answer_logits": np.full((n,), null, "float32"),
        "start_logits": np.zeros((n, 32), "float32"),
        "end_logits": np.zeros((n, 32), "float32"),
    }


def test_joint_beam_decoding_and_no_answer_logit(tmp_path):
    features = _features(tmp_path, [("q", "who", "John Smith")], version="2.0")
    feature = features.features[0]
    start, end = feature.start_position, feature.end_position
    predictions = decode_squad_predictions(features, _joint(features, start, end, -5.0), version_2=True)
    assert predictions.answers["q"] == "John Smith"
    assert predictions.null_scores["q"] == pytest.approx(-5.0)
    nbest = predictions.nbest["q"][0]
    assert (nbest["start_logit"], nbest["end_logit"]) == pytest.approx((-0.1, -0.2))
    # Above the original's -2.75 threshold: no answer.
    predictions = decode_squad_predictions(features, _joint(features, start, end, -1.0), version_2=True)
    assert predictions.answers["q"] == "" and predictions.best_non_null["q"] == "John Smith"


def test_bad_outputs(tmp_path):
    features = _features(tmp_path, [("q", "who", "John Smith")])
    with pytest.raises(ValueError, match="start_logits"):
        decode_squad_predictions(features, {"logits": np.zeros((1, 32))})
    with pytest.raises(ValueError, match="rows"):
        decode_squad_predictions(features, {"start_logits": np.zeros((5, 32)), "end_logits": np.zeros((5, 32))})
