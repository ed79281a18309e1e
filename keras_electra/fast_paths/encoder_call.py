"""The lean forward pass of `ElectraEncoderLayer` and its attention routes.

Same sublayers, variables and results as keras-hub's `TransformerEncoder.call`;
the sublayers run through `call_directly`, and attention takes one of the routes
named by `keras_electra.config.set_attention_implementation`.
"""

import keras
from keras import ops

from keras_electra.fast_paths.switch import attention_implementation
from keras_electra.fast_paths.direct_calls import call_directly
from keras_electra.fast_paths.direct_calls import can_call_directly
from keras_electra.fast_paths.dropout import apply_dropout
from keras_electra.fast_paths.private_api import merge_padding_and_attention_mask
from keras_electra.fast_paths.random_noise import draws_from_global_torch_rng


def lean_encoder_call(layer, inputs, padding_mask, attention_mask, training):
    """`TransformerEncoder.call` of a layer that passes `lean_call_applies`."""
    mask = merge_padding_and_attention_mask(inputs, padding_mask, attention_mask)
    if mask is not None:
        mask = ops.expand_dims(ops.cast(mask, "bool"), 1)  # [B, 1, 1|T, S]

    residual = inputs
    x = _attention(layer, inputs, mask, training)
    x = apply_dropout(layer._self_attention_dropout, x, training)
    x = call_directly(layer._self_attention_layer_norm, x + residual)

    residual = x
    x = call_directly(layer._feedforward_intermediate_dense, x)
    x = call_directly(layer._feedforward_output_dense, x)
    x = apply_dropout(layer._feedforward_dropout, x, training)
    return call_directly(layer._feedforward_layer_norm, x + residual)


def _attention(layer, x, mask, training):
    attention = layer._self_attention_layer
    query = call_directly(attention._query_dense, x)  # [B, T, N, H]
    key = call_directly(attention._key_dense, x)
    value = call_directly(attention._value_dense, x)
    dropout = attention._dropout if training else 0.0
    route = _attention_route(layer, dropout)
    if route == "torch_sdpa":
        from keras_electra.fast_paths import torch_kernels

        context = torch_kernels.masked_attention(
            query, key, value, mask, attention._inverse_sqrt_key_dim, dropout
        )
    elif route == "eager":
        # MultiHeadAttention's own unfused path: softmax, dropout, combine.
        query = query * ops.cast(attention._inverse_sqrt_key_dim, query.dtype)
        scores = ops.einsum(attention._dot_product_equation, key, query)
        scores = attention._softmax.call(scores, mask=mask)
        scores = apply_dropout(attention._dropout_layer, scores, training)
        context = ops.einsum(attention._combine_equation, scores, value)
    else:
        bias = None
        if mask is not None:
            dtype = keras.backend.standardize_dtype(query.dtype)
            negative = -3e4 if dtype == "float16" else -1e9
            bias = ops.cast(ops.logical_not(mask), query.dtype) * negative
        context = ops.dot_product_attention(
            query,
            key,
            value,
            bias=bias,
            scale=attention._inverse_sqrt_key_dim,
            flash_attention=attention._flash_attention,
        )
        if mask is not None:
            # As Keras' masked softmax: a query with no key to attend gets 0.
            has_key = ops.moveaxis(ops.any(mask, axis=-1), 1, -1)  # [B, 1|T, 1]
            context = context * ops.cast(has_key[..., None], context.dtype)
    return call_directly(attention._output_dense, context)


def _attention_route(layer, dropout):
    """`"torch_sdpa"`, `"eager"` or `"dot_product"`, from the configured implementation.

    `"auto"`: one torch SDPA call on torch, with dropout only for an unseeded
    dropout layer (SDPA then drops probabilities with torch's global RNG, the
    generator Keras' torch dropout uses for such a layer); else the unfused path
    with dropout, and `ops.dot_product_attention` without.
    """
    attention = layer._self_attention_layer
    torch_sdpa = keras.config.backend() == "torch" and not attention._flash_attention
    sdpa_dropout = not dropout or draws_from_global_torch_rng(
        attention._dropout_layer.seed_generator
    )
    implementation = attention_implementation()
    if implementation == "eager":
        return "eager"
    if implementation == "sdpa":
        if not (torch_sdpa and sdpa_dropout) and dropout:
            raise ValueError(
                "attention implementation 'sdpa' cannot apply attention dropout here: "
                "fused attention with dropout needs the torch backend and an unseeded "
                "dropout layer. Use 'auto' or 'eager', or set the dropout to 0."
            )
        return "torch_sdpa" if torch_sdpa else "dot_product"
    if torch_sdpa and sdpa_dropout:
        return "torch_sdpa"
    return "eager" if dropout else "dot_product"


def lean_call_applies(layer):
    if attention_implementation() == "keras":
        return False
    attention = layer._self_attention_layer
    if layer.normalize_first or attention._use_gate:
        return False
    if getattr(attention, "_sliding_window", None) is not None:
        return False
    return can_call_directly(
        attention,
        layer._self_attention_layer_norm,
        layer._feedforward_layer_norm,
        attention._query_dense,
        attention._key_dense,
        attention._value_dense,
        attention._output_dense,
        layer._feedforward_intermediate_dense,
        layer._feedforward_output_dense,
    )
