"""GLUE metrics in numpy: accuracy, F1, MCC, Pearson and Spearman."""

import numpy as np


def _pair(labels, predictions):
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape or labels.ndim != 1:
        raise ValueError(
            "`labels` and `predictions` must be 1-D and of the same length. "
            f"Received shapes {labels.shape} and {predictions.shape}."
        )
    if labels.size == 0:
        raise ValueError("Cannot score an empty set of predictions.")
    return labels, predictions


def accuracy(labels, predictions):
    """Fraction of exact matches."""
    labels, predictions = _pair(labels, predictions)
    return float(np.mean(labels == predictions))


def f1(labels, predictions, positive=1):
    """Binary F1 of class `positive` (0 when it is never predicted nor true)."""
    labels, predictions = _pair(labels, predictions)
    tp = np.sum((predictions == positive) & (labels == positive))
    fp = np.sum((predictions == positive) & (labels != positive))
    fn = np.sum((predictions != positive) & (labels == positive))
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0


def matthews_corrcoef(labels, predictions):
    """Matthews correlation (multi-class form, as scikit-learn); 0 if undefined."""
    labels, predictions = _pair(labels, predictions)
    classes = np.union1d(labels, predictions)
    index = {c: i for i, c in enumerate(classes.tolist())}
    confusion = np.zeros((len(classes), len(classes)), "float64")
    for t, p in zip(labels.tolist(), predictions.tolist()):
        confusion[index[t], index[p]] += 1
    t_sum, p_sum = confusion.sum(1), confusion.sum(0)
    correct, n = np.trace(confusion), confusion.sum()
    cov_ytyp = correct * n - np.dot(t_sum, p_sum)
    cov_ypyp = n * n - np.dot(p_sum, p_sum)
    cov_ytyt = n * n - np.dot(t_sum, t_sum)
    if cov_ypyp * cov_ytyt == 0:
        return 0.0
    return float(cov_ytyp / np.sqrt(cov_ytyt * cov_ypyp))


def pearson(labels, predictions):
    """Pearson correlation."""
    labels, predictions = _pair(labels, predictions)
    x = labels.astype("float64") - labels.mean()
    y = predictions.astype("float64") - predictions.mean()
    denominator = np.sqrt(np.sum(x * x) * np.sum(y * y))
    return float(np.sum(x * y) / denominator) if denominator else float("nan")


def _average_ranks(values):
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), "float64")
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end - 1) / 2.0 + 1
            start = end
    return ranks


def spearman(labels, predictions):
    """Spearman rank correlation (ties get average ranks, as scipy)."""
    labels, predictions = _pair(labels, predictions)
    return pearson(_average_ranks(labels), _average_ranks(predictions))


# task -> its metrics; the first is the headline, the one the ELECTRA paper and
# README report (CoLA MCC, STS-B Spearman, accuracy elsewhere; MRPC and QQP
# are scored by accuracy in the original's `classification_tasks.py`).
GLUE_METRICS = {
    "cola": ("mcc",),
    "sst2": ("accuracy",),
    "mrpc": ("accuracy", "f1"),
    "stsb": ("spearman", "pearson"),
    "qqp": ("accuracy", "f1"),
    "mnli": ("accuracy",),
    "qnli": ("accuracy",),
    "rte": ("accuracy",),
    "wnli": ("accuracy",),
}
_FUNCTIONS = {"accuracy": accuracy, "f1": f1, "mcc": matthews_corrcoef,
              "pearson": pearson, "spearman": spearman}


def glue_metrics(task, labels, predictions):
    """The metrics of a GLUE task in percent, headline first, as the original reports them.

    The headline is the ELECTRA paper's metric for the task (`GLUE_METRICS`);
    every value is multiplied by 100, as google-research/electra's scorers
    print them. Pearson and Spearman do not change when labels and
    predictions are rescaled together (STS-B's `score / 5`).

    Args:
        task: str. A GLUE task name.
        labels: class ids, or scores for STS-B.
        predictions: predicted class ids, or scores for STS-B.

    Returns:
        dict of metric name to float (percent).

    Example:
    ```python
    glue_metrics("mrpc", [1, 0, 1], [1, 1, 1])  # {'accuracy': 66.67, 'f1': 80.0}
    ```
    """
    from keras_electra.data.glue import canonical_task

    task = canonical_task(task)
    return {
        name: 100.0 * _FUNCTIONS[name](labels, predictions) for name in GLUE_METRICS[task]
    }
