"""Windows, stride, offsets and labels of ElectraQuestionAnswererPreprocessor."""

import numpy as np
import pytest

from keras_electra.tasks.question_answerer_preprocessor import ElectraQuestionAnswererPreprocessor
from keras_electra.tasks.question_answerer_preprocessor import doc_windows
from tests.tasks.qa_helpers import WORDS, preprocessor, read, tokenizer

LONG = " ".join(WORDS[:23])  # 23 single-wordpiece words


def test_doc_windows_stride():
    assert doc_windows(23, 10, 4) == [(0, 10), (4, 10), (8, 10), (12, 10), (16, 7)]
    assert doc_windows(5, 10, 4) == [(0, 5)]
    assert doc_windows(0, 10, 4) == [(0, 0)]


def test_layout_segments_and_offsets(tmp_path):
    # Question "who w1" is 2 wordpieces: 16 - 2 - 3 = 11 context wordpieces per window.
    dataset = read(tmp_path, [(LONG, [("q", "who w1", "w13 w14")])])
    features = preprocessor().featurize(dataset.examples)
    spans = doc_windows(23, 11, 4)
    assert [len(features)] == [len(spans)]
    first = features.features[0]
    assert first.tokens[:4] == ["[CLS]", "who", "w1", "[SEP]"]
    assert first.tokens[4:15] == WORDS[:11] and first.tokens[15] == "[SEP]"
    assert first.segment_ids == [0] * 4 + [1] * 12
    assert first.padding_mask == [1] * 16
    inputs = features.inputs()
    assert inputs["token_ids"].shape == (len(spans), 16) and inputs["token_ids"].dtype == np.int32
    # Wordpiece position -> whitespace word, in every window.
    for feature, (start, length) in zip(features.features, spans):
        assert feature.token_to_orig_map == {4 + i: start + i for i in range(length)}
        for position, word in feature.token_to_orig_map.items():
            assert feature.tokens[position] == dataset.examples[0].doc_tokens[word]


def test_long_context_covered_by_stride_with_unique_max_context(tmp_path):
    words = " ".join(WORDS[i % 60] for i in range(200))
    dataset = read(tmp_path, [(words, [("q", "w0", "w59")])])
    features = preprocessor(sequence_length=24, doc_stride=7).featurize(dataset.examples)
    assert len(features) > 20
    seen = {}
    for feature in features.features:
        assert len(feature.token_ids) == 24
        for position, word in feature.token_to_orig_map.items():
            if feature.token_is_max_context[position]:
                assert word not in seen, "a token is max-context in two windows"
                seen[word] = feature.doc_span_index
    assert sorted(seen) == list(range(200))  # every word covered, exactly once


def test_labels_in_and_out_of_window(tmp_path):
    dataset = read(tmp_path, [(LONG, [("q", "who w1", "w13 w14")])])
    features = preprocessor().featurize(dataset.examples, training=True)
    labels = features.labels()
    for feature, start, end in zip(features.features, labels["start_positions"], labels["end_positions"]):
        doc_start = feature.token_to_orig_map[4] if feature.token_to_orig_map else 0
        inside = doc_start <= 13 and 14 <= doc_start + len(feature.token_to_orig_map) - 1
        if inside:
            assert feature.tokens[start : end + 1] == ["w13", "w14"]
        else:
            assert (start, end) == (0, 0)
    assert labels["is_impossible"].tolist() == [0] * len(features)
    # Windows start at words 0, 4, 8, 12; the answer (words 13-14) is in the last three.
    assert labels["start_positions"].tolist() == [0, 4 + 13 - 4, 4 + 13 - 8, 4 + 13 - 12]


def test_unanswerable_labels_cls(tmp_path):
    dataset = read(tmp_path, [("w1 w2 w3", [("q", "who", None)])], version="2.0")
    features = preprocessor().featurize(dataset.examples, training=True)
    assert features.labels()["start_positions"].tolist() == [0]
    assert features.labels()["is_impossible"].tolist() == [1]


def test_improved_answer_span_and_wordpieces(tmp_path):
    context = "the leader was john smith (1895-1943). fox jumped"
    dataset = read(tmp_path, [(context, [("q1", "born", "1895"), ("q2", "what", "jump")])])
    features = preprocessor(sequence_length=32).featurize(dataset.examples, training=True)
    f1, f2 = features.features
    # "(1895-1943)." is one whitespace word but six wordpieces; the span narrows to "1895".
    assert f1.tokens[f1.start_position : f1.end_position + 1] == ["1895"]
    # "jump" is part of the word "jumped" = "jump ##ed": the span narrows to the piece.
    assert f2.tokens[f2.start_position : f2.end_position + 1] == ["jump"]
    assert f2.tokens[f2.start_position + 1] == "##ed"


def test_query_truncated_and_unfound_answers_skipped(tmp_path):
    dataset = read(tmp_path, [("w1 w2 w3", [("q1", " ".join(WORDS[:20]), "w2"), ("q2", "who", "w3")])])
    dataset.examples[1].answer_found = False
    dataset.examples[1].start_position = None
    features = preprocessor(max_query_length=5).featurize(dataset.examples, training=True)
    assert features.skipped == 1 and len(features.examples) == 1
    assert features.features[0].tokens[:7] == ["[CLS]"] + WORDS[:5] + ["[SEP]"]
    # Evaluation keeps the example (no labels for it).
    assert len(preprocessor().featurize(dataset.examples).examples) == 2


def test_bad_configuration_and_inputs():
    with pytest.raises(ValueError, match="no room for the context"):
        ElectraQuestionAnswererPreprocessor(tokenizer(), sequence_length=64, max_query_length=64)
    with pytest.raises(ValueError, match="doc_stride"):
        ElectraQuestionAnswererPreprocessor(tokenizer(), doc_stride=0)
    with pytest.raises(ValueError, match="featurize"):
        preprocessor()(["who?"])


def test_config_round_trip():
    p = preprocessor(sequence_length=20, max_query_length=6, doc_stride=3)
    restored = ElectraQuestionAnswererPreprocessor.from_config(p.get_config())
    assert (restored.sequence_length, restored.max_query_length, restored.doc_stride) == (20, 6, 3)
