"""Host-side checks of class labels, before they reach a loss."""

import numpy as np

from keras_electra.utils.input_validation import to_host_array


def check_class_labels(labels, num_classes, sample_weight=None, name="labels"):
    """Raises `ValueError` when an integer label lies outside `[0, num_classes)`.

    Only concrete host data (numpy, lists, eager CPU tensors) is checked;
    symbolic values pass. Positions whose `sample_weight` is 0 are ignored, so
    padding labels of masked positions may hold anything.

    Example:
    ```python
    check_class_labels([0, 1, 2], num_classes=3)  # fine
    check_class_labels([0, 3], num_classes=3)  # ValueError
    ```
    """
    array = to_host_array(labels) if labels is not None else None
    if array is None or array.size == 0:
        return
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(
                f"Classification {name} must be integer class ids in "
                f"[0, {num_classes}). Received non-integer values, e.g. "
                f"{array[array != np.round(array)][:5].tolist()}. For regression "
                "use num_classes=1."
            )
    elif array.dtype.kind not in "iub":
        raise ValueError(
            f"Classification {name} must be integer class ids. Received dtype "
            f"{array.dtype}. Map label names to ids first."
        )
    bad = (array < 0) | (array >= num_classes)
    weights = to_host_array(sample_weight) if sample_weight is not None else None
    if weights is not None and weights.shape == array.shape:
        bad &= weights != 0
    if np.any(bad):
        raise ValueError(
            f"{name.capitalize()} must lie in [0, num_classes) = [0, {num_classes}). "
            f"Found {int(bad.sum())} value(s) outside, e.g. "
            f"{array[bad][:5].tolist()}. Build the model with a larger "
            "`num_classes` or fix the labels."
        )
