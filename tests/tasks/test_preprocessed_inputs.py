"""Every task loaded from a preset with a preprocessor takes raw inputs and packed ids alike.

A dict of token ids is already preprocessed: `predict`/`evaluate` and the
helpers must not run the preprocessor on it a second time (which tokenized
the ids as text and failed).
"""

import warnings

import keras
import numpy as np
import pytest

from keras_electra.errors import ElectraError
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraMaskedLM
from keras_electra.tasks.masked_lm import ElectraMaskedLMPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraQuestionAnswerer
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.tasks import ElectraTokenClassifier
from keras_electra.tasks import ElectraTokenClassifierPreprocessor
from tests.conftest import requires_tf
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs

TEXTS = ["the cat sat on the mat .", "a lazy dog", "the quick brown fox jumped ."]


def packed(preprocessor, x):
    """The preprocessor's features as int32 numpy arrays."""
    return {k: np.asarray(v).astype("int32") for k, v in preprocessor(x=x).items()}


def reload(task, path):
    task.save_to_preset(path)
    restored = type(task).from_preset(path)
    assert restored.preprocessor is not None
    return restored


def test_text_classifier_predict_and_evaluate_on_packed_ids(backbone_preset, tmp_path):
    model = reload(ElectraTextClassifier.from_preset(backbone_preset, num_classes=2),
                   str(tmp_path / "task"))
    features = packed(model.preprocessor, TEXTS)
    on_text = model.predict(TEXTS, batch_size=2, verbose=0)
    on_ids = model.predict(features, batch_size=2, verbose=0)
    np.testing.assert_allclose(on_ids, on_text, atol=1e-5)
    labels = np.array([0, 1, 1])
    loss_text = model.evaluate(TEXTS, labels, batch_size=2, verbose=0)
    loss_ids = model.evaluate(features, labels, batch_size=2, verbose=0)
    np.testing.assert_allclose(loss_ids, loss_text, atol=1e-5)
    # Pairs still go through the preprocessor.
    pairs = (TEXTS, TEXTS[::-1])
    np.testing.assert_allclose(
        model.predict(pairs, batch_size=2, verbose=0),
        model.predict(packed(model.preprocessor, pairs), batch_size=2, verbose=0), atol=1e-5)


def test_token_classifier_predict_on_words_and_packed_ids(backbone_preset, tmp_path):
    preprocessor = ElectraTokenClassifierPreprocessor(ElectraTokenizer(vocabulary=VOCAB),
                                                      sequence_length=16)
    model = reload(ElectraTokenClassifier.from_preset(backbone_preset, num_classes=3,
                                                      preprocessor=preprocessor),
                   str(tmp_path / "task"))
    words = [text.split() for text in TEXTS]
    on_words = model.predict(words, batch_size=2, verbose=0)
    on_ids = model.predict(packed(model.preprocessor, words), batch_size=2, verbose=0)
    np.testing.assert_allclose(on_ids, on_words, atol=1e-5)
    tags = model.predict_words(words, batch_size=2, verbose=0)
    assert [len(row) for row in tags] == [len(w) for w in words]


def test_multiple_choice_predict_on_raw_and_packed_ids(backbone_preset, tmp_path):
    model = reload(ElectraMultipleChoice.from_preset(backbone_preset, num_choices=2,
                                                     sequence_length=16),
                   str(tmp_path / "task"))
    x = (["the cat sat on", "a dog"], [["the mat .", "a fox ."], ["was lazy", "run"]])
    on_raw = model.predict(x, batch_size=2, verbose=0)
    features = packed(model.preprocessor, x)
    on_ids = model.predict(features, batch_size=2, verbose=0)
    np.testing.assert_allclose(on_ids, on_raw, atol=1e-5)
    labels = np.array([0, 1])
    np.testing.assert_allclose(
        model.evaluate(features, labels, batch_size=2, verbose=0),
        model.evaluate(x, labels, batch_size=2, verbose=0), atol=1e-5)


def test_question_answerer_with_and_without_its_preprocessor(tmp_path):
    from tests.tasks.qa_helpers import VOCAB as QA_VOCAB
    from tests.tasks.qa_helpers import WORDS
    from tests.tasks.qa_helpers import preprocessor
    from tests.tasks.qa_helpers import read

    context = " ".join(WORDS[:14])
    questions = [(f"q{i}", f"who {WORDS[i]}", f"{WORDS[i]} {WORDS[i + 1]}") for i in range(0, 8, 2)]
    examples = read(tmp_path, [(context, questions)]).examples
    backbone = ElectraBackbone(**tiny_backbone_kwargs(vocabulary_size=len(QA_VOCAB),
                                                      max_sequence_length=16))
    qa = ElectraQuestionAnswerer(
        backbone, preprocessor(sequence_length=16, max_query_length=4, doc_stride=4),
        beam_size=2, head_hidden_dim=8)
    qa = reload(qa, str(tmp_path / "task"))
    features = qa.preprocessor.featurize(examples, training=True)
    x, y = features.inputs(), features.labels()
    with_preprocessor = qa.predict(x, batch_size=4, verbose=0)
    loss = qa.evaluate(x, y, batch_size=4, verbose=0)

    # The same model without a preprocessor: arrays go straight to Keras and
    # must give the same outputs, and the same loss (end logits conditioned
    # on the gold starts of `y`, as the pipeline does).
    preprocessor_ = qa.preprocessor
    qa.preprocessor = None
    try:
        without = qa.predict(x, batch_size=4, verbose=0)
        loss_without = qa.evaluate(x, y, batch_size=4, verbose=0)
    finally:
        qa.preprocessor = preprocessor_
    for key in with_preprocessor:
        np.testing.assert_allclose(without[key], with_preprocessor[key], atol=1e-5)
    np.testing.assert_allclose(loss_without, loss, rtol=1e-5)
    # Raw strings are not features: a clear error.
    with pytest.raises(ValueError, match="featurize"):
        qa.predict(["who w0"], verbose=0)


def masked_lm_preset(tmp_path, sequence_length=12):
    backbone = ElectraBackbone(**tiny_backbone_kwargs(max_sequence_length=16))
    preprocessor = ElectraMaskedLMPreprocessor(ElectraTokenizer(vocabulary=VOCAB),
                                               sequence_length=sequence_length)
    return reload(ElectraMaskedLM(backbone, preprocessor=preprocessor), str(tmp_path / "mlm"))


def test_masked_lm_fill_mask_and_predict_on_strings_and_packed_ids(tmp_path):
    model = masked_lm_preset(tmp_path)
    texts = ["the quick [MASK] fox .", "a [MASK] sat on the [MASK] ."]
    filled = model.fill_mask(texts, top_k=3)
    assert [len(row) for row in filled] == [1, 2]
    assert all(isinstance(token, str) for row in filled for slot in row for token, _ in slot)
    encoded = model._encode(texts, model.preprocessor.tokenizer)
    assert model.fill_mask(encoded, top_k=3) == filled

    # `predict` on masked ids: the same logits as calling the model.
    positions = np.array([[3], [2]], "int32")
    x = {**encoded, "mask_positions": positions}
    logits = model.predict(x, batch_size=2, verbose=0)
    expected = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(logits, expected, atol=1e-5)
    assert logits.shape == (2, 1, len(VOCAB))
    # Evaluate on packed ids with labels: the preprocessor does not mask them again.
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    labels = np.take_along_axis(encoded["token_ids"], positions, axis=1)
    assert np.isfinite(model.evaluate(x, labels, batch_size=2, verbose=0)).all()


def test_fill_mask_warns_when_a_mask_is_cut(tmp_path):
    model = masked_lm_preset(tmp_path, sequence_length=8)
    with pytest.warns(UserWarning, match=r"truncated and its last 1 \[MASK\]"):
        filled = model.fill_mask(["the quick brown fox jumped over the [MASK] ."], top_k=2)
    assert filled == [[]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert len(model.fill_mask(["the [MASK] ."], top_k=2)[0]) == 1
    with pytest.raises(ElectraError, match="mask_token_id"):
        ElectraMaskedLM(model.backbone).fill_mask({"token_ids": np.zeros((1, 4), "int32"),
                                                   "padding_mask": np.ones((1, 4), "int32")})


@requires_tf
def test_masked_lm_predict_on_strings_masks_them(tmp_path):
    model = masked_lm_preset(tmp_path)
    logits = model.predict(TEXTS, batch_size=2, verbose=0)
    assert logits.shape[0] == len(TEXTS) and logits.shape[-1] == len(VOCAB)
    assert np.isfinite(logits).all()
