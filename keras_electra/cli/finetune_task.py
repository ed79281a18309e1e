"""`FinetuneTask`: the one contract of a `keras-electra finetune/evaluate/predict` task.

A task reads its data files, builds and trains its model, evaluates and predicts.
The saved task preset gets a `finetune.json` (`write_info`) holding what `evaluate`
and `predict` need. The tasks are listed in `cli.task_registry`.
"""

import json
import os

from keras_electra.errors import ElectraError

INFO_FILE = "finetune.json"


class FinetuneTask:
    """One task of the fine-tuning CLI. Subclasses fill in the methods.

    The shared `finetune` flow calls `read`, `check_evaluation`, `build`, `fit`
    and `evaluate`; a task with its own training flow (SQuAD: windows and n-best
    decoding) sets `runs_own_finetune = True` and implements `run_finetune`.

    Attributes:
        name: the `--task` name.
        recipe_task: the task name of `get_finetuning_recipe`.
        metric: the headline metric in the result of `evaluate`.
        runs_own_finetune: whether `finetune` hands the whole command to
            `run_finetune`.
    """

    name = None
    recipe_task = "generic"
    metric = None
    runs_own_finetune = False

    def add_arguments(self, parser):
        """Adds task-specific options (shared by all tasks, so use defaults)."""

    def run_finetune(self, args):
        """The whole `finetune` command, for tasks with `runs_own_finetune`; the exit code."""
        raise NotImplementedError(
            f"Task {self.name!r} uses the shared finetune flow (runs_own_finetune is False)."
        )

    def read(self, path, args, split):
        """Reads a data file; `split` is "train", "dev" or "test".

        The shared flow needs the result to have `len()` and
        `select(indices)` (a copy of the examples at `indices`), as
        `GlueData` and `ConllData` do."""
        raise NotImplementedError

    def check_evaluation(self, train_data, eval_data):
        """Raises an `ElectraError` when `eval_data` cannot be scored by a model of `train_data`.

        Runs before the model is built. The default accepts everything.
        """

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


def write_info(directory, info):
    """Writes a task preset's `finetune.json`."""
    with open(os.path.join(directory, INFO_FILE), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)


def read_info(directory):
    """Reads a task preset's `finetune.json`; an `ElectraError` when it has none."""
    path = os.path.join(directory, INFO_FILE)
    if not os.path.isfile(path):
        raise ElectraError(
            f"{directory} has no {INFO_FILE}: it is not a task preset written "
            "by `keras-electra finetune`."
        )
    with open(path, encoding="utf-8") as f:
        return json.load(f)
