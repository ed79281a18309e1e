"""The real SQuAD samples: preprocessing + decoding + official metric are consistent."""

import os

import keras
import numpy as np

from keras_electra.data.squad import read_squad
from keras_electra.metrics.squad import squad_v1_evaluate
from keras_electra.metrics.squad import squad_v2_evaluate
from keras_electra.models import ElectraBackbone
from keras_electra.preprocessing.demo_vocabulary import demo_vocabulary
from keras_electra.models.tokenizer import ElectraTokenizer
from keras_electra.tasks import ElectraQuestionAnswerer
from keras_electra.tasks import ElectraQuestionAnswererPreprocessor
from keras_electra.tasks import decode_squad_predictions
from keras_electra.tasks.squad_decoding import gold_outputs


def _preprocessor(dataset, **kwargs):
    texts = [e.context_text for e in dataset.examples] + [e.question_text for e in dataset.examples]
    return ElectraQuestionAnswererPreprocessor(ElectraTokenizer(vocabulary=demo_vocabulary(texts)), **kwargs)


def test_gold_spans_decode_to_the_answers(shared_data):
    v1 = read_squad(os.path.join(shared_data, "squad", "dev-v1.1-part1.json"), verbose=False)
    v2 = read_squad(os.path.join(shared_data, "squad", "dev-v2.0-sample.json"), verbose=False)
    assert (v1.version, len(v1), v1.answers_not_found) == ("1.1", 4961, 0)
    assert (v2.version, len(v2), sum(e.is_impossible for e in v2.examples)) == ("2.0", 208, 112)

    # The settings: length 384, question 64, stride 128.
    features = _preprocessor(v1).featurize(v1.examples)
    assert len(features.examples) == 4961 and len(features) > 4961  # some contexts need two windows
    predictions = decode_squad_predictions(features, gold_outputs(features))
    result = squad_v1_evaluate(v1.data, predictions.answers)
    # Not exactly 100: a few answers are parts of a wordpiece word ("gold" in "golden").
    assert result["exact_match"] > 98.5 and result["f1"] > 98.5 and result["missing"] == 0

    # Short windows force the stride on every context; v2.0 also has no-answer questions.
    features = _preprocessor(v2, sequence_length=64, max_query_length=16, doc_stride=24).featurize(v2.examples)
    assert len(features) > 3 * len(v2)
    predictions = decode_squad_predictions(features, gold_outputs(features), version_2=True)
    result = squad_v2_evaluate(v2.data, predictions.best_non_null, predictions.null_scores,
                               na_prob_thresh=0.0)
    assert result["HasAns_exact"] == 100.0 and result["NoAns_exact"] == 100.0
    assert result["HasAns_total"] == 96 and result["NoAns_total"] == 112


def test_tiny_model_trains_and_evaluates_on_real_questions(shared_data):
    v2 = read_squad(os.path.join(shared_data, "squad", "dev-v2.0-sample.json"), verbose=False)
    examples = v2.examples[:12]
    preprocessor = _preprocessor(v2, sequence_length=32, max_query_length=8, doc_stride=16)
    features = preprocessor.featurize(examples, training=True)
    backbone = ElectraBackbone(vocabulary_size=preprocessor.tokenizer.vocabulary_size(), num_layers=1,
                               num_heads=2, hidden_dim=16, intermediate_dim=32, max_sequence_length=32)
    qa = ElectraQuestionAnswerer(backbone, preprocessor, beam_size=4, head_hidden_dim=16)
    x, y = features.inputs(), features.labels()
    first = qa.evaluate(x, y, batch_size=64, verbose=0)
    qa.compile(optimizer=keras.optimizers.Adam(3e-3))
    qa.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert qa.evaluate(x, y, batch_size=64, verbose=0) < first  # it learns the training windows
    outputs = qa.predict(x, batch_size=64, verbose=0)
    predictions = decode_squad_predictions(features, outputs, version_2=True)
    qids = {e.qas_id for e in examples}
    data = [{"paragraphs": [{**p, "qas": [q for q in p["qas"] if q["id"] in qids]}
                            for a in v2.data for p in a["paragraphs"]]}]
    result = squad_v2_evaluate(data, predictions.best_non_null, predictions.null_scores, -2.75)
    assert result["total"] == 12 and 0.0 <= result["f1"] <= 100.0
    assert all(isinstance(text, str) for text in predictions.answers.values())
    assert np.isfinite(outputs["no_answer_logits"]).all()


def test_real_vocabulary_alignment_matches_the_original(shared_data, tmp_path):
    """With a real BERT vocabulary: the original tokenization, and gold spans decode back."""
    from tests.preprocessing.tokenizer_reference import bert_vocabulary
    from tests.preprocessing.tokenizer_reference import reference_tokenizer
    from tests.preprocessing.tokenizer_reference import reference_tokens

    v1 = read_squad(os.path.join(shared_data, "squad", "dev-v1.1-part1.json"), verbose=False)
    path = bert_vocabulary(tmp_path, [e.context_text for e in v1.examples])
    preprocessor = ElectraQuestionAnswererPreprocessor(ElectraTokenizer(vocabulary=path))
    reference = reference_tokenizer(path, lowercase=True)
    contexts = {id(e.doc_tokens): e for e in v1.examples}.values()
    for example in contexts:  # the windows' wordpieces: the original's, word by word
        pieces, tok_to_orig, _ = preprocessor._tokenize_doc(example.doc_tokens)
        assert pieces == reference_tokens(reference, example.context_text)
        counts = [len(reference_tokens(reference, word)) for word in example.doc_tokens]
        assert tok_to_orig == [i for i, n in enumerate(counts) for _ in range(n)]
    features = preprocessor.featurize(v1.examples)
    predictions = decode_squad_predictions(features, gold_outputs(features))
    result = squad_v1_evaluate(v1.data, predictions.answers)
    # 99.50 exact with MiniLM's vocabulary; the rest are answers inside a wordpiece word.
    assert result["exact_match"] > 99.3 and result["missing"] == 0
