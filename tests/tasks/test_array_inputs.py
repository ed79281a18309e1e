"""ArrayInputs: array data without a preprocessor skips keras-hub's pipeline."""

import keras
import numpy as np
import pytest
from keras_hub.src.utils import pipeline_model

from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraTextClassifier
from tests.conftest import requires_tf
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs


@pytest.fixture
def pipeline_calls(monkeypatch):
    """Names of keras-hub pipeline datasets built during the test."""
    calls = []
    original = pipeline_model._build_dataset

    def spy(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline_model, "_build_dataset", spy)
    return calls


def classifier():
    keras.utils.set_random_seed(0)
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    model = ElectraTextClassifier(backbone, num_classes=3, preprocessor=None)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    return model


def test_arrays_go_straight_to_keras(pipeline_calls):
    model = classifier()
    x = tiny_inputs(batch_size=6)
    y = np.array([0, 1, 2, 1, 0, 2])
    expected = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), expected, atol=1e-5)
    before = model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)["loss"]
    history = model.fit(x, y, batch_size=3, epochs=5, verbose=0, validation_data=(x, y))
    assert np.isfinite(history.history["val_loss"]).all()
    assert model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)["loss"] < before
    tensors = {k: keras.ops.convert_to_tensor(v) for k, v in x.items()}
    assert model.predict(tensors, verbose=0).shape == (6, 3)
    assert pipeline_calls == []


def test_labels_are_still_checked(pipeline_calls):
    model = classifier()
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.fit(tiny_inputs(batch_size=2), np.array([0, 3]), verbose=0)


@requires_tf
def test_a_preprocessor_uses_keras_hub_pipeline_for_datasets(pipeline_calls, backbone_preset):
    import tensorflow as tf

    model = ElectraTextClassifier.from_preset(backbone_preset, num_classes=2)
    assert model.predict(["the cat", "a dog"], verbose=0).shape == (2, 2)
    assert pipeline_calls == []  # host text is packed on the host (`BucketedInputs`)
    dataset = tf.data.Dataset.from_tensor_slices(["the cat", "a dog"]).batch(2)
    assert model.predict(dataset, verbose=0).shape == (2, 2)
    assert len(pipeline_calls) == 1
