"""Fused TensorFlow forms of the projection and LayerNorm layers, for the tensorflow
backend only.

Keras' `Dense`/`EinsumDense` on TensorFlow multiply a 3-D input with a
batched matmul (`BatchMatMulV2`, or `Einsum`) and then add the bias with
`AddV2`. Grappler fuses `MatMul` + `BiasAdd` (+ activation) into one
`_FusedMatMul` on CPU (oneDNN) and GPU, but not those ops. These functions
compute the same product as a 2-D `MatMul` with `BiasAdd`: on a CPU graph
without XLA the tiny model's forward pass went from 2.85 to 2.45 ms. Under
XLA both forms compile to the same code.

Keras' `LayerNormalization` on TensorFlow is a chain of separate ops (two
means, a rsqrt, scale and shift), 3.3 ms for a [2048, 256] input on 2 CPU
cores against 0.35 ms for torch's fused kernel. `layer_norm` runs it as
one `FusedBatchNormV3` over the rows, as tf.keras 2's LayerNormalization did.

The kernels return None where they would not be exact (other equations, mixed
dtypes, a bias over other axes, other axes or dtypes for LayerNorm, an
epsilon that cuDNN would raise), and the caller then uses `layer.call`. Only
`direct_calls.call_directly` uses this module, and only when
`keras.config.backend() == "tensorflow"`.
"""

import math

import keras
import tensorflow as tf

from keras_electra.fast_paths.matrix_projection import normalizes_last_axis
from keras_electra.fast_paths.matrix_projection import projection
from keras_electra.fast_paths.matrix_projection import variable_value

# cuDNN's batch norm raises a smaller epsilon to this (tf.keras 2 fell back too).
_CUDNN_MIN_EPSILON = 1.001e-5


def _leading_shape(x, trailing):
    """x's shape without its last `trailing` axes: static where known."""
    static = x.shape[: x.shape.rank - trailing]
    if static.is_fully_defined():
        return static.as_list()
    dynamic = tf.shape(x)
    return [d if d is not None else dynamic[i] for i, d in enumerate(static.as_list())]


def project(layer, x):
    """`Dense.call(x)` / `EinsumDense.call(x)` as `MatMul` + `BiasAdd`; None if not exact."""
    weights = projection(layer)
    if weights is None or x.shape.rank is None or x.dtype != weights[1].dtype:
        return None
    contracted, kernel, bias = weights
    outer = kernel.shape[contracted:].as_list()
    features = math.prod(kernel.shape[:contracted].as_list())
    leading = _leading_shape(x, contracted)
    y = tf.matmul(tf.reshape(x, [-1, features]), tf.reshape(kernel, [features, -1]))
    if bias is not None:
        y = tf.nn.bias_add(y, tf.reshape(bias, [-1]))
    if layer.activation is not None:
        y = layer.activation(y)
    if len(leading) == 1 and len(outer) == 1:
        return y
    return tf.reshape(y, tf.stack(leading + outer) if _has_tensor(leading) else leading + outer)


def layer_norm(layer, x):
    """`LayerNormalization.call(x)` as one `FusedBatchNormV3`; None if not exact.

    The input is viewed as `[1, rows, features, 1]` in NCHW, so the batch norm's
    per-channel statistics are each row's mean and (biased) variance; `gamma`
    and `beta` then scale and shift. float32 only; a GPU is avoided below
    cuDNN's smallest epsilon (ELECTRA's is 1e-12).
    """
    if not normalizes_last_axis(layer, x.shape.rank) or x.dtype != tf.float32:
        return None
    features = x.shape[-1]
    if features is None or (layer.epsilon < _CUDNN_MIN_EPSILON and _has_gpu()):
        return None
    rows = tf.reshape(x, [1, -1, features, 1])
    count = tf.shape(rows)[1:2]
    y, _, _ = tf.compat.v1.nn.fused_batch_norm(
        rows, scale=tf.ones(count), offset=tf.zeros(count), epsilon=layer.epsilon,
        data_format="NCHW",
    )
    y = tf.reshape(y, tf.shape(x))
    y.set_shape(x.shape)
    if layer.scale:
        y = y * variable_value(layer.gamma)
    if layer.center:
        y = y + variable_value(layer.beta)
    return y


def _has_gpu():
    return bool(tf.config.list_logical_devices("GPU"))


def _has_tensor(dims):
    return any(isinstance(d, tf.Tensor) for d in dims)


KERNELS = {
    keras.layers.Dense: project,
    keras.layers.EinsumDense: project,
    keras.layers.LayerNormalization: layer_norm,
}
