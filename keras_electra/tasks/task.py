"""ElectraTask: the base class of every ELECTRA task model."""

import keras

from keras_electra.fast_paths.direct_functional import DirectFunctional
from keras_electra.tasks.array_inputs import ArrayInputs
from keras_electra.tasks.labels import check_class_labels
from keras_electra.fast_paths.sparse_gradients import DenseSparseGradients


class ElectraTask(DirectFunctional, ArrayInputs, DenseSparseGradients):
    """The base of ELECTRA's tasks: mixins, compile defaults and label checks.

    A task model lists it first, then its keras-hub base:
    `class ElectraTextClassifier(ElectraTask, TextClassifier)`,
    `class ElectraTokenClassifier(ElectraTask, Task)`. The MRO then puts the
    mixins, in the order they need, before the keras-hub base:
    `DirectFunctional` (lean eager calls), `ArrayInputs` (arrays skip the
    input pipeline; id inputs are checked), `DenseSparseGradients` (the
    compiled optimizer densifies sparse gradients).

    It does not subclass keras-hub's `Task` itself: with
    `ElectraTextClassifier(ElectraTask, TextClassifier)` that would make a
    diamond above `keras.Model`, and Keras' swap of `Model` for `Functional`
    in the bases, on the first functional construction, fails on diamonds
    ("a __bases__ item causes an inheritance cycle").

    What a subclass provides:

    - Its config attributes, set *before* `super().__init__`: keras-hub's
      `compile=True` (the default) compiles inside `super().__init__`, and
      the `"auto"` defaults below may read them.
    - `_auto_optimizer`, `_auto_loss`, `_auto_metrics`: what `"auto"` means
      in `compile` (defaults: the original fine-tuning AdamW, sparse
      categorical cross-entropy on logits, accuracy).
    - `label_classes` (and `label_name`): the number of classes that integer
      labels must lie in, or None for no check.
    - `_host_preprocess(x, y, sample_weight)`: what `fit`, `evaluate` and
      `predict` do on the host before Keras runs (default: check labels).

    Example:
    ```python
    class MyTagger(ElectraTask, keras_hub.models.Task):
        def __init__(self, backbone, num_classes, preprocessor=None, **kwargs):
            self.num_classes = num_classes
            self.backbone = backbone
            self.preprocessor = preprocessor
            inputs = backbone.input
            outputs = keras.layers.Dense(num_classes)(
                backbone(inputs)["sequence_output"]
            )
            super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        @property
        def label_classes(self):
            return self.num_classes
    ```
    """

    label_name = "labels"

    @property
    def label_classes(self):
        """Integer labels must lie in `[0, label_classes)`; None: no check."""
        return None

    def check_labels(self, y, sample_weight=None):
        """Raises `ValueError` on class ids outside `[0, label_classes)`."""
        if self.label_classes is not None:
            check_class_labels(y, self.label_classes, sample_weight, name=self.label_name)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Builds the model from a backbone preset or a saved task preset.

        Loading is strict (`keras_electra.tasks.task_presets.load_task`): a
        task preset without its head weights, or with weights that do not
        fit, is a `PresetError` naming the file.
        """
        from keras_electra.tasks.task_presets import load_task

        return load_task(cls, preset, load_weights=load_weights, **kwargs)

    def _host_preprocess(self, x, y=None, sample_weight=None):
        """Runs on the host in `fit`/`evaluate`/`predict`; returns `(x, y, sample_weight)`."""
        self.check_labels(y, sample_weight)
        return x, y, sample_weight

    def fit(self, x=None, y=None, *args, **kwargs):
        x, y, kwargs = self._prepare(x, y, kwargs)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x, y, kwargs = self._prepare(x, y, kwargs)
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x=None, *args, **kwargs):
        x, _, _ = self._host_preprocess(x)
        return super().predict(x, *args, **kwargs)

    def _prepare(self, x, y, kwargs):
        x, y, sample_weight = self._host_preprocess(x, y, kwargs.get("sample_weight"))
        if sample_weight is not None or "sample_weight" in kwargs:
            kwargs["sample_weight"] = sample_weight
        return x, y, kwargs

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """Compiles with the task's defaults for every `"auto"` argument.

        By default `"auto"` gives the original fine-tuning setup: AdamW
        (learning rate 1e-4, weight decay 0.01, epsilon 1e-6, global clipnorm
        1.0) with layer-wise decay 0.8 over this model, at a constant rate
        (for the full recipe with warmup and linear decay pass
        `get_finetuning_recipe(size, task).create_optimizer(model,
        num_train_steps)`), sparse categorical cross-entropy on logits and
        accuracy. Tasks change what differs.
        """
        if optimizer == "auto":
            optimizer = self._auto_optimizer()
        if loss == "auto":
            loss = self._auto_loss()
        if metrics == "auto":
            metrics = self._auto_metrics()
        keras.Model.compile(self, optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def _auto_optimizer(self):
        from keras_electra.optimizers.adam_weight_decay import create_optimizer

        return create_optimizer(
            learning_rate=1e-4, weight_decay=0.01, epsilon=1e-6,
            global_clipnorm=1.0, layerwise_decay=0.8, model=self,
        )

    def _auto_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def _auto_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
