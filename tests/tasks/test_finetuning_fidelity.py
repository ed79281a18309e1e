"""Fine-tuning defaults against numpy re-implementations of google-research/electra.

References: `finetune/classification/classification_tasks.py` (per-example
losses), `finetune/tagging/tagging_tasks.py` (masked per-position losses
summed per example, segment id 1), `run_finetuning.py` (losses summed over
the batch), `model/optimization.py` (warmup times linear decay over all
steps) and `tf.layers.dense` (Glorot-uniform kernel).
"""

import math

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.tasks import ElectraTokenClassifier
from keras_electra.tasks import ElectraTokenClassifierPreprocessor
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs


def backbone():
    keras.utils.set_random_seed(0)
    return ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))


def numpy_loss(model, x, y, y_pred, sample_weight=None):
    loss = model.compute_loss(x, y, y_pred, sample_weight=sample_weight)
    return float(keras.ops.convert_to_numpy(loss))


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_classification_loss_is_summed_over_the_batch():
    model = ElectraTextClassifier(backbone(), num_classes=3)
    x = tiny_inputs(batch_size=6)
    y = np.array([0, 2, 1, 1, 0, 2])
    logits = keras.ops.convert_to_numpy(model(x)).astype("float64")
    # ClassificationTask: -sum(one_hot * log_softmax); the batch is summed.
    losses = -np.sum(np.eye(3)[y] * log_softmax(logits), axis=-1)
    assert numpy_loss(model, x, y, model(x)) == pytest.approx(losses.sum(), rel=1e-5)
    model.compile(loss_reduction="mean")
    assert numpy_loss(model, x, y, model(x)) == pytest.approx(losses.mean(), rel=1e-5)
    with pytest.raises(ValueError, match="loss_reduction"):
        model.compile(loss_reduction="none")


def test_regression_loss_is_the_summed_square_error():
    model = ElectraTextClassifier(backbone(), num_classes=1)
    x = tiny_inputs(batch_size=5)
    targets = np.array([0.0, 0.28, 0.5, 0.75, 1.0], "float32")  # STS-B scores / 5
    predictions = keras.ops.convert_to_numpy(model(x))[:, 0].astype("float64")
    # RegressionTask: tf.square(predictions - targets), summed over the batch.
    expected = np.sum(np.square(predictions - targets))
    assert numpy_loss(model, x, targets, model(x)) == pytest.approx(expected, rel=1e-5)


def tagging_preprocessor(length=12, **kwargs):
    return ElectraTokenClassifierPreprocessor(
        ElectraTokenizer(vocabulary=VOCAB), sequence_length=length, **kwargs
    )


WORDS = [["The", "cats", "sat"], ["a", "dog", "jumped", "over", "the", "lazy", "mat"]]
TAGS = [[0, 1, 2], [3, 0, 1, 2, 1, 0, 4]]


def test_tagging_loss_sums_first_wordpiece_losses_over_positions_and_batch():
    model = ElectraTokenClassifier(backbone(), num_classes=5, preprocessor=tagging_preprocessor())
    x, y, weights = model.preprocessor(WORDS, TAGS)
    logits = keras.ops.convert_to_numpy(model(x)).astype("float64")
    # TaggingTask: logits at the labeled positions (first wordpieces),
    # softmax cross-entropy * labels_mask, summed per example; then the batch.
    _, starts = model.preprocessor.encode(WORDS)
    expected = 0.0
    for row, (positions, labels) in enumerate(zip(starts, TAGS)):
        gathered = log_softmax(logits[row, positions])
        expected += -np.sum(np.eye(5)[labels] * gathered)
    assert numpy_loss(model, x, y, model(x), weights) == pytest.approx(expected, rel=1e-5)
    # Keras' mean divides by batch x sequence length instead.
    model.compile(loss_reduction="mean")
    mean = numpy_loss(model, x, y, model(x), weights)
    assert mean == pytest.approx(expected / y.size, rel=1e-5)


def test_tagging_segment_ids_are_one_as_the_original():
    x, _, _ = tagging_preprocessor()(WORDS, TAGS)
    # tagging_tasks.py: segment_ids = pad([1] * len(input_ids)).
    np.testing.assert_array_equal(x["segment_ids"], x["padding_mask"])
    assert x["segment_ids"][0, 0] == 1  # [CLS] too
    zero, _, _ = tagging_preprocessor(segment_id=0)(WORDS, TAGS)
    assert not zero["segment_ids"].any()
    restored = ElectraTokenClassifierPreprocessor.from_config(
        tagging_preprocessor(segment_id=0).get_config()
    )
    assert restored.segment_id == 0
    with pytest.raises(ValueError, match="segment_id"):
        tagging_preprocessor(segment_id=2)


def glorot_limit(kernel):
    fan_in, fan_out = kernel.shape
    return math.sqrt(6.0 / (fan_in + fan_out))


def test_heads_start_from_tf_layers_dense_glorot_uniform():
    keras.utils.set_random_seed(1)
    wide = ElectraBackbone(**tiny_backbone_kwargs(hidden_dim=64, intermediate_dim=64, num_heads=2))
    classifier = ElectraTextClassifier(wide, num_classes=3)
    tagger = ElectraTokenClassifier(wide, num_classes=9)
    for dense in (classifier.output_dense, tagger.classifier):
        kernel = keras.ops.convert_to_numpy(dense.kernel)
        limit = glorot_limit(kernel)
        assert np.abs(kernel).max() <= limit
        # U(-a, a) has std a / sqrt(3), far from the 0.02 of truncated normal.
        assert np.std(kernel) == pytest.approx(limit / math.sqrt(3), rel=0.15)
        assert not keras.ops.convert_to_numpy(dense.bias).any()
    # transformers' init stays on the "hf" head and as a named option.
    hf = ElectraTextClassifier(wide, num_classes=3, head="hf")
    electra = ElectraTokenClassifier(wide, num_classes=9, kernel_initializer="electra")
    for dense in (hf.output_dense, electra.classifier):
        kernel = keras.ops.convert_to_numpy(dense.kernel)
        assert np.abs(kernel).max() <= 2 * 0.02 + 1e-6
    config = electra.get_config()
    assert config["kernel_initializer"] == "electra"
    assert ElectraTokenClassifier.from_config(config).kernel_initializer == "electra"


def original_learning_rate(step, peak, num_train_steps, warmup_proportion=0.1):
    """optimization.create_optimizer: polynomial (linear) decay times warmup."""
    decayed = peak * (1.0 - min(step, num_train_steps) / num_train_steps)
    warmup = max(num_train_steps * warmup_proportion, 0)
    return decayed * min(1.0, step / warmup)


def test_auto_optimizer_schedule_is_sized_by_the_first_fit():
    from keras_electra.models.sizes import model_size_name
    from keras_electra.training import get_finetuning_recipe

    model = ElectraTextClassifier(backbone(), num_classes=2)
    recipe = get_finetuning_recipe(model_size_name(model.backbone.hidden_dim))
    x = tiny_inputs(batch_size=10)
    y = np.arange(10) % 2
    model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    steps = math.ceil(10 / 4) * 3
    schedule = model._auto_schedule
    assert schedule.num_train_steps == steps == int(model.optimizer.iterations)
    for step in range(steps + 2):
        expected = original_learning_rate(step, recipe.learning_rate, steps)
        assert float(keras.ops.convert_to_numpy(schedule(step))) == pytest.approx(
            expected, abs=1e-9
        )
    # Later fits continue the same schedule.
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert schedule.num_train_steps == steps


def test_auto_optimizer_counts_steps_per_epoch_and_refuses_unknown_sizes():
    model = ElectraTextClassifier(backbone(), num_classes=2)
    model._size_auto_schedule(None, (), {"steps_per_epoch": 7, "epochs": 2})
    assert model._auto_schedule.num_train_steps == 14
    other = ElectraTextClassifier(backbone(), num_classes=2)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        other._size_auto_schedule(iter([1, 2]), (), {})
