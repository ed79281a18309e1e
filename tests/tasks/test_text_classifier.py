import os

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraTextClassifier
from tests.conftest import requires_tf
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs

SENTENCES = ["the quick fox", "a cat sat on the mat", "the lazy dog", "the dog run"]


@requires_tf
@pytest.mark.parametrize("head", ["original", "hf"])
def test_fit_and_task_preset_round_trip(backbone_preset, tmp_path, head):
    model = ElectraTextClassifier.from_preset(backbone_preset, num_classes=3, head=head)
    history = model.fit(x=(SENTENCES, SENTENCES[::-1]), y=[0, 1, 2, 1], batch_size=2, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = str(tmp_path / "task")
    model.save_to_preset(path)
    assert os.path.isfile(os.path.join(path, "task.json"))
    restored = ElectraTextClassifier.from_preset(path)
    assert restored.head == head and restored.num_classes == 3
    pairs = (["the cat"], ["a dog"])
    np.testing.assert_allclose(
        model.predict(pairs, verbose=0), restored.predict(pairs, verbose=0), atol=1e-6
    )


@requires_tf
def test_regression_uses_mse_and_trains(backbone_preset):
    model = ElectraTextClassifier.from_preset(backbone_preset, num_classes=1)
    assert isinstance(model.loss, keras.losses.MeanSquaredError)
    scores = np.array([0.0, 2.5, 4.0, 5.0], "float32")
    before = model.evaluate(SENTENCES, scores, verbose=0, return_dict=True)["loss"]
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(SENTENCES, scores, batch_size=4, epochs=8, verbose=0)
    after = model.evaluate(SENTENCES, scores, verbose=0, return_dict=True)["loss"]
    assert after < before
    assert model.predict(SENTENCES, verbose=0).shape == (4, 1)


def test_labels_outside_num_classes_raise(backbone_preset):
    model = ElectraTextClassifier.from_preset(backbone_preset, num_classes=2)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        model.fit(SENTENCES[:2], [0, 2], verbose=0)
    with pytest.raises(ValueError, match="non-integer"):
        model.evaluate(SENTENCES[:2], np.array([0.5, 1.0]), verbose=0)
    with pytest.raises(ValueError, match="negative|\\[0, 2\\)"):
        model.fit(SENTENCES[:2], [-1, 0], verbose=0)


def test_bad_constructor_arguments():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    with pytest.raises(ValueError, match="head"):
        ElectraTextClassifier(backbone, num_classes=2, head="tanh")
    with pytest.raises(ValueError, match="num_classes"):
        ElectraTextClassifier(backbone, num_classes=0)


def test_config_round_trip():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    model = ElectraTextClassifier(backbone, num_classes=5, head="hf", dropout=0.2)
    clone = ElectraTextClassifier.from_config(model.get_config())
    assert (clone.num_classes, clone.head, clone.dropout) == (5, "hf", 0.2)
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_hf_head_matches_transformers_sequence_classification():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tests.tasks.hf_reference import copy_dense, copy_hf_weights, hf_config, state_dict

    torch.manual_seed(0)
    reference = transformers.ElectraForSequenceClassification(
        hf_config(transformers, num_labels=3)
    ).eval()
    sd, backbone_sd = state_dict(reference)
    model = ElectraTextClassifier(
        ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0)), num_classes=3, head="hf"
    )
    copy_hf_weights(model.backbone, backbone_sd)
    copy_dense(model.classifier_dense, sd, "classifier.dense")
    copy_dense(model.output_dense, sd, "classifier.out_proj")
    inputs = tiny_inputs(batch_size=2, sequence_length=8)
    ours = keras.ops.convert_to_numpy(model(inputs))
    with torch.no_grad():
        theirs = reference(
            input_ids=torch.tensor(inputs["token_ids"]).long(),
            token_type_ids=torch.tensor(inputs["segment_ids"]).long(),
            attention_mask=torch.tensor(inputs["padding_mask"]).long(),
        ).logits.numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
