"""ElectraTokenClassifier: one label per word, predicted on its first wordpiece."""

import keras
import numpy as np
from keras_hub.models import Task

from keras_electra.data.bucketing import divides_by_length
from keras_electra.layers.embedding import electra_kernel_initializer
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.tasks.task import LOSS_REDUCTIONS
from keras_electra.tasks.task import ElectraTask
from keras_electra.tasks.token_classifier_preprocessor import (
    ElectraTokenClassifierPreprocessor,
)


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraTokenClassifier(ElectraTask, Task):
    """An ELECTRA discriminator with a per-token classification head (tagging).

    As google-research/electra's tagging tasks (chunking, NER): a dense layer
    on every position of the sequence output; training uses the label of
    each word on its first wordpiece only (sample weight 1 there, 0
    elsewhere; see `ElectraTokenClassifierPreprocessor`). The original uses
    no head dropout, so `dropout` defaults to 0; transformers'
    `ElectraForTokenClassification` uses 0.1 and maps onto `classifier`.
    The classifier starts as the original's `tf.layers.dense` (Glorot
    uniform); `kernel_initializer="electra"` gives transformers' truncated
    normal (`initializer_range`).

    `fit`, `evaluate` and `predict` take lists of word lists (and word-level
    label lists), or already preprocessed dicts. `predict_words` returns one
    label id per word.

    Args:
        backbone: an `ElectraBackbone`.
        num_classes: int. Number of tags.
        preprocessor: an `ElectraTokenClassifierPreprocessor` or None.
        dropout: float. Dropout before the classifier.
        kernel_initializer: `"glorot_uniform"` (the original's), `"electra"`
            (truncated normal with the backbone's `initializer_range`) or
            any Keras initializer.

    Example:
    ```python
    tagger = keras_electra.ElectraTokenClassifier.from_preset(
        "./electra_preset", num_classes=3,
    )
    tagger.fit([["The", "cat", "sat"]], [[0, 1, 2]], batch_size=1)
    tagger.predict_words([["A", "cat"]])  # [[0, 1]]
    ```
    """

    backbone_cls = ElectraBackbone
    preprocessor_cls = ElectraTokenClassifierPreprocessor
    transformers_architecture = "ElectraForTokenClassification"
    supports_bucketing = True  # `BucketedInputs`

    def __init__(
        self,
        backbone,
        num_classes,
        preprocessor=None,
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(
                f"`num_classes` must be an int >= 2. Received: {num_classes!r}."
            )
        policy = backbone.dtype_policy

        # === Config === (before `super().__init__`, which compiles)
        self.num_classes = num_classes
        self.dropout = dropout
        self.kernel_initializer = kernel_initializer
        initializer = kernel_initializer
        if kernel_initializer == "electra":
            initializer = electra_kernel_initializer(backbone.initializer_range)
        elif not isinstance(kernel_initializer, str):
            initializer = keras.initializers.get(kernel_initializer)

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.classifier_dropout = keras.layers.Dropout(
            dropout, dtype=policy, name="classifier_dropout"
        )
        self.classifier = keras.layers.Dense(
            num_classes,
            kernel_initializer=initializer,
            dtype=policy,
            name="classifier",
        )

        # === Functional Model ===
        inputs = backbone.input
        x = backbone(inputs)["sequence_output"]
        x = self.classifier_dropout(x)
        outputs = self.classifier(x)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto",
                loss_reduction="sum", **kwargs):
        """Compiles with the original fine-tuning recipe (see `ElectraTask.compile`).

        `"auto"`: the recipe's optimizer, sparse categorical cross-entropy
        on logits weighted to first wordpieces and summed over them and the
        batch, as the original (`loss_reduction="mean"` divides by batch x
        sequence length, Keras' default), and token accuracy on them:
        sum(correct x weight) / sum(weight) over all batches, whatever their
        padded lengths.
        """
        if metrics == "auto":
            if loss == "auto" and loss_reduction in LOSS_REDUCTIONS:
                self.loss_reduction = loss_reduction
                loss = self._auto_loss()  # built here: the metric depends on it
            # Weighted: only first wordpieces (sample weight 1) count.
            kwargs["weighted_metrics"] = self._token_metrics(divides_by_length(loss))
            metrics = None
        super().compile(optimizer, loss, metrics=metrics, loss_reduction=loss_reduction,
                        **kwargs)

    def _token_metrics(self, weights_scaled):
        # Bucketed batches scale per-position weights by `bucket / length`
        # where the loss divides by the length; Keras' weighted `Mean`
        # (a mean over the length per example) is exact on those, a sum
        # over positions on unscaled ones.
        if weights_scaled:
            return self._auto_metrics()
        return [_TokenAccuracy(name="accuracy")]

    @property
    def label_classes(self):
        return self.num_classes

    def _host_preprocess(self, x, y=None, sample_weight=None):
        # Word lists are packed on the host; labels are checked once packed.
        if isinstance(x, dict) or self.preprocessor is None or _is_dataset(x):
            return super()._host_preprocess(x, y, sample_weight)
        packed = self.preprocessor(x, y, sample_weight)
        if y is None:
            return packed, None, None
        return super()._host_preprocess(*packed)

    def fit(self, x=None, y=None, *args, **kwargs):
        validation_data = kwargs.get("validation_data")
        if isinstance(validation_data, tuple) and not isinstance(validation_data[0], dict):
            kwargs["validation_data"] = self._host_preprocess(*validation_data)
        return super().fit(x, y, *args, **kwargs)

    def predict_words(self, words, batch_size=32, **kwargs):
        """One predicted class id per word (`None` for truncated words).

        Args:
            words: a list of word lists.
            batch_size: int.
        """
        if self.preprocessor is None:
            raise ValueError("`predict_words` needs the model's preprocessor.")
        logits = self.predict(words, batch_size=batch_size, **kwargs)
        return self.preprocessor.word_predictions(words, np.asarray(logits))

    def get_config(self):
        config = super().get_config()
        initializer = self.kernel_initializer
        if not isinstance(initializer, str):
            initializer = keras.initializers.serialize(keras.initializers.get(initializer))
        config.update(
            {
                "num_classes": self.num_classes,
                "dropout": self.dropout,
                "kernel_initializer": initializer,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_electra")
class _TokenAccuracy(keras.metrics.Metric):
    """Weighted token accuracy: sum(correct x weight) / sum(weight) over all batches.

    Unlike Keras' weighted `Mean` metrics it does not depend on the padded
    length of each batch (length-bucketed batches, unscaled weights).
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.correct = self.add_variable((), "zeros", dtype=self.dtype, aggregation="sum",
                                         name="correct")
        self.weight = self.add_variable((), "zeros", dtype=self.dtype, aggregation="sum",
                                        name="weight")

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = keras.ops.argmax(y_pred, axis=-1)
        y_true = keras.ops.reshape(y_true, keras.ops.shape(predicted))
        correct = keras.ops.cast(
            keras.ops.equal(keras.ops.cast(y_true, "int32"), keras.ops.cast(predicted, "int32")),
            self.dtype,
        )
        weight = keras.ops.ones_like(correct)
        if sample_weight is not None:
            sample_weight = keras.ops.cast(sample_weight, self.dtype)
            while len(sample_weight.shape) < len(correct.shape):
                sample_weight = keras.ops.expand_dims(sample_weight, -1)
            weight = weight * sample_weight
        self.correct.assign_add(keras.ops.sum(correct * weight))
        self.weight.assign_add(keras.ops.sum(weight))

    def result(self):
        return keras.ops.divide_no_nan(self.correct, self.weight)

    def reset_state(self):
        self.correct.assign(0.0)
        self.weight.assign(0.0)


def _is_dataset(x):
    module = type(x).__module__
    return module.startswith("tensorflow") or module.startswith("grain")
