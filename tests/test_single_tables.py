"""Each table has one source, and its consumers use it."""

import keras_electra  # noqa: F401


def _subcommand_option(command, option):
    from keras_electra.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and command in a.choices)
    return next(a for a in sub.choices[command]._actions if option in a.option_strings)


def test_objectives_are_the_pretrainers():
    from keras_electra.models.pretrainer import OBJECTIVES
    from keras_electra.apps import pretraining

    assert set(OBJECTIVES) == {"electra", "electric", "mlm", "uniform"}
    assert pretraining.OBJECTIVES is OBJECTIVES
    assert tuple(_subcommand_option("pretrain", "--objective").choices) == OBJECTIVES


def test_special_tokens_are_one_list():
    from keras_electra.data import SPECIAL_TOKENS
    from keras_electra.preprocessing import demo_vocabulary

    assert SPECIAL_TOKENS == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert demo_vocabulary.SPECIAL_TOKENS is SPECIAL_TOKENS
    assert demo_vocabulary.demo_vocabulary(["b a"]) == SPECIAL_TOKENS + ["a", "b"]


def test_glue_names_have_one_table():
    from keras_electra.cli.finetune_tasks import GlueTask
    from keras_electra.data.glue import GLUE_TASKS
    from keras_electra.data.glue import ORIGINAL_TASK_NAMES
    from keras_electra.data.glue import TASK_ALIASES
    from keras_electra.data.glue import canonical_task
    from keras_electra.data.glue import original_task_name
    from keras_electra.training import get_finetuning_recipe
    from keras_electra.training.recipes import FINETUNING_TASKS

    assert ORIGINAL_TASK_NAMES == {"sst2": "sst", "stsb": "sts"}
    for name in ("sst", "SST-2", "sst2"):
        assert canonical_task(name) == "sst2" and original_task_name(name) == "sst"
        assert get_finetuning_recipe("base", name).task == "sst"
    assert canonical_task("mnli-mm") == "mnli" and get_finetuning_recipe("base", "mnli-mm").task == "mnli"
    # Every GLUE spelling reaches the original's recipe (or generic for WNLI),
    # the same from the recipes and from the fine-tuning CLI.
    for name in (*GLUE_TASKS, *TASK_ALIASES):
        original = original_task_name(name)
        expected = original if original in FINETUNING_TASKS else "generic"
        if original in FINETUNING_TASKS:
            assert get_finetuning_recipe("small", name).task == expected
        if name in GLUE_TASKS:
            assert GlueTask(name).recipe_task == expected
    assert GlueTask("wnli").recipe_task == "generic"


def test_transformers_config_mapping_round_trips():
    from keras_electra.convert import transformers_config as table
    from keras_electra.convert.export import backbone_to_transformers_config
    from keras_electra.convert.transformers import config_to_backbone_kwargs
    from keras_electra.models import ElectraBackbone

    assert table.TRANSFORMERS_TO_BACKBONE == {v: k for k, v in table.BACKBONE_TO_TRANSFORMERS.items()}
    assert len(table.TRANSFORMERS_TO_BACKBONE) == len(table.BACKBONE_TO_TRANSFORMERS)
    kwargs = dict(vocabulary_size=50, num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=24,
                  embedding_dim=8, dropout=0.2, max_sequence_length=20, num_segments=3,
                  layer_norm_epsilon=1e-5, initializer_range=0.05)
    assert set(kwargs) == set(table.BACKBONE_TO_TRANSFORMERS)
    config = backbone_to_transformers_config(ElectraBackbone(**kwargs))
    # Export writes every mapped key from the backbone, import reads them all back.
    assert {k: config[k] for k in table.TRANSFORMERS_TO_BACKBONE} == table.to_transformers_config(kwargs)
    assert config["attention_probs_dropout_prob"] == 0.2 and config["hidden_act"] == table.HIDDEN_ACT
    assert config_to_backbone_kwargs(config) == kwargs
    assert table.from_transformers_config(table.to_transformers_config(kwargs)) == kwargs


def test_transformers_config_defaults_and_bert():
    from keras_electra.convert.transformers import config_to_backbone_kwargs

    config = dict(model_type="electra", vocab_size=50, hidden_size=16, num_hidden_layers=2,
                  num_attention_heads=2, intermediate_size=24, max_position_embeddings=20)
    kwargs = config_to_backbone_kwargs(config)
    assert (kwargs["embedding_dim"], kwargs["dropout"], kwargs["num_segments"]) == (16, 0.1, 2)
    assert (kwargs["layer_norm_epsilon"], kwargs["initializer_range"]) == (1e-12, 0.02)
    bert = config_to_backbone_kwargs(dict(config, model_type="bert", embedding_size=8))
    assert bert["embedding_dim"] == 16


def test_benchmark_worker_uses_the_mapping():
    import pytest

    pytest.importorskip("transformers")
    from keras_electra.benchmark.transformers_worker import _config
    from keras_electra.models.sizes import MODEL_SIZES

    size = MODEL_SIZES["small"]
    config = _config(size)
    for ours, theirs in (("vocabulary_size", "vocab_size"), ("embedding_dim", "embedding_size"),
                         ("num_layers", "num_hidden_layers"), ("max_sequence_length", "max_position_embeddings")):
        assert getattr(config, theirs) == getattr(size, ours)
    assert config.hidden_act == "gelu"
