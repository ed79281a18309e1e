import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraMultipleChoicePreprocessor
from tests.conftest import requires_tf
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs

X = (["the cat sat on", "the dog"], [["the mat", "a fox", "lazy"], ["run", "sat", "was"]])


def preprocessor(num_choices=3, length=10):
    return ElectraMultipleChoicePreprocessor(ElectraTokenizer(vocabulary=VOCAB), num_choices=num_choices,
                                             sequence_length=length)


def test_preprocessor_packs_every_choice():
    x, y = preprocessor()(X, [0, 2])
    assert x["token_ids"].shape == (2, 3, 10)
    assert x["token_ids"][0, 1].tolist() == [2, 5, 16, 17, 18, 3, 15, 8, 3, 0]
    assert x["segment_ids"][0, 1].tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 0]
    assert y.tolist() == [0, 2]
    with pytest.raises(ValueError, match="has 2 choices"):
        preprocessor()(x=(["a"], [["b", "c"]]))


def test_labels_outside_choices_raise():
    model = ElectraMultipleChoice(ElectraBackbone(**tiny_backbone_kwargs()), num_choices=3,
                                  preprocessor=preprocessor())
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.fit(X, [0, 3], verbose=0)


@requires_tf
def test_fit_and_task_preset_round_trip(backbone_preset, tmp_path):
    model = ElectraMultipleChoice.from_preset(backbone_preset, num_choices=3, sequence_length=10)
    history = model.fit(X, [0, 2], batch_size=2, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = str(tmp_path / "mc")
    model.save_to_preset(path)
    restored = ElectraMultipleChoice.from_preset(path)
    scores = model.predict(X, verbose=0)
    assert scores.shape == (2, 3)
    np.testing.assert_allclose(scores, restored.predict(X, verbose=0), atol=1e-6)


def test_matches_transformers_multiple_choice():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tests.tasks.hf_reference import copy_dense, copy_hf_weights, hf_config, state_dict

    torch.manual_seed(0)
    reference = transformers.ElectraForMultipleChoice(hf_config(transformers)).eval()
    sd, backbone_sd = state_dict(reference)
    model = ElectraMultipleChoice(ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0)), num_choices=3)
    copy_hf_weights(model.backbone, backbone_sd)
    copy_dense(model.sequence_summary, sd, "sequence_summary.summary")
    copy_dense(model.classifier, sd, "classifier")
    x, _ = preprocessor()(X, [0, 1])
    ours = keras.ops.convert_to_numpy(model(x))
    with torch.no_grad():
        theirs = reference(input_ids=torch.tensor(x["token_ids"]).long(),
                           token_type_ids=torch.tensor(x["segment_ids"]).long(),
                           attention_mask=torch.tensor(x["padding_mask"]).long()).logits.numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
