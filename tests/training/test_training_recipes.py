import dataclasses

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.training import ElectraAdamWeightDecay
from keras_electra.training import ElectraLearningRateSchedule
from keras_electra.training import LayerwiseDecayOptimizer
from keras_electra.training import get_finetuning_recipe
from keras_electra.training import get_pretraining_recipe

# (lr, batch, seq, warmup, steps, mask_prob, generator hidden fraction), from the
# ELECTRA paper (Table 6) and google-research/electra configure_pretraining.py.
PAPER_PRETRAINING = {
    "small": (5e-4, 128, 128, 10_000, 1_000_000, 0.15, 0.25),
    "base": (2e-4, 256, 512, 10_000, 766_000, 0.15, 1 / 3),
    "large": (2e-4, 2048, 512, 10_000, 400_000, 0.25, 0.25),
}
# (hidden, embedding, layers, heads, intermediate)
PAPER_SIZES = {
    "small": (256, 128, 12, 4, 1024),
    "base": (768, 768, 12, 12, 3072),
    "large": (1024, 1024, 24, 16, 4096),
}


@pytest.mark.parametrize("name", ["small", "base", "large"])
def test_pretraining_recipes_match_paper(name):
    recipe = get_pretraining_recipe(name)
    lr, batch, seq, warmup, steps, mask, gen = PAPER_PRETRAINING[name]
    assert (recipe.learning_rate, recipe.batch_size, recipe.sequence_length) == (lr, batch, seq)
    assert (recipe.warmup_steps, recipe.num_train_steps) == (warmup, steps)
    assert recipe.mask_probability == mask
    assert recipe.generator_hidden_fraction == pytest.approx(gen)
    size = recipe.model
    assert (size.hidden_dim, size.embedding_dim, size.num_layers, size.num_heads,
            size.intermediate_dim) == PAPER_SIZES[name]
    assert (size.vocabulary_size, size.max_sequence_length) == (30522, 512)
    assert recipe.weight_decay == 0.01 and recipe.discriminator_weight == 50.0
    assert recipe.generator_weight == 1.0 and recipe.adam_bias_correction is False


def test_generator_sizes_follow_original_rule():
    # hidden * fraction, 4x feed-forward, one head per 64 units.
    small = get_pretraining_recipe("small").generator_model
    assert (small.hidden_dim, small.num_heads, small.intermediate_dim, small.num_layers) == (
        64, 1, 256, 12)
    assert small.embedding_dim == 128
    base = get_pretraining_recipe("base").generator_model
    assert (base.hidden_dim, base.num_heads, base.intermediate_dim) == (256, 4, 1024)
    large = get_pretraining_recipe("large").generator_model
    assert (large.hidden_dim, large.num_heads, large.num_layers) == (256, 4, 24)


def test_max_predictions_per_sequence():
    assert get_pretraining_recipe("small").max_predictions_per_sequence == 19
    assert get_pretraining_recipe("base").max_predictions_per_sequence == 79
    assert get_pretraining_recipe("large").max_predictions_per_sequence == 130


def test_tiny_recipe_builds_a_working_backbone_and_optimizer():
    recipe = get_pretraining_recipe("tiny")
    assert recipe.model.hidden_dim == 64 and recipe.model.num_layers == 2
    assert recipe.model.num_heads == 2 and recipe.sequence_length == 64
    assert (recipe.batch_size, recipe.learning_rate) == (16, 1e-3)
    assert (recipe.num_train_steps, recipe.warmup_steps) == (300, 30)
    size = dataclasses.replace(recipe.model, vocabulary_size=50)
    for model_size in (size, dataclasses.replace(recipe.generator_model, vocabulary_size=50)):
        backbone = ElectraBackbone(**model_size.backbone_kwargs())
        out = backbone({
            "token_ids": np.ones((1, 8), "int32"),
            "segment_ids": np.zeros((1, 8), "int32"),
            "padding_mask": np.ones((1, 8), "int32"),
        })
        assert out["sequence_output"].shape == (1, 8, model_size.hidden_dim)
    optimizer = recipe.create_optimizer()
    assert isinstance(optimizer, ElectraAdamWeightDecay)
    assert optimizer.bias_correction is False and optimizer.global_clipnorm == 1.0
    schedule = optimizer._learning_rate
    assert isinstance(schedule, ElectraLearningRateSchedule)
    assert float(schedule(30)) == pytest.approx(1e-3 * (1 - 30 / 300))


@pytest.mark.parametrize(
    "size,task,lr,decay,epochs,seq",
    [
        ("small", "sst", 1e-4, 0.8, 3.0, 128),
        ("base", "mnli", 1e-4, 0.8, 3.0, 128),
        ("base", "rte", 1e-4, 0.8, 10.0, 128),
        ("base", "STS-B", 1e-4, 0.8, 10.0, 128),
        ("large", "squad", 5e-5, 0.9, 2.0, 512),
        ("large", "squadv1", 5e-5, 0.9, 2.0, 512),
        ("small", "chunk", 1e-4, 0.8, 3.0, 256),
        ("large", "generic", 5e-5, 0.9, 3.0, 128),
    ],
)
def test_finetuning_recipes_match_original(size, task, lr, decay, epochs, seq):
    recipe = get_finetuning_recipe(size, task)
    assert (recipe.learning_rate, recipe.layerwise_decay) == (lr, decay)
    assert (recipe.num_epochs, recipe.max_sequence_length) == (epochs, seq)
    assert (recipe.batch_size, recipe.weight_decay, recipe.warmup_proportion) == (32, 0.01, 0.1)
    assert recipe.lr_decay_power == 1.0


def test_finetuning_steps_schedule_and_optimizer():
    recipe = get_finetuning_recipe("tiny", "rte")
    assert recipe.num_train_steps(2490) == int(2490 * 10 / 32)
    backbone = ElectraBackbone(vocabulary_size=50, num_layers=2, num_heads=2, hidden_dim=16,
                               intermediate_dim=32, max_sequence_length=16)
    optimizer = recipe.create_optimizer(backbone, num_train_steps=100)
    assert isinstance(optimizer, LayerwiseDecayOptimizer)
    # Original depths: the top layer gets decay ** 2.
    assert optimizer.multipliers["transformer_layer_1/feedforward_output_dense/kernel"] == (
        pytest.approx(0.8**2))
    schedule = optimizer.inner_optimizer._learning_rate
    assert schedule.effective_warmup_steps == 10
    assert float(keras.ops.convert_to_numpy(schedule(10))) == pytest.approx(1e-3 * 0.9)


def test_recipes_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_pretraining_recipe("small").learning_rate = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_finetuning_recipe("base", "sst").num_epochs = 1.0


def test_unknown_names_list_valid_ones():
    with pytest.raises(ValueError, match="tiny, small, base, large"):
        get_pretraining_recipe("huge")
    with pytest.raises(ValueError, match="tiny, small, base, large"):
        get_finetuning_recipe("huge", "sst")
    with pytest.raises(ValueError, match="generic, cola, sst"):
        get_finetuning_recipe("base", "imdb")
    with pytest.raises(ValueError, match="num_examples"):
        get_finetuning_recipe("base", "sst").num_train_steps(0)


def test_demo_recipe_is_the_default_of_pretrain(tmp_path):
    from keras_electra.apps.pretraining import PretrainingSettings
    from keras_electra.apps.pretraining import build_pretrainer
    from keras_electra.apps.pretraining import resolve_settings
    from keras_electra.models.sizes import MODEL_SIZES
    from keras_electra.training.recipes import DEFAULT_PRETRAINING_RECIPE

    recipe = get_pretraining_recipe("demo")
    assert DEFAULT_PRETRAINING_RECIPE == "demo" and recipe.model is MODEL_SIZES["tiny"]
    settings = resolve_settings(PretrainingSettings(), str(tmp_path))
    assert (settings.model, settings.recipe) == ("demo", "demo")
    assert settings.steps == recipe.num_train_steps
    assert settings.learning_rate == recipe.learning_rate
    assert (settings.batch_size, settings.seq_len) == (recipe.batch_size, recipe.sequence_length)
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(20)]
    model = build_pretrainer(settings, vocabulary)
    assert model.temperature == recipe.temperature
    assert model.discriminator.hidden_dim == recipe.model.hidden_dim
    assert model.generator.hidden_dim == recipe.generator_model.hidden_dim
    # `tiny` stays the paper-style recipe at the same size.
    tiny = resolve_settings(PretrainingSettings(model="tiny"), str(tmp_path))
    assert tiny.recipe == "tiny"
