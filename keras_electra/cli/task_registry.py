"""The tasks known to `keras-electra finetune/evaluate/predict`, by `--task` name.

Each is a `FinetuneTask` (`cli.finetune_task`): the GLUE tasks and chunking
(`cli.finetune_tasks`) and SQuAD 1.1/2.0 (`cli.finetune_squad`). `register_task`
adds another.
"""

from keras_electra.cli.finetune_squad import SQUAD_TASK_NAMES
from keras_electra.cli.finetune_squad import SquadTask
from keras_electra.cli.finetune_tasks import ChunkTask
from keras_electra.cli.finetune_tasks import GlueTask
from keras_electra.data.glue import GLUE_TASKS
from keras_electra.errors import ElectraError

TASKS = {}


def register_task(task):
    """Registers a `FinetuneTask` instance under `task.name` (replacing one of that name)."""
    TASKS[task.name] = task
    return task


def get_task(name):
    """The registered task called `name`; an `ElectraError` naming the valid ones."""
    if name not in TASKS:
        raise ElectraError(f"Unknown task {name!r}. Valid tasks: {', '.join(task_names())}.")
    return TASKS[name]


def task_names():
    """The registered task names, built-in ones first."""
    return list(TASKS)


for _name in GLUE_TASKS:
    register_task(GlueTask(_name))
register_task(ChunkTask())
for _name in SQUAD_TASK_NAMES:
    register_task(SquadTask(_name))
