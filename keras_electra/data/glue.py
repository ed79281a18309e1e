"""Readers for the GLUE TSV files of the nine tasks (pure Python)."""

import csv
import dataclasses
import math
import warnings

import numpy as np

from keras_electra.data.text_files import no_examples
from keras_electra.data.text_files import text_lines
from keras_electra.errors import ElectraError
from keras_electra.errors import InputFileError

BINARY = ["0", "1"]
NLI = ["entailment", "not_entailment"]

# task -> (text columns, label column, header, label names); test files differ.
GLUE_LAYOUTS = {
    "cola": ((3,), 1, False, BINARY),
    "sst2": ((0,), 1, True, BINARY),
    "mrpc": ((3, 4), 0, True, BINARY),
    "stsb": ((7, 8), 9, True, None),
    "qqp": ((3, 4), 5, True, BINARY),
    "mnli": ((8, 9), -1, True, ["contradiction", "entailment", "neutral"]),
    "qnli": ((1, 2), -1, True, NLI),
    "rte": ((1, 2), -1, True, NLI),
    "wnli": ((1, 2), -1, True, BINARY),
}
GLUE_TEST_TEXT_COLUMNS = {
    "cola": (1,), "sst2": (1,), "mrpc": (3, 4), "stsb": (7, 8), "qqp": (1, 2),
    "mnli": (8, 9), "qnli": (1, 2), "rte": (1, 2), "wnli": (1, 2),
}
GLUE_TASKS = tuple(GLUE_LAYOUTS)
# Pair tasks whose training data the original also reads swapped
# (`double_unordered`, on by default in configure_finetuning.py).
DOUBLE_UNORDERED_TASKS = ("mrpc", "stsb")
# Regression targets the original trains on: (score - min) / max, STS-B's
# score / 5 (classification_tasks.py, `RegressionTask._add_features`).
REGRESSION_RANGES = {"stsb": (0.0, 5.0)}
# The one table of GLUE task names: task -> its name in google-research/electra
# (configure_finetuning.py, whose recipes use it) where the two differ ...
ORIGINAL_TASK_NAMES = {"sst2": "sst", "stsb": "sts"}
# ... and every other spelling -> task (the original's names included).
TASK_ALIASES = {
    **{original: task for task, original in ORIGINAL_TASK_NAMES.items()},
    "sst-2": "sst2", "sts-b": "stsb", "mnli-m": "mnli", "mnli-mm": "mnli",
}


@dataclasses.dataclass
class GlueData:
    """Examples of one GLUE file.

    Attributes:
        task: canonical task name.
        texts: tuple of one (single sentence) or two (pairs) lists of str.
        labels: class ids (int) or scores (float, STS-B); None for test files.
        label_names: class names in id order; None for regression.
    """

    task: str
    texts: tuple
    labels: list
    label_names: list

    def __len__(self):
        return len(self.texts[0])

    def select(self, indices):
        """A `GlueData` of the examples at `indices`, in that order."""
        indices = [int(i) for i in indices]
        labels = None if self.labels is None else [self.labels[i] for i in indices]
        texts = tuple([t[i] for i in indices] for t in self.texts)
        return dataclasses.replace(self, texts=texts, labels=labels)

    @property
    def x(self):
        """Inputs for `ElectraTextClassifier`: a list, or a tuple of two lists."""
        return self.texts[0] if len(self.texts) == 1 else tuple(self.texts)

    @property
    def y(self):
        """Labels as a numpy array (float32 scores or int32 ids), or None."""
        if self.labels is None:
            return None
        return np.asarray(self.labels, "float32" if self.label_names is None else "int32")

    @property
    def targets(self):
        """What the original trains on: `y`, with STS-B scores rescaled to `score / 5`.

        Use `scores_from_targets` to map predictions back to the task's scale.
        """
        y = self.y
        if y is None or self.task not in REGRESSION_RANGES:
            return y
        low, high = REGRESSION_RANGES[self.task]
        return (y - low) / high

    def scores_from_targets(self, predictions):
        """Maps predictions on the `targets` scale back to the task's (STS-B: 0-5)."""
        predictions = np.asarray(predictions)
        if self.task not in REGRESSION_RANGES:
            return predictions
        low, high = REGRESSION_RANGES[self.task]
        return predictions * high + low

    @property
    def num_classes(self):
        return 1 if self.label_names is None else len(self.label_names)


def canonical_task(task):
    """`"SST-2"` -> `"sst2"`; raises on unknown tasks."""
    key = TASK_ALIASES.get(str(task).lower(), str(task).lower())
    if key not in GLUE_LAYOUTS:
        raise ElectraError(f"Unknown GLUE task {task!r}. Valid tasks: {', '.join(GLUE_TASKS)}.")
    return key


def original_task_name(task):
    """The google-research/electra name of a GLUE task: `"SST-2"` -> `"sst"`.

    Example:
    ```python
    original_task_name("sts-b")  # "sts"
    original_task_name("mrpc")  # "mrpc"
    ```
    """
    task = canonical_task(task)
    return ORIGINAL_TASK_NAMES.get(task, task)


def read_glue(path, task, split="train", double_unordered=None,
              text_columns=None, label_column=None, header=None, label_names=None):
    """Reads a GLUE TSV file.

    The column layout of each task's official files is built in (MNLI's
    `dev_matched.tsv` and `dev_mismatched.tsv` read the same way); pass
    `text_columns`, `label_column` and `header` for other layouts, such as
    `label<TAB>sentence` copies. Quoting is off, as in the original readers.

    Args:
        path: str. The TSV file.
        task: str. One of `GLUE_TASKS` (aliases such as "sst-2" work).
        split: "train", "dev" or "test" (test files have no labels and other
            columns).
        double_unordered: bool. Also add every pair swapped. The default
            (None) is the original's: on for the training split of MRPC and
            STS-B (`DOUBLE_UNORDERED_TASKS`), off otherwise.
        text_columns: optional tuple of column indices of the texts.
        label_column: optional column index of the label (None for test).
        header: optional bool, whether the first line is a header.
        label_names: optional class names overriding the task's.

    Returns:
        `GlueData`.

    STS-B scores must be finite numbers; scores outside [0, 5] are kept
    with a warning that counts them and names the first line.

    Raises:
        InputFileError: a file that is not UTF-8 text, a line with too few
            columns or over the CSV field limit, an unknown label, a score
            that is not a finite number, or no examples at all; naming the
            file and line number.

    Example:
    ```python
    data = read_glue("glue/MRPC/train.tsv", "mrpc")  # pairs in both orders
    data.x, data.y  # (sentences_1, sentences_2), int32 ids
    ```
    """
    task = canonical_task(task)
    if split not in ("train", "dev", "test"):
        raise ElectraError(f"`split` must be 'train', 'dev' or 'test'. Received: {split!r}.")
    default_texts, default_label, default_header, names = GLUE_LAYOUTS[task]
    if split == "test":
        default_texts, default_label = GLUE_TEST_TEXT_COLUMNS[task], None
        default_header = True
    text_columns = tuple(default_texts if text_columns is None else text_columns)
    if label_column is None and split != "test":
        label_column = default_label
    header = default_header if header is None else header
    names = list(names) if label_names is None and names is not None else label_names
    if double_unordered is None:
        double_unordered = split == "train" and task in DOUBLE_UNORDERED_TASKS
    if double_unordered and len(text_columns) != 2:
        raise ElectraError("`double_unordered` needs sentence pairs (two text columns).")
    if any(not isinstance(c, int) or c < 0 for c in text_columns) or not text_columns:
        raise ElectraError(
            f"`text_columns` must be one or two column indices >= 0. Received: {text_columns!r}."
        )

    needed = max(max(text_columns), label_column if label_column is not None and label_column >= 0 else 0) + 1
    texts = [[] for _ in text_columns]
    labels = [] if label_column is not None else None
    out_of_range = []  # STS-B lines whose score lies outside [0, 5]
    for number, line in text_lines(path):
        if header and number == 1:
            continue
        try:
            row = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE), [])
        except csv.Error as e:
            raise InputFileError(f"cannot be read as TSV: {e}", path=path, line=number) from None
        if not row or row == [""]:
            continue
        if len(row) < needed:
            raise InputFileError(
                f"expected at least {needed} tab-separated columns for {task} "
                f"({split}), found {len(row)}: {row[:3]!r}",
                path=path, line=number,
            )
        for column, values in zip(text_columns, texts):
            values.append(row[column])
        if labels is not None:
            labels.append(_parse_label(row[label_column], names, path, number))
            if names is None and not 0.0 <= labels[-1] <= 5.0:
                out_of_range.append(number)
    if not texts[0]:
        raise no_examples(path)
    if out_of_range:
        warnings.warn(
            f"{path}: {len(out_of_range)} score(s) outside [0, 5] (STS-B's range), "
            f"the first on line {out_of_range[0]}; they are used as given.",
            stacklevel=2,
        )
    if double_unordered:
        first, second = texts
        texts = [first + second, second + first]
        labels = labels + labels if labels is not None else None
    return GlueData(task=task, texts=tuple(texts), labels=labels, label_names=names)


def _parse_label(value, names, path, number):
    value = value.strip()
    if names is None:
        try:
            score = float(value)
        except ValueError:
            raise InputFileError(
                f"{value!r} is not a number", path=path, line=number, field="score"
            ) from None
        if not math.isfinite(score):
            raise InputFileError(
                f"{value!r} is not a finite number", path=path, line=number, field="score"
            )
        return score
    if value not in names:
        raise InputFileError(
            f"{value!r} is not one of {names}", path=path, line=number, field="label"
        )
    return names.index(value)
