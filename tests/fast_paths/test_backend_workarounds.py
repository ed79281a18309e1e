"""Keras backend bugs that would silently corrupt training, and our fixes for them."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraPretrainer
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.fast_paths.sparse_gradients import densify_sparse_gradients
from keras_electra.fast_paths.torch_parameters import missing_torch_parameters
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs

SPECIAL_IDS = dict(mask_token_id=4, cls_token_id=2, sep_token_id=3, pad_token_id=0)


def pretrainer(**kwargs):
    return ElectraPretrainer.from_size(tiny_backbone_kwargs(), seed=1, **SPECIAL_IDS, **kwargs)


def classifier():
    return ElectraTextClassifier(ElectraBackbone(**tiny_backbone_kwargs()), num_classes=2, preprocessor=None)


PRETRAINERS = {
    "electra-tied": lambda: pretrainer(),
    "electra-untied": lambda: pretrainer(embedding_sharing="untied"),
    "electra-gdes": lambda: pretrainer(embedding_sharing="gdes"),
    "electric": lambda: pretrainer(objective="electric"),
    "mlm": lambda: pretrainer(objective="mlm"),
}


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch parameter registration")
@pytest.mark.parametrize("name", list(PRETRAINERS) + ["text_classifier"])
def test_every_trainable_variable_is_a_torch_parameter(name):
    # The torch trainer clears gradients with `zero_grad()`, which only reaches
    # `parameters()`: a variable missing there accumulates gradients forever.
    x, y = repeated_token_batch(), None
    if name in PRETRAINERS:
        model = PRETRAINERS[name]()
    else:
        model = classifier()
        y = np.zeros((8,), "int32")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=None if y is None else "sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    assert [v.path for v in missing_torch_parameters(model)] == []


def repeated_token_batch():
    # Many repeats of the same ids: [CLS], [SEP], segment 0 and token 5.
    inputs = tiny_inputs(batch_size=8, sequence_length=16)
    inputs["token_ids"][:, 1:8] = 5
    inputs["token_ids"][:, -1] = 3
    inputs["padding_mask"][:] = 1
    inputs["segment_ids"][:] = 0
    return inputs


def first_adam_step(model, x, y=None, learning_rate=1e-3):
    before = [ops.convert_to_numpy(v).copy() for v in model.trainable_variables]
    model.train_on_batch(x, y)
    return max(
        float(np.abs(b - ops.convert_to_numpy(v)).max())
        for b, v in zip(before, model.trainable_variables)
    ) / learning_rate


@pytest.mark.parametrize("sharing", ["tied", "untied"])
def test_first_adam_step_moves_no_pretrainer_weight_more_than_the_learning_rate(sharing):
    # Adam's first step is lr * g / (|g| + eps). On TensorFlow, Keras applies it
    # row by row to a sparse embedding gradient with repeated ids, which moves
    # those rows up to sqrt(repeats) times further.
    model = pretrainer(embedding_sharing=sharing)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    assert first_adam_step(model, repeated_token_batch()) <= 1.0 + 1e-3


def test_first_adam_step_moves_no_classifier_weight_more_than_the_learning_rate():
    model = classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    assert first_adam_step(model, repeated_token_batch(), np.zeros((8,), "int32")) <= 1.0 + 1e-3


def test_densify_is_idempotent_and_keeps_the_optimizer():
    optimizer = keras.optimizers.Adam(1e-3)
    assert densify_sparse_gradients(densify_sparse_gradients(optimizer)) is optimizer


def test_the_optimizer_is_still_saved_as_optimizer(tmp_path):
    import zipfile

    import h5py

    model = classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.train_on_batch(repeated_token_batch(), np.zeros((8,), "int32"))
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        assert "optimizer" in weights and not any("dense_sparse" in k for k in weights)
        assert len(weights["optimizer"]["vars"]) == len(model.optimizer.variables)
