"""ElectraTask: one base class for the mixins, compile defaults and label checks."""

import os
import subprocess
import warnings
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras_hub.models import MaskedLM
from keras_hub.models import Task
from keras_hub.models import TextClassifier

from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraMaskedLM
from keras_electra.tasks import ElectricScorer
from keras_electra.fast_paths.direct_functional import DirectFunctional
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraQuestionAnswerer
from keras_electra.tasks import ElectraTask
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.tasks import ElectraTokenClassifier
from keras_electra.tasks.array_inputs import ArrayInputs
from keras_electra.fast_paths.sparse_gradients import DenseSparseGradients
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs

TASKS = {
    ElectraTextClassifier: TextClassifier,
    ElectraTokenClassifier: Task,
    ElectraMultipleChoice: Task,
    ElectraQuestionAnswerer: Task,
    ElectraMaskedLM: MaskedLM,
    ElectricScorer: Task,
}


def backbone():
    keras.utils.set_random_seed(0)
    return ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))


@pytest.mark.parametrize("task_cls", list(TASKS), ids=lambda cls: cls.__name__)
def test_every_task_is_an_electra_task_with_mixins_before_keras_hub(task_cls):
    keras_hub_base = TASKS[task_cls]
    assert task_cls.__bases__ == (ElectraTask, keras_hub_base)
    mro = task_cls.__mro__
    for mixin in (DirectFunctional, ArrayInputs, DenseSparseGradients):
        assert mro.index(mixin) < mro.index(keras_hub_base) <= mro.index(Task)
    # The order the mixins need: lean calls, array inputs, then dense gradients.
    assert mro.index(DirectFunctional) < mro.index(ArrayInputs) < mro.index(DenseSparseGradients)


def test_a_task_with_a_keras_hub_subclass_base_builds_first_in_a_fresh_process():
    # Keras swaps `Model` for `Functional` in the bases on the first functional
    # construction; a diamond above `keras.Model` would make that fail.
    code = (
        "from keras_electra.models import ElectraBackbone\n"
        "from keras_electra.tasks import ElectraMaskedLM\n"
        "from keras_electra.tasks import ElectraTextClassifier\n"
        "from tests.helpers import tiny_backbone_kwargs\n"
        "ElectraTextClassifier(ElectraBackbone(**tiny_backbone_kwargs()), num_classes=2)\n"
        "ElectraMaskedLM(ElectraBackbone(**tiny_backbone_kwargs()))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_fine_tuning_defaults_compile_at_construction():
    from keras_electra.models.sizes import model_size_name
    from keras_electra.training import get_finetuning_recipe

    for model in (
        ElectraTextClassifier(backbone(), num_classes=3),
        ElectraMultipleChoice(backbone(), num_choices=2),
        ElectraTokenClassifier(backbone(), num_classes=3),
        ElectraQuestionAnswerer(backbone()),
        ElectraQuestionAnswerer(backbone(), head="hf"),
    ):
        # The recipe of `keras-electra finetune` for the backbone's width.
        recipe = get_finetuning_recipe(model_size_name(model.backbone.hidden_dim))
        reference = recipe.create_optimizer(model, 100)
        assert model.compiled
        assert type(model.optimizer).__name__ == "LayerwiseDecayOptimizer"
        assert model.optimizer.multipliers == reference.multipliers
        inner = model.optimizer.inner_optimizer
        assert inner.bias_correction is False  # the original's Adam
        assert inner.weight_decay == pytest.approx(0.01)
        assert inner.epsilon == pytest.approx(1e-6)
        assert inner.global_clipnorm == pytest.approx(1.0)
        schedule = model._auto_schedule
        assert schedule.peak_learning_rate == recipe.learning_rate
        assert schedule.warmup_proportion == 0.1 and schedule.power == 1.0
        assert float(inner.learning_rate) == 0.0  # step 0 of the warmup
        if not isinstance(model, ElectraQuestionAnswerer):
            assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
            assert model.loss.get_config()["from_logits"]
            assert model.loss.get_config()["reduction"] == "sum"
    model = ElectraTokenClassifier(backbone(), num_classes=3)
    config = model.get_compile_config()
    assert config["metrics"] is None and config["weighted_metrics"]  # token classifier


def test_task_specific_defaults():
    regression = ElectraTextClassifier(backbone(), num_classes=1)
    assert isinstance(regression.loss, keras.losses.MeanSquaredError)
    softmax = ElectraTextClassifier(backbone(), num_classes=2, activation="softmax")
    assert not softmax.loss.get_config()["from_logits"]

    qa = ElectraQuestionAnswerer(backbone(), head="hf")
    assert qa.loss is None
    with pytest.raises(ValueError, match="span loss"):
        qa.compile(loss="mse")

    masked_lm = ElectraMaskedLM(backbone())  # keras-hub's MaskedLM defaults
    assert type(masked_lm.optimizer).__name__ == "Adam"
    assert float(masked_lm.optimizer.learning_rate) == pytest.approx(5e-5)
    assert masked_lm.get_compile_config()["weighted_metrics"]

    scorer = ElectricScorer(backbone())  # Keras' plain defaults
    assert type(scorer.optimizer).__name__ == "RMSprop"


def test_compile_false_defers_to_the_caller():
    model = ElectraTextClassifier(backbone(), num_classes=2, compile=False)
    assert not model.compiled
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    assert type(model.optimizer).__name__ == "SGD"
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)


def test_label_checks():
    classifier = ElectraTextClassifier(backbone(), num_classes=3)
    classifier.check_labels(np.array([0, 2]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        classifier.check_labels(np.array([0, 3]))
    # Regression has no class ids to check.
    ElectraTextClassifier(backbone(), num_classes=1).check_labels(np.array([7.5]))
    choice = ElectraMultipleChoice(backbone(), num_choices=2)
    with pytest.raises(ValueError, match="Choice labels"):
        choice.check_labels(np.array([2]))


class Tagger(ElectraTask, Task):
    """The docstring's minimal subclass: config first, one hook for labels."""

    def __init__(self, backbone, num_classes, preprocessor=None, **kwargs):
        self.num_classes = num_classes
        self.backbone = backbone
        self.preprocessor = preprocessor
        inputs = backbone.input
        outputs = keras.layers.Dense(num_classes)(backbone(inputs)["sequence_output"])
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    @property
    def label_classes(self):
        return self.num_classes


def test_a_subclass_gets_defaults_and_label_checks_in_fit_and_evaluate():
    tagger = Tagger(backbone(), num_classes=3)
    assert tagger.compiled
    assert type(tagger.optimizer).__name__ == "LayerwiseDecayOptimizer"
    x = tiny_inputs(batch_size=2)
    labels = np.zeros((2, 8), "int32")
    tagger.fit(x, labels, batch_size=2, verbose=0)
    bad = labels.copy()
    bad[0, 1] = 3
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        tagger.fit(x, bad, batch_size=2, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        tagger.evaluate(x, bad, batch_size=2, verbose=0)
    # Zero sample weight marks padding labels, which may hold anything.
    weights = np.ones((2, 8), "float32")
    weights[0, 1] = 0.0
    tagger.check_labels(bad, weights)
    assert tagger.predict(x, verbose=0).shape == (2, 8, 3)


def test_task_preset_leaves_the_optimizer_state_out(tmp_path):
    import h5py

    model = ElectraTextClassifier(backbone(), num_classes=2, preprocessor=None)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    x = tiny_inputs(batch_size=4)
    model.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    model.save_to_preset(str(tmp_path))
    with h5py.File(tmp_path / "task.weights.h5") as f:
        names = []
        f.visit(names.append)
    assert not [n for n in names if "optimizer" in n], names
    assert [n for n in names if n.endswith("vars/0")]  # the head's kernel is there
    loaded = ElectraTextClassifier.from_preset(str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Skipping variable loading for optimizer"
        loaded.load_task_weights(str(tmp_path / "task.weights.h5"))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
