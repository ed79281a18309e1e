"""The fine-tuning task registry and the one `FinetuneTask` contract."""

import pytest

from keras_electra.cli import task_registry
from keras_electra.cli.finetune_task import FinetuneTask
from keras_electra.errors import ElectraError


def test_builtin_tasks_are_registered():
    names = task_registry.task_names()
    for name in ("sst2", "cola", "mrpc", "stsb", "chunk", "squad", "squad2"):
        assert name in names
    assert task_registry.get_task("sst2").metric == "accuracy"
    assert task_registry.get_task("squad2").metric == "best_f1"


def test_every_task_implements_the_contract():
    # No side doors: every task is a FinetuneTask, and only the tasks that say
    # they run their own flow override `run_finetune`.
    for name in task_registry.task_names():
        task = task_registry.get_task(name)
        assert isinstance(task, FinetuneTask)
        overrides = type(task).run_finetune is not FinetuneTask.run_finetune
        assert overrides == task.runs_own_finetune, name
    assert task_registry.get_task("squad").runs_own_finetune
    assert not task_registry.get_task("chunk").runs_own_finetune


def test_default_hooks():
    task = FinetuneTask()
    assert task.check_evaluation(["a"], ["b"]) is None
    with pytest.raises(NotImplementedError, match="shared finetune flow"):
        task.run_finetune(None)


def test_unknown_task_names_the_valid_ones():
    with pytest.raises(ElectraError, match="Valid tasks: .*sst2"):
        task_registry.get_task("nope")


def test_register_task_adds_a_task(monkeypatch):
    class Custom(FinetuneTask):
        name = "custom"

    monkeypatch.setattr(task_registry, "TASKS", dict(task_registry.TASKS))
    task_registry.register_task(Custom())
    assert task_registry.get_task("custom").name == "custom"
