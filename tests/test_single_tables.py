"""Each table has one source, and its consumers use it."""

import keras_electra  # noqa: F401


def _subcommand_option(command, option):
    from keras_electra.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and command in a.choices)
    return next(a for a in sub.choices[command]._actions if option in a.option_strings)


def test_objectives_are_the_pretrainers():
    from keras_electra.models.pretrainer import OBJECTIVES
    from keras_electra.training import pretraining_run

    assert set(OBJECTIVES) == {"electra", "electric", "mlm", "uniform"}
    assert pretraining_run.OBJECTIVES is OBJECTIVES
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
