"""Layer-wise learning rates on the task models: head L+1, layer i i+1, embeddings 0."""

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.tasks import ElectraTokenClassifier
from keras_electra.training import LayerwiseDecayOptimizer
from keras_electra.training import get_finetuning_recipe
from keras_electra.training import layerwise_decay_multipliers
from tests.helpers import tiny_backbone_kwargs

BUILDERS = {
    "text": lambda b: ElectraTextClassifier(b, num_classes=2, head="hf"),
    "token": lambda b: ElectraTokenClassifier(b, num_classes=3),
    "choice": lambda b: ElectraMultipleChoice(b, num_choices=2),
}


def expected_depth(path):
    if path.startswith(("embeddings/", "embeddings_projection/")):
        return 0
    if path.startswith("transformer_layer_"):
        return int(path.split("/")[0].rsplit("_", 1)[1]) + 1
    return 3  # the task head, L + 1 with L = 2


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_per_variable_learning_rates(kind):
    model = BUILDERS[kind](ElectraBackbone(**tiny_backbone_kwargs()))
    multipliers = layerwise_decay_multipliers(model, 0.5)
    head = [v.path for v in model.trainable_variables if expected_depth(v.path) == 3]
    assert head, "the task head has variables"
    optimizer = LayerwiseDecayOptimizer(keras.optimizers.SGD(0.1), multipliers)
    variables = model.trainable_variables
    before = [keras.ops.convert_to_numpy(v.value) for v in variables]
    optimizer.apply([keras.ops.ones_like(v.value) for v in variables], variables)
    for variable, old in zip(variables, before):
        rate = 0.1 * 0.5 ** (3 - expected_depth(variable.path))
        step = old - keras.ops.convert_to_numpy(variable.value)
        np.testing.assert_allclose(step, rate, rtol=1e-4, err_msg=variable.path)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_recipe_optimizer_covers_task_variables(kind):
    model = BUILDERS[kind](ElectraBackbone(**tiny_backbone_kwargs()))
    optimizer = get_finetuning_recipe("small", "generic").create_optimizer(model, num_train_steps=10)
    assert isinstance(optimizer, LayerwiseDecayOptimizer)
    for variable in model.trainable_variables:
        # The recipe keeps the original's off-by-one: backbone gets one more factor.
        depth = expected_depth(variable.path)
        expected = 1.0 if depth == 3 else 0.8 ** (4 - depth)
        assert optimizer.multipliers[variable.path] == pytest.approx(expected), variable.path


def test_compile_default_uses_layerwise_decay():
    model = BUILDERS["text"](ElectraBackbone(**tiny_backbone_kwargs()))
    assert isinstance(model.optimizer, LayerwiseDecayOptimizer)
    assert model.optimizer.multipliers["classifier_out_proj/kernel"] == 1.0
    # The recipe's, with the original's depths (`_get_layer_lrs`: the task
    # head at n + 2, the last of n = 2 layers at 2, so 0.8 ** 2).
    assert model.optimizer.multipliers["transformer_layer_1/feedforward_output_dense/kernel"] == pytest.approx(0.64)
