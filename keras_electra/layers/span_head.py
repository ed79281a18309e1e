"""ElectraSpanHead: ELECTRA's joint start/end span head with an answerability classifier."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraSpanHead(keras.layers.Layer):
    """The SQuAD head of google-research/electra (`finetune/qa/qa_tasks.py`).

    With `joint_prediction` and `answerable_classifier` on (the original's
    defaults):

    - start logits: a dense layer over each position, masked to the context
      tokens and [CLS];
    - end logits conditioned on the start: `dense(gelu(dense([h_start; h_j])))`
      (exact, erf-based GELU, as the original's `modeling.gelu`)
      where `h_start` is the hidden state at the *gold* start when
      `start_positions` is given (training, teacher forcing), and at each of
      the `beam_size` best starts otherwise (beam search at inference);
    - a no-answer logit from `[h_CLS; sum_j softmax(start)_j h_j]` through a
      gelu layer. It is trained with `is_impossible` as the label, so a
      higher value means *unanswerable* (the original's `answerable_logit`).

    `end_logits` are the teacher-forced logits for `start_positions` (zeros
    without them; a negative start reads position 0). In training the beam
    end outputs are zeros (the beam is skipped, as the original); otherwise
    `start_top_*`/`end_top_*` hold the beam the decoder reads.

    Args:
        beam_size: int. Starts kept at inference, and ends per start.
        hidden_dim: int. Width of the end and no-answer hidden layers (512).
        kernel_initializer: initializer of the dense layers (the original's
            `tf.layers.dense` default, Glorot uniform).

    Inputs:
        sequence_output: `(batch, length, hidden)`.
        answer_mask: `(batch, length)`, 1 where an answer may start or end.
        start_positions: optional `(batch,)` int gold starts.

    Example:
    ```python
    import numpy as np
    head = ElectraSpanHead(beam_size=3, hidden_dim=8)
    h = np.random.rand(2, 6, 4).astype("float32")
    mask = np.array([[1, 0, 0, 1, 1, 1]] * 2, "int32")
    out = head(h, mask)
    out["end_top_index"].shape  # (2, 3, 3)
    ```
    """

    def __init__(
        self,
        beam_size=20,
        hidden_dim=512,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.beam_size = beam_size
        self.hidden_dim = hidden_dim
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

        def dense(units, name):
            return keras.layers.Dense(
                units,
                kernel_initializer=self.kernel_initializer,
                dtype=self.dtype_policy,
                name=name,
            )

        self.start_dense = dense(1, "start_logits")
        self.end_hidden = dense(hidden_dim, "qa_hidden")
        self.end_dense = dense(1, "qa_logits")
        self.answerable_hidden = dense(hidden_dim, "answerable_hidden")
        self.answerable_dense = dense(1, "answerable_logits")

    def build(self, sequence_output_shape, answer_mask_shape=None, start_positions_shape=None):
        sequence_shape = sequence_output_shape
        hidden = sequence_shape[-1]
        self.start_dense.build(sequence_shape)
        self.end_hidden.build((None, None, 2 * hidden))
        self.end_dense.build((None, None, self.hidden_dim))
        self.answerable_hidden.build((None, 2 * hidden))
        self.answerable_dense.build((None, self.hidden_dim))
        self.built = True

    def _end_logits(self, start_features, end_features):
        x = ops.concatenate([start_features, end_features], axis=-1)
        x = keras.activations.gelu(self.end_hidden(x), approximate=False)
        return ops.squeeze(self.end_dense(x), -1)

    def call(self, sequence_output, answer_mask, start_positions=None, training=None):
        h = sequence_output
        mask_bias = 1000.0 * (ops.cast(answer_mask, h.dtype) - 1.0)
        start_logits = ops.squeeze(self.start_dense(h), -1) + mask_bias
        start_log_probs = ops.log_softmax(start_logits, axis=-1)
        k = self.beam_size
        if h.shape[1] is not None:
            k = min(k, h.shape[1])
        start_top_log_probs, start_top_index = ops.top_k(start_log_probs, k=k)
        start_top_index = ops.cast(start_top_index, "int32")

        # Teacher forcing: every end conditioned on the gold start (a
        # negative start, "unknown", reads position 0).
        if start_positions is None:
            end_logits = ops.zeros_like(start_logits)
        else:
            index = ops.maximum(ops.cast(start_positions, "int32"), 0)
            index = ops.reshape(index, (-1, 1, 1))
            start_features = ops.take_along_axis(h, index, axis=1)  # b, 1, d
            start_features = start_features + ops.zeros_like(h)  # b, l, d
            end_logits = self._end_logits(start_features, h) + mask_bias

        if training:
            end_top_log_probs = ops.zeros_like(
                start_top_log_probs[:, :, None] + start_top_log_probs[:, None, :]
            )
            end_top_index = ops.cast(end_top_log_probs, "int32")
        else:
            # Beam: for each of the k best starts, the k best ends.
            index = start_top_index[:, :, None]  # b, k, 1
            start_features = ops.take_along_axis(h, index, axis=1)  # b, k, d
            zeros = ops.zeros_like(start_top_log_probs)[:, :, None, None]  # b,k,1,1
            start_features = start_features[:, :, None, :] + ops.zeros_like(h)[:, None]
            end_features = h[:, None] + zeros  # b, k, l, d
            beam_end_logits = self._end_logits(start_features, end_features)
            beam_end_logits = beam_end_logits + mask_bias[:, None, :]
            end_log_probs = ops.log_softmax(beam_end_logits, axis=-1)
            end_top_log_probs, end_top_index = ops.top_k(end_log_probs, k=k)
            end_top_index = ops.cast(end_top_index, "int32")

        start_p = ops.softmax(start_logits, axis=-1)
        start_feature = ops.sum(start_p[:, :, None] * h, axis=1)
        x = ops.concatenate([h[:, 0], start_feature], axis=-1)
        x = keras.activations.gelu(self.answerable_hidden(x), approximate=False)
        no_answer_logits = ops.squeeze(self.answerable_dense(x), -1)
        return {
            "start_logits": start_logits,
            "end_logits": end_logits,
            "no_answer_logits": no_answer_logits,
            "start_top_log_probs": start_top_log_probs,
            "start_top_index": start_top_index,
            "end_top_log_probs": end_top_log_probs,
            "end_top_index": end_top_index,
        }

    def compute_output_spec(
        self, sequence_output, answer_mask, start_positions=None, training=None
    ):
        b, l = sequence_output.shape[0], sequence_output.shape[1]
        k = self.beam_size if l is None else min(self.beam_size, l)
        f = self.compute_dtype
        spec = keras.KerasTensor
        return {
            "start_logits": spec((b, l), f),
            "end_logits": spec((b, l), f),
            "no_answer_logits": spec((b,), f),
            "start_top_log_probs": spec((b, k), f),
            "start_top_index": spec((b, k), "int32"),
            "end_top_log_probs": spec((b, k, k), f),
            "end_top_index": spec((b, k, k), "int32"),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beam_size": self.beam_size,
                "hidden_dim": self.hidden_dim,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
            }
        )
        return config
