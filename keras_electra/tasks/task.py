"""ElectraTask: the base class of every ELECTRA task model."""

import inspect
import math

import keras

from keras_electra.fast_paths.direct_functional import DirectFunctional
from keras_electra.tasks.array_inputs import ArrayInputs
from keras_electra.tasks.bucketed_inputs import BucketedInputs
from keras_electra.tasks.labels import check_class_labels
from keras_electra.fast_paths.sparse_gradients import DenseSparseGradients


class ElectraTask(DirectFunctional, BucketedInputs, ArrayInputs, DenseSparseGradients):
    """The base of ELECTRA's tasks: mixins, compile defaults and label checks.

    A task model lists it first, then its keras-hub base:
    `class ElectraTextClassifier(ElectraTask, TextClassifier)`,
    `class ElectraTokenClassifier(ElectraTask, Task)`. The MRO then puts the
    mixins, in the order they need, before the keras-hub base:
    `DirectFunctional` (lean eager calls), `BucketedInputs` (host data in
    length-bucketed batches), `ArrayInputs` (arrays skip the input
    pipeline; id inputs are checked), `DenseSparseGradients` (the compiled
    optimizer densifies sparse gradients).

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
      in `compile` (defaults: the original fine-tuning recipe, sparse
      categorical cross-entropy on logits summed over the batch, accuracy).
    - `label_classes` (and `label_name`): the number of classes that integer
      labels must lie in, or None for no check.
    - `_host_preprocess(x, y, sample_weight)`: what `fit`, `evaluate` and
      `predict` do on the host before Keras runs (default: check labels).
    - `transformers_architecture`: the transformers model class it converts
      to and from (e.g. `"ElectraForTokenClassification"`), or None; and
      keras-hub's `preprocessor_cls`, whose defaults `default_preprocessor`
      uses (`_preprocessor_arguments` adds task-specific ones).

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
    # The transformers architecture this task converts to and from; None: none.
    transformers_architecture = None

    @classmethod
    def default_preprocessor(cls, tokenizer, sequence_length=None, max_sequence_length=None, **options):
        """The task's `preprocessor_cls` around `tokenizer`, with its defaults.

        Args:
            tokenizer: an `ElectraTokenizer`.
            sequence_length: int or None; None gives the preprocessor's
                default sequence length, at most `max_sequence_length`.
            max_sequence_length: int or None, the backbone's limit.
            **options: task options the preprocessor needs (e.g.
                `num_choices` for multiple choice).

        Example:
        ```python
        preprocessor = ElectraTokenClassifier.default_preprocessor(
            tokenizer, max_sequence_length=backbone.max_sequence_length
        )
        ```
        """
        if sequence_length is None:
            sequence_length = default_argument(cls.preprocessor_cls, "sequence_length")
            if max_sequence_length is not None:
                sequence_length = min(sequence_length, max_sequence_length)
        return cls.preprocessor_cls(
            tokenizer, sequence_length=sequence_length,
            **cls._preprocessor_arguments(sequence_length, **options),
        )

    @classmethod
    def _preprocessor_arguments(cls, sequence_length, **options):
        """Task-specific `preprocessor_cls` arguments for `default_preprocessor`."""
        return {}

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

    def save_task_weights(self, filepath):
        """Saves the head's weights (`*.weights.h5`), without the backbone.

        Unlike keras-hub's `Task`, the optimizer's state is left out: a task
        preset is a model, not a training checkpoint (resume training with
        `keras_electra.training.checkpointing`), and Adam's two slots would
        triple the file.
        """
        if not str(filepath).endswith(".weights.h5"):
            raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
        keras.saving.save_weights(self, filepath, objects_to_skip=self._not_task_weights())

    def load_task_weights(self, filepath):
        """Loads the head's weights; the backbone and the optimizer are left as they are."""
        if not str(filepath).endswith(".weights.h5"):
            raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
        keras.saving.load_weights(self, filepath, objects_to_skip=self._not_task_weights())

    def _not_task_weights(self):
        from keras_electra.fast_paths.private_api import flatten_layers

        skip = flatten_layers(self.backbone)
        if getattr(self, "optimizer", None) is not None:
            skip.append(self.optimizer)
        return skip

    def _host_preprocess(self, x, y=None, sample_weight=None):
        """Runs on the host in `fit`/`evaluate`/`predict`; returns `(x, y, sample_weight)`."""
        self.check_labels(y, sample_weight)
        return x, y, sample_weight

    def fit(self, x=None, y=None, *args, **kwargs):
        x, y, kwargs = self._prepare(x, y, kwargs)
        self._size_auto_schedule(x, args, kwargs)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        if not kwargs.get("_use_cached_eval_dataset"):  # `fit`'s validation: prepared
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

    def compile(
        self,
        optimizer="auto",
        loss="auto",
        *,
        metrics="auto",
        loss_reduction="sum",
        **kwargs,
    ):
        """Compiles with the original fine-tuning recipe for every `"auto"` argument.

        `optimizer="auto"` is the recipe of `keras-electra finetune`
        (`get_finetuning_recipe(size)` for the backbone's width, as
        `model_size_name` names it): the original's Adam without bias
        correction, weight decay 0.01, epsilon 1e-6, global clipnorm 1.0,
        layer-wise decay (0.8; 0.9 for large) and a 10% linear warmup then
        linear decay to 0. The schedule is sized by the first `fit`: its
        examples (or `steps_per_epoch`) over `batch_size`, times `epochs`;
        later `fit` calls continue it (at rate 0 once it is over).

        `loss="auto"` sums the per-example losses over the batch, as the
        original (`loss_reduction="sum"`; its per-position tagging losses
        are summed too). `loss_reduction="mean"` averages them instead
        (Keras' default). With global-norm clipping at 1.0 the two differ:
        a summed loss has `batch_size` times larger gradients, so clipping
        bites more often, and Adam's epsilon 1e-6 weighs less.

        Args:
            optimizer: `"auto"` or a Keras optimizer.
            loss: `"auto"` or a Keras loss.
            metrics: `"auto"` or Keras metrics.
            loss_reduction: `"sum"` (the original's) or `"mean"`; used by
                the `"auto"` loss.
            **kwargs: more `keras.Model.compile` arguments.
        """
        if loss_reduction not in LOSS_REDUCTIONS:
            raise ValueError(
                f"`loss_reduction` must be one of {tuple(LOSS_REDUCTIONS)}. "
                f"Received: loss_reduction={loss_reduction!r}."
            )
        self.loss_reduction = loss_reduction
        self._auto_schedule = None
        if optimizer == "auto":
            optimizer = self._auto_optimizer()
        if loss == "auto":
            loss = self._auto_loss()
        if metrics == "auto":
            metrics = self._auto_metrics()
        keras.Model.compile(self, optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    @property
    def keras_loss_reduction(self):
        """The Keras `reduction` of the `"auto"` loss."""
        return LOSS_REDUCTIONS[getattr(self, "loss_reduction", "sum")]

    def _auto_optimizer(self):
        from keras_electra.models.sizes import model_size_name
        from keras_electra.training.recipes import get_finetuning_recipe

        recipe = get_finetuning_recipe(model_size_name(self.backbone.hidden_dim))
        # Sized by the first `fit` (`_size_auto_schedule`).
        self._auto_schedule = recipe.learning_rate_schedule(num_train_steps=1)
        self._auto_schedule_sized = False
        return recipe.create_optimizer(self, 1, learning_rate=self._auto_schedule)

    def _size_auto_schedule(self, x, args, kwargs):
        """Sets the `"auto"` schedule's length from the first `fit`'s arguments."""
        if getattr(self, "_auto_schedule", None) is None or self._auto_schedule_sized:
            return
        batch_size = kwargs.get("batch_size", args[0] if args else None) or 32
        epochs = kwargs.get("epochs", args[1] if len(args) > 1 else 1)
        epochs -= kwargs.get("initial_epoch", 0)
        steps = kwargs.get("steps_per_epoch")
        if steps is None:
            count = _num_examples(x)
            if count is None:
                raise ValueError(
                    "compile(optimizer='auto') sizes its learning-rate schedule from "
                    "the first fit, and cannot count this data. Pass "
                    "`steps_per_epoch`, or compile with `optimizer=get_finetuning_recipe("
                    "size).create_optimizer(model, num_train_steps)`."
                )
            steps = count if _is_batched(x) else math.ceil(count / batch_size)
        self._auto_schedule.num_train_steps = max(1, int(steps) * max(1, int(epochs)))
        self._auto_schedule_sized = True

    def _auto_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction=self.keras_loss_reduction
        )

    def _auto_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]


def default_argument(function, name):
    """The default value of argument `name` of `function` (a class: its `__init__`)."""
    return inspect.signature(function).parameters[name].default


# `loss_reduction` -> Keras' loss reduction.
LOSS_REDUCTIONS = {"sum": "sum", "mean": "sum_over_batch_size"}


def _is_batched(x):
    module = type(x).__module__
    return module.startswith("tensorflow") or isinstance(x, keras.utils.PyDataset)


def _num_examples(x):
    """Examples in array-like `x` (batches for datasets), or None when unknown."""
    if isinstance(x, dict):
        x = next(iter(x.values()), None)
    elif isinstance(x, tuple) and x and not _is_batched(x):
        x = x[0]
    try:
        count = len(x)
    except TypeError:
        return None
    return count if count >= 0 else None
