import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraTokenClassifier
from keras_electra.tasks import ElectraTokenClassifierPreprocessor
from tests.conftest import requires_tf
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs

WORDS = [["The", "cats", "sat"], ["a", "dog", "run", "over", "the", "lazy", "mat", "fox"]]
TAGS = [[0, 1, 2], [1, 0, 1, 2, 1, 0, 1, 2]]


def preprocessor(length=8):
    return ElectraTokenClassifierPreprocessor(ElectraTokenizer(vocabulary=VOCAB), sequence_length=length)


def test_labels_go_on_first_wordpieces():
    x, y, weights = preprocessor()([["The", "cats", "jumped", "xyz"]], [[1, 2, 3, 1]])
    # cats -> cat ##s; xyz -> [UNK]
    assert x["token_ids"].tolist() == [[2, 5, 16, 20, 9, 1, 3, 0]]
    assert y.tolist() == [[0, 1, 2, 0, 3, 1, 0, 0]]
    assert weights.tolist() == [[0, 1, 1, 0, 1, 1, 0, 0]]
    assert x["padding_mask"].tolist() == [[1, 1, 1, 1, 1, 1, 1, 0]]


def test_truncation_and_mapping_back_to_words():
    p = preprocessor(6)
    features, starts = p.encode(WORDS)
    assert starts[1] == [1, 2, 3, 4]  # 4 single-piece words fit between [CLS] and [SEP]
    predictions = np.zeros((2, 6), "int32")
    predictions[1, [1, 2, 3, 4]] = [5, 6, 7, 8]
    predictions[0, [1, 2, 4]] = [1, 2, 3]
    assert p.word_predictions(WORDS, predictions) == [[1, 2, 3], [5, 6, 7, 8, None, None, None, None]]


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="3 words but 2 labels"):
        preprocessor()(WORDS[:1], [[0, 1]])
    with pytest.raises(ValueError, match="list of word strings"):
        preprocessor()([["the", 3]])
    model = ElectraTokenClassifier(ElectraBackbone(**tiny_backbone_kwargs()), num_classes=3,
                                   preprocessor=preprocessor())
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.fit(WORDS, [[0, 1, 3], TAGS[1]], verbose=0)


@requires_tf
def test_fit_and_task_preset_round_trip(backbone_preset, tmp_path):
    model = ElectraTokenClassifier.from_preset(
        backbone_preset, num_classes=3,
        preprocessor=ElectraTokenClassifierPreprocessor.from_preset(backbone_preset, sequence_length=12),
    )
    history = model.fit(WORDS, TAGS, batch_size=2, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    predictions = model.predict_words(WORDS, verbose=0)
    assert [len(p) for p in predictions] == [3, 8]
    path = str(tmp_path / "tagger")
    model.save_to_preset(path)
    restored = ElectraTokenClassifier.from_preset(path)
    assert restored.preprocessor.sequence_length == 12
    np.testing.assert_allclose(model.predict(WORDS, verbose=0), restored.predict(WORDS, verbose=0), atol=1e-6)


def test_matches_transformers_token_classification():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tests.tasks.hf_reference import copy_dense, copy_hf_weights, hf_config, state_dict

    torch.manual_seed(0)
    reference = transformers.ElectraForTokenClassification(hf_config(transformers, num_labels=4)).eval()
    sd, backbone_sd = state_dict(reference)
    model = ElectraTokenClassifier(ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0)), num_classes=4)
    copy_hf_weights(model.backbone, backbone_sd)
    copy_dense(model.classifier, sd, "classifier")
    x, _, _ = preprocessor(10)(WORDS, TAGS)
    ours = keras.ops.convert_to_numpy(model(x))
    with torch.no_grad():
        theirs = reference(input_ids=torch.tensor(x["token_ids"]).long(),
                           token_type_ids=torch.tensor(x["segment_ids"]).long(),
                           attention_mask=torch.tensor(x["padding_mask"]).long()).logits.numpy()
    real = x["padding_mask"].astype(bool)
    np.testing.assert_allclose(ours[real], theirs[real], atol=1e-4, rtol=0)
