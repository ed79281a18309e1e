"""The pretraining objectives (`models/objectives.py`) as `ElectraPretrainer` uses them."""

import keras
import numpy as np
import pytest

from keras_electra.models.objectives import OBJECTIVES
from keras_electra.models.objectives import get_objective
from tests.models.test_pretrainer import batch
from tests.models.test_pretrainer import make


def np_(x):
    return keras.ops.convert_to_numpy(x)


def test_one_table_of_objectives():
    assert OBJECTIVES == ("electra", "mlm", "uniform", "electric")
    assert [get_objective(name).name for name in OBJECTIVES] == list(OBJECTIVES)
    with pytest.raises(ValueError, match="expected one of"):
        get_objective("bert")


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_pretrainer_is_built_as_its_objective_declares(objective):
    model = make(objective=objective)
    strategy = model.objective_strategy
    assert strategy.name == objective
    for tower, direction in strategy.tower_directions.items():
        assert getattr(model, tower).attention_direction == direction
    if "reverse_generator" not in strategy.tower_directions:
        assert model.reverse_generator is None
    if not strategy.tower_directions:
        assert model.generator is None
    assert (model.discriminator_head is not None) == strategy.has_discriminator
    model(batch())
    if model.generator_head is None:
        assert strategy.lm_backbone(model) is None
    else:
        assert model.generator_head.dense.kernel.shape[0] == strategy.lm_head_width(model)


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_loss_is_the_weighted_sum_of_the_objectives_parts(objective):
    """The loss against numpy, from the model's own outputs (ELECTRA paper eq. 1)."""
    model = make(objective=objective, generator_weight=1.5, discriminator_weight=7.0)
    y_pred = {k: np_(v) for k, v in model(batch()).items()}
    weights = y_pred["masked_lm_weights"]
    log_probs = log_softmax(y_pred["lm_outputs"].astype("float64"))
    nll = -np.take_along_axis(log_probs, y_pred["masked_lm_ids"][..., None].astype(int), -1)[..., 0]
    np.testing.assert_allclose(y_pred["masked_lm_nll"], nll, atol=1e-4)
    generator_loss = (nll * weights).sum() / (weights.sum() + 1e-6)
    if objective == "electric":
        generator_loss = y_pred["cloze_loss"]
    loss = np_(model.compute_loss(y_pred={k: keras.ops.convert_to_tensor(v) for k, v in y_pred.items()}))
    if objective == "mlm":
        np.testing.assert_allclose(loss, generator_loss, rtol=1e-4)
        return
    logits, labels, mask = y_pred["disc_logits"], y_pred["disc_label"], y_pred["padding_mask"]
    probs = 1 / (1 + np.exp(-logits.astype("float64")))
    cross_entropy = -(labels * np.log(probs) + (1 - labels) * np.log(1 - probs))
    disc_loss = (cross_entropy * mask).sum() / (mask.sum() + 1e-6)
    np.testing.assert_allclose(loss, 1.5 * generator_loss + 7.0 * disc_loss, rtol=1e-4)
