"""ElectraTextClassifier: sentence (pair) classification and regression."""

import keras
from keras_hub.models import TextClassifier

from keras_electra.layers.embedding import electra_kernel_initializer
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.tasks.text_classifier_preprocessor import (
    ElectraTextClassifierPreprocessor,
)
from keras_electra.tasks.task import ElectraTask

HEAD_TYPES = ("original", "hf", "pooler")


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraTextClassifier(ElectraTask, TextClassifier):
    """An ELECTRA discriminator with a classification or regression head on [CLS].

    Two heads:

    - `"original"` (default), as google-research/electra
      (`finetune/classification/classification_tasks.py`): dropout, then one
      dense layer on the [CLS] vector, initialized as `tf.layers.dense`
      (Glorot uniform kernel, zero bias).
    - `"hf"`, as transformers' `ElectraClassificationHead`: dropout, dense
      (`classifier_dense`, hidden to hidden), exact GELU, dropout, dense
      (`classifier_out_proj`), so `classifier.dense` / `classifier.out_proj`
      of `ElectraForSequenceClassification` map one to one; initialized as
      transformers (truncated normal, `initializer_range`).
    - `"pooler"`, as BERT's `BertForSequenceClassification`: a tanh dense
      (`pooler_dense`, hidden to hidden) on [CLS], dropout, then the output
      dense; initialized as transformers. `from_preset` picks it, and loads
      the trained pooler, when the preset holds one
      (`pooler_head.safetensors`, kept by `convert_checkpoint` from BERT
      checkpoints and by `convert_tf_hub(keep_pooler=True)`); fine-tuning a
      BERT checkpoint through its pooler is what transformers does.

    With `num_classes=1` the model is a regressor (STS-B): one output and
    mean squared error by default. Otherwise labels are class ids in
    `[0, num_classes)`; others raise a `ValueError` in `fit` / `evaluate`.

    Args:
        backbone: an `ElectraBackbone`.
        num_classes: int. Number of classes; 1 for regression.
        preprocessor: an `ElectraTextClassifierPreprocessor` or None (then the
            model takes `token_ids`, `segment_ids`, `padding_mask`).
        head: `"original"`, `"hf"` or `"pooler"`.
        activation: optional activation on the outputs (None gives logits).
        dropout: float. Head dropout (0.1 in the original).

    Example:
    ```python
    import keras_electra

    classifier = keras_electra.ElectraTextClassifier.from_preset(
        "./electra_preset", num_classes=2
    )
    classifier.compile()  # the original's recipe: Adam, layer-wise decay, warmup
    classifier.fit(x=(["a great film"], ["I liked it"]), y=[1], batch_size=1)
    classifier.predict(["a dull film"])
    ```
    """

    backbone_cls = ElectraBackbone
    preprocessor_cls = ElectraTextClassifierPreprocessor
    transformers_architecture = "ElectraForSequenceClassification"
    supports_bucketing = True  # `BucketedInputs`

    def __init__(
        self,
        backbone,
        num_classes,
        preprocessor=None,
        head="original",
        activation=None,
        dropout=0.1,
        **kwargs,
    ):
        if head not in HEAD_TYPES:
            raise ValueError(
                f"`head` must be one of {HEAD_TYPES}. Received: head={head!r}."
            )
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                "`num_classes` must be an int >= 1 (1 for regression). "
                f"Received: num_classes={num_classes!r}."
            )
        # The original's `tf.layers.dense` default, or transformers' init.
        initializer = (
            "glorot_uniform"
            if head == "original"
            else electra_kernel_initializer(backbone.initializer_range)
        )
        policy = backbone.dtype_policy

        # === Config === (before `super().__init__`, which compiles)
        self.num_classes = num_classes
        self.head = head
        self.activation = keras.activations.get(activation)
        self.dropout = dropout

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.classifier_input_dropout = keras.layers.Dropout(
            dropout, dtype=policy, name="classifier_input_dropout"
        )
        self.classifier_dense = None
        self.classifier_dropout = None
        self.pooler_dense = None
        if head == "pooler":
            self.pooler_dense = keras.layers.Dense(
                backbone.hidden_dim,
                activation="tanh",
                kernel_initializer=initializer,
                dtype=policy,
                name="pooler_dense",
            )
        if head == "hf":
            self.classifier_dense = keras.layers.Dense(
                backbone.hidden_dim,
                activation="gelu",
                kernel_initializer=initializer,
                dtype=policy,
                name="classifier_dense",
            )
            self.classifier_dropout = keras.layers.Dropout(
                dropout, dtype=policy, name="classifier_dropout"
            )
        self.output_dense = keras.layers.Dense(
            num_classes,
            activation=activation,
            kernel_initializer=initializer,
            dtype=policy,
            name="classifier_out_proj" if head == "hf" else "logits",
        )

        # === Functional Model ===
        inputs = backbone.input
        x = backbone(inputs)["pooled_output"]
        if head == "pooler":
            x = self.pooler_dense(x)
        x = self.classifier_input_dropout(x)
        if head == "hf":
            x = self.classifier_dense(x)
            x = self.classifier_dropout(x)
        outputs = self.output_dense(x)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    @property
    def is_regression(self):
        return self.num_classes == 1

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Builds the classifier from a backbone preset or a saved task preset.

        Example:
        ```python
        model = ElectraTextClassifier.from_preset("./electra", num_classes=3)
        model = ElectraTextClassifier.from_preset("./finetuned_mnli")
        ```
        """
        from keras_electra.tasks.task_presets import load_task
        from keras_electra.tasks.task_presets import pooler_head

        pooler = pooler_head(cls, preset, kwargs)
        if pooler is not None and "head" not in kwargs:
            kwargs["head"] = "pooler"
        model = load_task(cls, preset, load_weights=load_weights, **kwargs)
        if pooler is not None and load_weights and model.head == "pooler":
            model.pooler_dense.set_weights(list(pooler))
        return model

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """Compiles with the original fine-tuning recipe (see `ElectraTask.compile`).

        `"auto"`: the recipe's optimizer (the original's Adam, layer-wise
        decay, warmup and linear decay sized by the first `fit`), sparse
        categorical cross-entropy (squared error for `num_classes=1`)
        summed over the batch (`loss_reduction="mean"` averages), and
        accuracy (MSE for regression). The original regresses STS-B on
        `score / 5` (`GlueData.targets`).
        """
        super().compile(optimizer, loss, metrics=metrics, **kwargs)

    def _auto_loss(self):
        reduction = self.keras_loss_reduction
        if self.is_regression:
            return keras.losses.MeanSquaredError(reduction=reduction)
        from_logits = self.activation != keras.activations.softmax
        return keras.losses.SparseCategoricalCrossentropy(from_logits, reduction=reduction)

    def _auto_metrics(self):
        if self.is_regression:
            return [keras.metrics.MeanSquaredError(name="mse")]
        return super()._auto_metrics()

    @property
    def label_classes(self):
        return None if self.is_regression else self.num_classes

    def preprocess_samples(self, x, y=None, sample_weight=None):
        # Labels in keras-hub's pipeline (datasets, text) are checked per batch.
        self.check_labels(y, sample_weight)
        return super().preprocess_samples(x, y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "head": self.head,
                "activation": keras.activations.serialize(self.activation),
                "dropout": self.dropout,
            }
        )
        return config
