"""Fine-tuning tasks known to `keras-electra finetune/evaluate/predict`.

Each task is a `FinetuneTask`; `register_task(task)` adds one (the SQuAD
tasks register themselves here). The saved task preset gets a
`finetune.json` holding what `evaluate` and `predict` need.
"""

import json
import os

from keras_electra.data.glue import GLUE_TASKS
from keras_electra.errors import ElectraError

INFO_FILE = "finetune.json"
TASKS = {}
class FinetuneTask:
    """One task of the fine-tuning CLI. Subclasses fill in the methods.

    Attributes:
        name: the `--task` name.
        recipe_task: the task name of `get_finetuning_recipe`.
        metric: the headline metric in the result of `evaluate`.
    """

    name = None
    recipe_task = "generic"
    metric = None

    def add_arguments(self, parser):
        """Adds task-specific options (shared by all tasks, so use defaults)."""

    def read(self, path, args, split):
        """Reads a data file; `split` is "train", "dev" or "test"."""
        raise NotImplementedError

    def build(self, args, train_data, evaluation=None):
        """A new task model from `args.preset`, sized for `train_data` (and the
        evaluation data, which the original's tagging label map includes);
        also returns the info dict."""
        raise NotImplementedError

    def fit(self, model, data, info, args, **kwargs):
        """Trains `model` on `data` (kwargs go to `model.fit`)."""
        raise NotImplementedError

    def evaluate(self, model, data, info, args):
        """The task's official metrics as a dict of floats."""
        raise NotImplementedError

    def predict(self, model, data, info, args):
        """Rows of predictions (lists of str) for `data`."""
        raise NotImplementedError

    def load(self, directory):
        """Loads the saved task model."""
        raise NotImplementedError


def register_task(task):
    """Registers a `FinetuneTask` instance under `task.name`."""
    TASKS[task.name] = task
    return task


def get_task(name):
    _register_builtin()
    if name not in TASKS:
        raise ElectraError(f"Unknown task {name!r}. Valid tasks: {', '.join(task_names())}.")
    return TASKS[name]


def task_names():
    _register_builtin()
    return list(TASKS)


_BUILTIN_REGISTERED = []


def _register_builtin():
    # Other task modules may register first (they import this one), so a flag
    # rather than an empty `TASKS` tells whether the built-in tasks are in.
    if _BUILTIN_REGISTERED:
        return
    _BUILTIN_REGISTERED.append(True)
    from keras_electra.cli import finetune_tasks

    for name in GLUE_TASKS:
        TASKS.setdefault(name, finetune_tasks.GlueTask(name))
    TASKS.setdefault("chunk", finetune_tasks.ChunkTask())
    _register_optional()


def _register_optional():
    # Tasks living in other modules (e.g. SQuAD) register on import.
    import importlib

    for module in ("keras_electra.cli.finetune_squad",):
        try:
            importlib.import_module(module)
        except ImportError:
            pass


def write_info(directory, info):
    with open(os.path.join(directory, INFO_FILE), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)


def read_info(directory):
    path = os.path.join(directory, INFO_FILE)
    if not os.path.isfile(path):
        raise ElectraError(
            f"{directory} has no {INFO_FILE}: it is not a task preset written "
            "by `keras-electra finetune`."
        )
    with open(path, encoding="utf-8") as f:
        return json.load(f)
