"""Fused torch forms of the encoder's hot sublayers, for the torch backend only.

Eager torch pays some microseconds of host work per `keras.ops` call (tensor
conversion, dtype rules). A Dense layer's `call` is a `matmul`, an `add` and
an activation; Keras' torch attention transposes and copies query, key and
value. These functions give what the layers' `call` gives, in fewer and fused
torch kernels: `F.linear` (matmul and bias in one `addmm`), `F.layer_norm`,
and SDPA on strided views. The layer kernels (`KERNELS`) return None where
they would not be exact (other equations, dtypes, options), and the caller
then uses `layer.call`. `uniform` draws from torch's global generator.

Used by `direct_calls.call_directly`, `ElectraEncoderLayer` and
`random_noise.uniform`, and only when `keras.config.backend() == "torch"`.
Tests compare each function with the Keras computation it replaces.
"""

import math

import keras
import torch
import torch.nn.functional as F

from keras_electra.fast_paths.matrix_projection import normalizes_last_axis
from keras_electra.fast_paths.matrix_projection import projection
from keras_electra.fast_paths.matrix_projection import variable_value


def _activate(layer, x):
    activation = layer.activation
    if activation is None or activation is keras.activations.linear:
        return x
    if activation is keras.activations.gelu:
        return F.gelu(x)  # keras.activations.gelu defaults to the exact form
    return activation(x)


def project(layer, x):
    """`Dense.call(x)` / `EinsumDense.call(x)` as one `F.linear`; None if not exact."""
    weights = projection(layer)
    if weights is None or x.dtype != weights[1].dtype:
        return None
    contracted, kernel, bias = weights
    if contracted == 1 and kernel.dim() == 2:  # Dense, "abc,cd->abd": no reshapes
        return _activate(layer, F.linear(x, kernel.t(), bias))
    outer = kernel.shape[contracted:]
    features = math.prod(kernel.shape[:contracted])
    batch = x.shape[: x.dim() - contracted]
    bias = None if bias is None else bias.reshape(-1)
    y = F.linear(x.reshape(*batch, features), kernel.reshape(features, -1).t(), bias)
    return _activate(layer, y.reshape(*batch, *outer))


def layer_norm(layer, x):
    """`keras.layers.LayerNormalization.call(x)` as `F.layer_norm`; None if not exact.

    As Keras, half-precision inputs are normalized in float32.
    """
    if not normalizes_last_axis(layer, x.dim()):
        return None
    dtype = x.dtype
    compute = x if dtype in (torch.float32, torch.float64) else x.float()
    gamma = variable_value(layer.gamma).to(compute.dtype) if layer.scale else None
    beta = variable_value(layer.beta).to(compute.dtype) if layer.center else None
    y = F.layer_norm(compute, (x.shape[-1],), gamma, beta, layer.epsilon)
    return y.to(dtype)


def uniform(shape, dtype="float32"):
    """Uniform [0, 1) noise from torch's global generator, on Keras' device."""
    from keras_electra.fast_paths import private_api

    return torch.rand(
        tuple(shape), dtype=private_api.to_torch_dtype(dtype), device=private_api.torch_device()
    )


def masked_attention(query, key, value, mask, scale, dropout_rate=0.0):
    """Scaled dot-product attention in Keras' `[batch, length, heads, dim]` layout.

    `mask` is a boolean `[batch, 1, 1 or length, length]` (True: attend) or
    None. Padding is an additive `-1e9` bias (`-3e4` in float16), and a query
    with no key to attend gets a zero context, as Keras' masked softmax gives.
    With `dropout_rate`, SDPA drops attention probabilities with torch's
    global generator (for an unseeded dropout layer, as Keras would).
    """
    query, key, value = (t.transpose(1, 2) for t in (query, key, value))
    bias = None
    if mask is not None:
        negative = -3e4 if query.dtype == torch.float16 else -1e9
        bias = torch.zeros(mask.shape, dtype=query.dtype, device=query.device)
        bias = bias.masked_fill(~mask, negative)
    context = F.scaled_dot_product_attention(
        query, key, value, attn_mask=bias, dropout_p=dropout_rate, scale=scale
    )
    if mask is not None:
        context = context * mask.any(dim=-1, keepdim=True).to(context.dtype)
    return context.transpose(1, 2)


KERNELS = {
    keras.layers.Dense: project,
    keras.layers.EinsumDense: project,
    keras.layers.LayerNormalization: layer_norm,
}
