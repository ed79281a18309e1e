"""ElectraMultipleChoice: score each (context, choice) pair, softmax over choices."""

import keras
from keras import ops
from keras_hub.models import Task

from keras_electra.layers.embedding import electra_kernel_initializer
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.tasks.multiple_choice_preprocessor import (
    ElectraMultipleChoicePreprocessor,
)
from keras_electra.tasks.task import ElectraTask


@keras.saving.register_keras_serializable(package="keras_electra")
class ChoiceFlatten(keras.layers.Layer):
    """`(batch, choices, length)` to `(batch * choices, length)`."""

    def call(self, x):
        return ops.reshape(x, (-1, ops.shape(x)[-1]))

    def compute_output_shape(self, input_shape):
        return (None, input_shape[-1])


@keras.saving.register_keras_serializable(package="keras_electra")
class ChoiceUnflatten(keras.layers.Layer):
    """`(batch * choices, 1)` scores to `(batch, choices)`."""

    def __init__(self, num_choices, **kwargs):
        super().__init__(**kwargs)
        self.num_choices = num_choices

    def call(self, x):
        return ops.reshape(x, (-1, self.num_choices))

    def compute_output_shape(self, input_shape):
        return (None, self.num_choices)

    def get_config(self):
        return {**super().get_config(), "num_choices": self.num_choices}


HEAD_TYPES = ("summary", "pooler")


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraMultipleChoice(ElectraTask, Task):
    """Multiple choice with transformers' `ElectraForMultipleChoice` head.

    Every (context, choice) pair goes through the backbone; the
    `ElectraSequenceSummary` of the defaults (`summary_type="first"`,
    projection to `hidden_dim`, exact GELU, dropout 0.1) and a dense layer to
    one score give each pair a logit, and the choice logits are compared with
    a softmax. Layer names follow transformers: `sequence_summary` (the
    projection) and `classifier`.

    With `head="pooler"` the projection is BERT's pooler instead, as
    `BertForMultipleChoice`: a tanh dense named `pooler_dense`. `from_preset`
    picks it, with its trained weights, when the preset holds a BERT pooler
    (`pooler_head.safetensors`, kept by `convert_checkpoint`).

    Inputs have shape `(batch, num_choices, sequence_length)`; outputs are
    `(batch, num_choices)` logits; labels are the index of the right choice.

    Args:
        backbone: an `ElectraBackbone`.
        num_choices: int. Choices per example.
        preprocessor: an `ElectraMultipleChoicePreprocessor` or None.
        dropout: float. Summary dropout (`summary_last_dropout`).
        head: `"summary"` (default, ELECTRA's) or `"pooler"` (BERT's).

    Example:
    ```python
    model = keras_electra.ElectraMultipleChoice.from_preset(
        "./electra_preset", num_choices=2, sequence_length=32
    )
    model.fit((["The cat sat on"], [["the mat.", "a fox."]]), [0])
    ```
    """

    backbone_cls = ElectraBackbone
    preprocessor_cls = ElectraMultipleChoicePreprocessor
    transformers_architecture = "ElectraForMultipleChoice"
    supports_bucketing = True  # `BucketedInputs`

    @classmethod
    def _preprocessor_arguments(cls, sequence_length, num_choices=2, **options):
        return {"num_choices": num_choices}

    label_name = "choice labels"

    def __init__(self, backbone, num_choices=2, preprocessor=None, dropout=0.1,
                 head="summary", **kwargs):
        if head not in HEAD_TYPES:
            raise ValueError(f"`head` must be one of {HEAD_TYPES}. Received: head={head!r}.")
        if not isinstance(num_choices, int) or num_choices < 2:
            raise ValueError(f"`num_choices` must be an int >= 2. Received: {num_choices!r}.")
        if preprocessor is not None and preprocessor.num_choices != num_choices:
            raise ValueError(
                f"The preprocessor packs {preprocessor.num_choices} choices but "
                f"the model has num_choices={num_choices}."
            )
        initializer = electra_kernel_initializer(backbone.initializer_range)
        policy = backbone.dtype_policy

        # === Config === (before `super().__init__`, which compiles)
        self.num_choices = num_choices
        self.dropout = dropout
        self.head = head

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.choice_flatten = ChoiceFlatten(dtype=policy, name="choice_flatten")
        self.sequence_summary = self.pooler_dense = None
        if head == "pooler":
            self.pooler_dense = keras.layers.Dense(
                backbone.hidden_dim, activation="tanh",
                kernel_initializer=initializer, dtype=policy, name="pooler_dense",
            )
        else:
            self.sequence_summary = keras.layers.Dense(
                backbone.hidden_dim, activation="gelu",
                kernel_initializer=initializer, dtype=policy, name="sequence_summary",
            )
        self.summary_dropout = keras.layers.Dropout(
            dropout, dtype=policy, name="summary_dropout"
        )
        self.classifier = keras.layers.Dense(
            1, kernel_initializer=initializer, dtype=policy, name="classifier"
        )
        self.choice_unflatten = ChoiceUnflatten(
            num_choices, dtype=policy, name="choice_unflatten"
        )

        # === Functional Model ===
        inputs = {
            name: keras.Input(shape=(num_choices, None), dtype="int32", name=name)
            for name in ("token_ids", "segment_ids", "padding_mask")
        }
        flat = {name: self.choice_flatten(value) for name, value in inputs.items()}
        x = backbone(flat)["pooled_output"]
        x = (self.pooler_dense if head == "pooler" else self.sequence_summary)(x)
        x = self.summary_dropout(x)
        outputs = self.choice_unflatten(self.classifier(x))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Builds the model from a backbone preset or a saved task preset.

        `num_choices` and `sequence_length` set up the preprocessor when
        no `preprocessor` is passed.
        """
        from keras_electra.tasks.task_presets import load_task
        from keras_electra.tasks.task_presets import pooler_head

        pooler = pooler_head(cls, preset, kwargs, new_head_argument="num_choices")
        if pooler is not None and "head" not in kwargs:
            kwargs["head"] = "pooler"
        sequence_length = kwargs.pop("sequence_length", None)
        if "preprocessor" not in kwargs and ("num_choices" in kwargs or sequence_length):
            preprocessor = cls.preprocessor_cls.from_preset(preset)
            num_choices = kwargs.get("num_choices", preprocessor.num_choices)
            sequence_length = sequence_length or preprocessor.sequence_length
            if (preprocessor.num_choices, preprocessor.sequence_length) != (num_choices, sequence_length):
                preprocessor = cls.preprocessor_cls(
                    preprocessor.tokenizer,
                    num_choices=num_choices,
                    sequence_length=sequence_length,
                )
            kwargs["preprocessor"] = preprocessor
        model = load_task(cls, preset, load_weights=load_weights, **kwargs)
        if pooler is not None and load_weights and model.head == "pooler":
            model.pooler_dense.set_weights(list(pooler))
        return model

    @property
    def label_classes(self):
        return self.num_choices

    def _host_preprocess(self, x, y=None, sample_weight=None):
        # Text is packed on the host; labels are checked once packed.
        if not isinstance(x, dict) and self.preprocessor is not None:
            packed = self.preprocessor(x, y, sample_weight)
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(packed)
        self.check_labels(y)
        return x, y, sample_weight

    def get_config(self):
        config = super().get_config()
        config.update({"num_choices": self.num_choices, "dropout": self.dropout,
                       "head": self.head})
        return config
