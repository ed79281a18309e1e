"""ArrayInputs: array data skips keras-hub's input pipeline when there is no preprocessor."""

import keras
import numpy as np

from keras_electra.utils.input_validation import HostInputChecks


class ArrayInputs(HostInputChecks):
    """Mixin for tasks: `fit`/`evaluate`/`predict` on arrays go straight to Keras.

    keras-hub's tasks turn every input into a dataset (grain, or `tf.data`)
    and map `preprocess_samples` over it, even without a preprocessor. With
    `preprocessor=None` and numpy arrays or backend tensors (and the same for
    `validation_data`), there is nothing to map, so these methods call
    `keras.Model`'s directly: Keras' array adapter batches in the training
    thread, without the pipeline's start-up (~10 ms per call) and read-ahead
    threads (~0.4 ms per tiny-model step on a 2-core CPU). Datasets,
    generators, lists and tasks with a preprocessor use keras-hub's path.

    Both paths check the id inputs (`HostInputChecks`): arrays once per
    call here, pipelines per batch in `preprocess_samples`.

    Put it before the keras-hub base class, after any `fit` override that
    checks labels.
    """

    def fit(self, x=None, y=None, *args, **kwargs):
        data = (x, y, kwargs.get("sample_weight"), kwargs.get("validation_data"))
        if self._arrays_only(data):
            self._check_call_inputs(x, kwargs.get("validation_data"))
            return keras.Model.fit(self, x, y, *args, **kwargs)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        if self._arrays_only((x, y, kwargs.get("sample_weight"))):
            self._check_call_inputs(x)
            return keras.Model.evaluate(self, x, y, *args, **kwargs)
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x=None, *args, **kwargs):
        if self._arrays_only((x,)):
            self._check_call_inputs(x)
            return keras.Model.predict(self, x, *args, **kwargs)
        return super().predict(x, *args, **kwargs)

    def _arrays_only(self, data):
        if getattr(self, "preprocessor", None) is not None or data[0] is None:
            return False
        for leaf in keras.tree.flatten(data):
            if leaf is None:
                continue
            if isinstance(leaf, np.ndarray):
                if leaf.dtype.kind in "OSU":  # text needs a preprocessor
                    return False
                continue
            if not keras.ops.is_tensor(leaf):
                return False
        return True
