"""ElectraEncoderLayer: keras-hub's TransformerEncoder with a lean forward pass."""

import keras
from keras_hub.layers import TransformerEncoder

from keras_electra.fast_paths.encoder_call import lean_call_applies
from keras_electra.fast_paths.encoder_call import lean_encoder_call
from keras_electra.layers.canonical import CanonicalVariable
from keras_electra.layers.canonical import collect_variables


def _hidden(c):
    return (c["hidden_dim"],)


def _heads(c):
    return (c["num_heads"], c["hidden_dim"] // c["num_heads"])


def _dense(name, path, attributes, kernel_shape, bias_shape, kernel_layout, bias_layout,
           kernel_heads_axis=None, bias_heads_axis=None):
    """Kernel and bias descriptions of one dense sublayer."""
    return (
        CanonicalVariable(f"{name}/kernel", f"{path}/kernel", kernel_shape,
                          kernel_layout, attributes + ("kernel",), kernel_heads_axis),
        CanonicalVariable(f"{name}/bias", f"{path}/bias", bias_shape,
                          bias_layout, attributes + ("bias",), bias_heads_axis),
    )


def _layer_norm(name, path, attribute):
    """Gamma and beta descriptions of one LayerNorm (replicated)."""
    return tuple(
        CanonicalVariable(f"{name}/{w}", f"{path}/{w}", _hidden, None, (attribute, w))
        for w in ("gamma", "beta")
    )


# The variables of a Transformer layer, in the original's (TF1) order. Attention
# is split over heads, the feed-forward block over its inner width (Megatron).
ENCODER_LAYER_VARIABLES = (
    tuple(
        v
        for p in ("query", "key", "value")
        for v in _dense(
            f"attention/self/{p}", f"self_attention_layer/{p}",
            ("_self_attention_layer", f"_{p}_dense"),
            lambda c: _hidden(c) + _heads(c), _heads,
            (None, "model", None), ("model", None), kernel_heads_axis=1, bias_heads_axis=0,
        )
    )
    + _dense(
        "attention/output/dense", "self_attention_layer/attention_output",
        ("_self_attention_layer", "_output_dense"),
        lambda c: _heads(c) + _hidden(c), _hidden, ("model", None, None), None,
        kernel_heads_axis=0,
    )
    + _layer_norm("attention/output/LayerNorm", "self_attention_layer_norm",
                  "_self_attention_layer_norm")
    + _dense(
        "intermediate/dense", "feedforward_intermediate_dense",
        ("_feedforward_intermediate_dense",),
        lambda c: (c["hidden_dim"], c["intermediate_dim"]),
        lambda c: (c["intermediate_dim"],), (None, "model"), ("model",),
    )
    + _dense(
        "output/dense", "feedforward_output_dense", ("_feedforward_output_dense",),
        lambda c: (c["intermediate_dim"], c["hidden_dim"]), _hidden, ("model", None), None,
    )
    + _layer_norm("output/LayerNorm", "feedforward_layer_norm", "_feedforward_layer_norm")
)


def encoder_layer_variables(layer, prefix=""):
    """`{canonical name: keras.Variable}` of a built Transformer layer.

    Works on any keras-hub `TransformerEncoder` (so on keras-hub's own ELECTRA
    too), which has the same sublayers as `ElectraEncoderLayer`.

    Args:
        layer: a built `keras_hub.layers.TransformerEncoder`.
        prefix: canonical scope before each name, e.g. `"encoder/layer_0/"`.
    """
    return collect_variables(layer, ENCODER_LAYER_VARIABLES, prefix)


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraEncoderLayer(TransformerEncoder):
    """A post-LayerNorm Transformer layer: keras-hub's `TransformerEncoder`, run leaner.

    Same sublayers, variables, config and results as
    `keras_hub.layers.TransformerEncoder` (so checkpoints, layouts and
    converters are unchanged); only `call` differs:

    - It runs the sublayers' `call` directly instead of their `__call__`. A
      Keras `__call__` does argument binding, dtype conversion, masking and
      scope bookkeeping; with about 15 sublayers per Transformer layer that
      host overhead was larger than the arithmetic of a small model on the
      torch backend, which executes eagerly. (Compiled backends trace it once.)
    - Without attention dropout (inference, or `dropout=0`) attention goes
      through `keras.ops.dot_product_attention`, which uses the fused kernel
      of the backend (cuDNN/flash where available). Keras'
      `MultiHeadAttention` takes its unfused path whenever the layer has a
      dropout rate, even at inference. Padding is an additive `-1e9` bias;
      a query with no real key to attend gets a zero context, as in Keras'
      masked softmax.
    - On torch, projections and LayerNorms run as fused torch kernels and
      attention as one SDPA call on strided views (`torch_kernels`), also
      in training when the attention dropout layer is unseeded: SDPA then
      drops probabilities with torch's global generator, which is what
      Keras' torch dropout uses for an unseeded layer. On TensorFlow the
      projections are `MatMul` + `BiasAdd`, which grappler fuses
      (`tensorflow_kernels`).
    - Dropout masks are drawn as `uniform < 1 - rate` (see
      `keras_electra.fast_paths.dropout`): same distribution and
      seed generators, cheaper on torch.

    Quantized or rematerialized sublayers, a distribution that re-lays out
    layer outputs (see `direct_calls.can_call_directly`), `normalize_first=True`
    and `return_attention_scores=True` use the parent's `call`.

    Args:
        Those of `keras_hub.layers.TransformerEncoder`.

    Example:
    ```python
    import numpy as np
    layer = ElectraEncoderLayer(num_heads=2, intermediate_dim=32, activation="gelu")
    outputs = layer(np.random.rand(1, 5, 16).astype("float32"),
                    padding_mask=np.array([[1, 1, 1, 0, 0]]))
    outputs.shape  # (1, 5, 16)
    ```
    """

    def call(
        self,
        inputs,
        padding_mask=None,
        attention_mask=None,
        training=None,
        return_attention_scores=False,
    ):
        if return_attention_scores or not lean_call_applies(self):
            return super().call(
                inputs,
                padding_mask=padding_mask,
                attention_mask=attention_mask,
                training=training,
                return_attention_scores=return_attention_scores,
            )
        return lean_encoder_call(self, inputs, padding_mask, attention_mask, training)

    def canonical_variables(self, prefix=""):
        """`{canonical name: keras.Variable}`, names as in `ENCODER_LAYER_VARIABLES`.

        Example:
        ```python
        import numpy as np
        layer = ElectraEncoderLayer(num_heads=2, intermediate_dim=32)
        layer(np.zeros((1, 5, 16), "float32"))
        list(layer.canonical_variables())[0]  # 'attention/self/query/kernel'
        ```
        """
        return encoder_layer_variables(self, prefix)
