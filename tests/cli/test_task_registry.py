"""The finetune task registry keeps the built-in tasks when optional ones register first."""

import importlib


def test_builtin_tasks_survive_early_optional_registration():
    from keras_electra.cli import task_registry

    # Importing the SQuAD module registers its tasks at import time, as the
    # CLI does when it loads every subcommand module before asking for names.
    importlib.import_module("keras_electra.cli.finetune_squad")
    assert "squad" in task_registry.TASKS
    names = task_registry.task_names()
    for name in ("sst2", "cola", "mrpc", "stsb", "chunk", "squad", "squad2"):
        assert name in names
    assert task_registry.get_task("sst2").metric == "accuracy"
