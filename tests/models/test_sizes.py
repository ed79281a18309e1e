"""One table of model sizes: `keras_electra.models.sizes`, used by every consumer."""

import pytest

from keras_electra.models import sizes
from keras_electra.models.sizes import MODEL_SIZES
from keras_electra.models.sizes import RELEASED_GENERATOR_SIZES
from keras_electra.models.sizes import model_size_name

# (hidden, embedding, layers, heads, intermediate) of google-research/electra.
ORIGINAL = {
    "small": (256, 128, 12, 4, 1024),
    "base": (768, 768, 12, 12, 3072),
    "large": (1024, 1024, 24, 16, 4096),
}
# Generators of the released checkpoints (hidden, layers, heads, intermediate).
RELEASED_GENERATORS = {
    "small": (256, 12, 4, 1024),
    "base": (256, 12, 4, 1024),
    "large": (256, 24, 4, 1024),
}


def _dims(size):
    return (size.hidden_dim, size.embedding_dim, size.num_layers, size.num_heads,
            size.intermediate_dim)


def test_sizes_match_the_original():
    assert tuple(MODEL_SIZES) == ("tiny", "small", "base", "large")
    for name, dims in ORIGINAL.items():
        assert _dims(MODEL_SIZES[name]) == dims
        assert (MODEL_SIZES[name].vocabulary_size, MODEL_SIZES[name].max_sequence_length) == (30522, 512)
    assert _dims(MODEL_SIZES["tiny"]) == (64, 32, 2, 2, 256)
    assert MODEL_SIZES["tiny"].max_sequence_length == 64
    for name, (h, layers, heads, inner) in RELEASED_GENERATORS.items():
        gen = RELEASED_GENERATOR_SIZES[name]
        assert (gen.hidden_dim, gen.num_layers, gen.num_heads, gen.intermediate_dim) == (h, layers, heads, inner)
        assert gen.embedding_dim == MODEL_SIZES[name].embedding_dim


@pytest.mark.parametrize(
    "hidden, name",
    [(16, "tiny"), (64, "tiny"), (255, "tiny"), (256, "small"), (767, "small"),
     (768, "base"), (1023, "base"), (1024, "large"), (4096, "large")],
)
def test_model_size_name(hidden, name):
    assert model_size_name(hidden) == name


def test_recipes_use_the_size_table():
    from keras_electra import training
    from keras_electra.training import recipes

    assert training.ModelSize is sizes.ModelSize and recipes.MODEL_SIZES is MODEL_SIZES
    for name in MODEL_SIZES:
        recipe = training.get_pretraining_recipe(name)
        assert recipe.model is MODEL_SIZES[name]
        assert recipe.generator_hidden_fraction == sizes.GENERATOR_HIDDEN_FRACTIONS[name]
        assert training.get_finetuning_recipe(name, "mnli").model is MODEL_SIZES[name]


def test_memory_estimate_uses_the_size_table():
    from keras_electra.distribution import memory

    assert set(memory.ELECTRA_SIZES) == set(RELEASED_GENERATOR_SIZES)
    for name in memory.ELECTRA_SIZES:
        assert memory.ELECTRA_SIZES[name] == MODEL_SIZES[name].backbone_kwargs()
        assert memory.GENERATOR_SIZES[name] == RELEASED_GENERATOR_SIZES[name].backbone_kwargs()
    assert memory._config("small")["embedding_dim"] == 128


def test_benchmark_and_cli_use_the_size_table():
    from keras_electra.benchmark import inputs
    from keras_electra.cli import finetune
    from keras_electra.apps import pretraining
    from keras_electra.apps import squad

    assert inputs.SIZES == tuple(MODEL_SIZES)
    # A run names a recipe: every size has one, and `demo` is the tiny size.
    assert set(MODEL_SIZES) < set(pretraining.RECIPE_NAMES)
    for name in MODEL_SIZES:
        assert inputs.model_sizes(name)[0] is MODEL_SIZES[name]
    assert finetune.model_size_name is model_size_name
    assert squad.model_size_name is model_size_name
    assert pretraining.model_size_name is model_size_name


def _size_choices():
    from keras_electra.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "finetune" in a.choices)
    action = next(a for a in sub.choices["finetune"]._actions if "--size" in a.option_strings)
    return tuple(action.choices)


def test_cli_size_choices_are_the_table():
    assert _size_choices() == tuple(MODEL_SIZES)
