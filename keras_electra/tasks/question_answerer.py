"""ElectraQuestionAnswerer: extractive question answering (SQuAD 1.1 / 2.0)."""

import keras
import numpy as np
from keras import ops
from keras_hub.models import Task

from keras_electra.layers.embedding import electra_kernel_initializer
from keras_electra.layers.span_head import ElectraSpanHead
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.tasks.question_answerer_preprocessor import (
    ElectraQuestionAnswererPreprocessor,
)
from keras_electra.tasks.task import ElectraTask
from keras_electra.tasks.task import default_argument

HEADS = ("original", "hf")
LABEL_KEYS = ("start_positions", "end_positions", "is_impossible")


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraQuestionAnswerer(ElectraTask, Task):
    """An ELECTRA backbone with a span-extraction head.

    Heads:

    - `"original"` (default): google-research/electra's joint head
      (`ElectraSpanHead`): start logits, end logits conditioned on the start
      (the gold start in training, a `beam_size` beam at inference) and a
      no-answer classifier on [CLS] plus the start-weighted representation.
      Loss: `(start_ce + end_ce) / 2 + no_answer_loss_weight * bce`.
    - `"hf"`: transformers' `ElectraForQuestionAnswering`: one dense layer
      `qa_outputs` with two units (start, end), loss `(start_ce + end_ce) / 2`.

    Inputs are the features of `ElectraQuestionAnswererPreprocessor.featurize`
    (`token_ids`, `segment_ids`, `padding_mask`; the original head also takes
    `start_positions`, the gold starts its end logits are conditioned on,
    filled from the labels in `fit`/`evaluate` and with -1, "unknown",
    when absent). Labels are a dict with `start_positions`, `end_positions` and
    (original head) `is_impossible`. `decode_squad_predictions` turns the
    outputs of `predict` into answer texts.

    Args:
        backbone: an `ElectraBackbone`.
        preprocessor: an `ElectraQuestionAnswererPreprocessor` or None.
        head: `"original"` or `"hf"`.
        beam_size: int. Beam of the original head at inference (20).
        head_hidden_dim: int. Hidden width of the original head (512).
        no_answer_loss_weight: float. Weight of the answerability loss (0.5).
        compile: bool. Compile with the original fine-tuning recipe.

    Example:
    ```python
    qa = ElectraQuestionAnswerer.from_preset("./electra_small_preset")
    features = qa.preprocessor.featurize(read_squad("train.json").examples,
                                         training=True)
    qa.fit(features.inputs(), features.labels(), batch_size=32, epochs=2)
    ```
    """

    backbone_cls = ElectraBackbone
    preprocessor_cls = ElectraQuestionAnswererPreprocessor
    transformers_architecture = "ElectraForQuestionAnswering"

    @classmethod
    def _preprocessor_arguments(cls, sequence_length, **options):
        # The SQuAD defaults (query 64, stride 128), shrunk to fit short sequences.
        return {
            name: min(default_argument(cls.preprocessor_cls, name), sequence_length // 2)
            for name in ("max_query_length", "doc_stride")
        }

    def __init__(
        self,
        backbone,
        preprocessor=None,
        head="original",
        beam_size=20,
        head_hidden_dim=512,
        no_answer_loss_weight=0.5,
        **kwargs,
    ):
        if head not in HEADS:
            raise ValueError(f"`head` must be one of {HEADS}. Received: {head!r}.")
        if beam_size < 1:
            raise ValueError(f"`beam_size` must be positive. Received: {beam_size}.")

        # === Config === (before `super().__init__`, which compiles)
        self.head = head
        self.beam_size = beam_size
        self.head_hidden_dim = head_hidden_dim
        self.no_answer_loss_weight = no_answer_loss_weight

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        if head == "original":
            self.span_head = ElectraSpanHead(
                beam_size=beam_size,
                hidden_dim=head_hidden_dim,
                dtype=backbone.dtype_policy,
                name="span_head",
            )
        else:
            self.qa_outputs = keras.layers.Dense(
                2,
                kernel_initializer=electra_kernel_initializer(
                    backbone.initializer_range
                ),
                dtype=backbone.dtype_policy,
                name="qa_outputs",
            )

        # === Functional Model ===
        inputs = dict(backbone.input)
        sequence = backbone(inputs)["sequence_output"]
        if head == "original":
            inputs["start_positions"] = keras.Input(
                shape=(), dtype="int32", name="start_positions"
            )
            # Answers live in the context segment; [CLS] is the null answer.
            mask = inputs["padding_mask"] * inputs["segment_ids"]
            mask = ops.concatenate([ops.ones_like(mask[:, :1]), mask[:, 1:]], axis=1)
            outputs = self.span_head(sequence, mask, inputs["start_positions"])
        else:
            logits = self.qa_outputs(sequence)
            outputs = {"start_logits": logits[..., 0], "end_logits": logits[..., 1]}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    supports_bucketing = True  # `BucketedInputs`

    @property
    def trims_padding(self):
        """The original head masks padding; the hf head's softmax spans it (one bucket)."""
        return self.head == "original"

    def __call__(self, inputs, *args, **kwargs):
        # `start_positions` is optional: -1 means unknown.
        if (
            getattr(self, "head", None) == "original"
            and isinstance(inputs, dict)
            and "start_positions" not in inputs
            and "token_ids" in inputs
        ):
            inputs = {**inputs, "start_positions": _unknown_starts(inputs["token_ids"])}
        return super().__call__(inputs, *args, **kwargs)

    def compile(self, optimizer="auto", loss="auto", metrics=None, **kwargs):
        """Compiles with the original fine-tuning recipe and the QA loss.

        `optimizer="auto"` is the recipe's (see `ElectraTask.compile`). The
        loss is built in (`compute_loss`); `loss` must stay "auto"/None. It
        is summed over the batch as the original (`loss_reduction="sum"`);
        `loss_reduction="mean"` averages it.
        """
        if loss not in ("auto", None):
            raise ValueError(
                "ElectraQuestionAnswerer computes its own span loss; pass "
                f"loss='auto'. Received: {loss!r}."
            )
        super().compile(optimizer, None, metrics=metrics, **kwargs)

    def _with_starts(self, x, y=None):
        """Adds `start_positions` to a dict `x` for the original head.

        The gold starts of `y` when it has them, else -1 ("unknown").
        `preprocess_samples` does this in keras-hub's pipeline; arrays without
        a preprocessor skip it (`ArrayInputs`), and would otherwise condition
        the end logits on an unknown start in `fit`/`evaluate`, and miss an
        input in `predict` on JAX (whose trainer does not go through
        `__call__`).
        """
        if (
            self.head != "original"
            or not isinstance(x, dict)
            or "start_positions" in x
            or "token_ids" not in x
        ):
            return x
        if isinstance(y, dict) and "start_positions" in y:
            return {**x, "start_positions": y["start_positions"]}
        return {**x, "start_positions": _unknown_starts(x["token_ids"])}

    def _host_preprocess(self, x, y=None, sample_weight=None):
        return self._with_starts(x, y), y, sample_weight

    def fit(self, x=None, y=None, *args, **kwargs):
        validation_data = kwargs.get("validation_data")
        if isinstance(validation_data, tuple) and len(validation_data) >= 2:
            kwargs["validation_data"] = (
                self._with_starts(validation_data[0], validation_data[1]),
                *validation_data[1:],
            )
        return super().fit(x, y, *args, **kwargs)

    def preprocess_samples(self, x, y=None, sample_weight=None):
        data = super().preprocess_samples(x, y, sample_weight)
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if self.head == "original" and isinstance(x, dict) and "start_positions" not in x:
            if isinstance(y, dict) and "start_positions" in y:
                x = {**x, "start_positions": y["start_positions"]}
            elif "token_ids" in x:
                x = {**x, "start_positions": _unknown_starts(x["token_ids"])}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y is None:
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        if not isinstance(y, dict) or any(
            k not in y for k in LABEL_KEYS[: 3 if self.head == "original" else 2]
        ):
            raise ValueError(
                "Labels must be a dict with 'start_positions', 'end_positions'"
                + (" and 'is_impossible'" if self.head == "original" else "")
                + f". Received: {type(y).__name__} "
                + (f"with keys {sorted(y)}" if isinstance(y, dict) else "")
            )
        start = _span_cross_entropy(y["start_positions"], y_pred["start_logits"])
        end = _span_cross_entropy(y["end_positions"], y_pred["end_logits"])
        losses = (start + end) / 2.0
        if self.head == "original":
            labels = ops.cast(y["is_impossible"], losses.dtype)
            logits = ops.cast(y_pred["no_answer_logits"], losses.dtype)
            no_answer = keras.losses.binary_crossentropy(
                labels[:, None], logits[:, None], from_logits=True
            )
            losses = losses + self.no_answer_loss_weight * no_answer
        if sample_weight is not None:
            weight = ops.cast(ops.reshape(sample_weight, (-1,)), losses.dtype)
            losses = losses * weight
        reduction = getattr(self, "loss_reduction", "sum")
        loss = ops.sum(losses) if reduction == "sum" else ops.mean(losses)
        for extra in self.losses:
            loss = loss + self._aggregate_additional_loss(extra)
        return loss

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "head": self.head,
                "beam_size": self.beam_size,
                "head_hidden_dim": self.head_hidden_dim,
                "no_answer_loss_weight": self.no_answer_loss_weight,
            }
        )
        return config


def _unknown_starts(token_ids):
    """A `(batch,)` vector of -1 in the type of `token_ids` (numpy, tf or backend)."""
    if type(token_ids).__module__.startswith("tensorflow"):
        import tensorflow as tf

        return tf.fill(tf.shape(token_ids)[:1], tf.constant(-1, "int32"))
    if isinstance(token_ids, (np.ndarray, list)):
        return np.full((len(token_ids),), -1, "int32")
    return ops.full(ops.shape(token_ids)[:1], -1, "int32")


def _span_cross_entropy(positions, logits):
    logits = ops.cast(logits, "float32")
    positions = ops.cast(positions, "int32")
    return keras.losses.sparse_categorical_crossentropy(
        positions, logits, from_logits=True
    )
