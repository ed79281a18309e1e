"""When a layer may run its sublayers' `call` directly instead of `__call__`.

A Keras `__call__` binds arguments, converts dtypes, propagates masks, opens
name scopes and may re-layout the output. On the torch backend, which runs
eagerly, that host work costs more than the arithmetic of a small layer, so
ELECTRA's layers call their sublayers' `call` where nothing of it is needed.
Compiled backends trace either way once.
"""

import keras

from keras_electra.fast_paths.switch import fast_paths_enabled
from keras_electra.fast_paths.dropout import apply_dropout


def can_call_directly(*layers):
    """True when `layer.call(...)` does what `layer(...)` would for each layer.

    That needs, for every layer: no quantization, no rematerialization and no
    activity regularizer (all handled in `__call__`), and no active
    distribution that may re-layout layer outputs (any other than
    `keras.distribution.DataParallel`). Always False while
    `keras_electra.config.set_fast_paths(False)` is in effect.
    """
    if not fast_paths_enabled():
        return False
    for layer in layers:
        if layer.dtype_policy.quantization_mode is not None:
            return False
        if getattr(layer, "_remat_mode", None) is not None:
            return False
        if getattr(layer, "activity_regularizer", None) is not None:
            return False
    distribution = keras.distribution.distribution()
    return distribution is None or isinstance(
        distribution, keras.distribution.DataParallel
    )


def call_directly(layer, *args, **kwargs):
    """What `layer.call(*args, **kwargs)` returns, by the cheapest exact route.

    For a layer that passes `can_call_directly` and has its inputs in its
    compute dtype. A `keras.layers.Dropout` draws its mask with
    `apply_dropout`. On torch, `Dense`, `EinsumDense` and
    `LayerNormalization` run as fused torch kernels (`torch_kernels`); on
    TensorFlow, `Dense` and `EinsumDense` run as `MatMul` + `BiasAdd`, which
    grappler fuses (`tensorflow_kernels`); on jax, those with Keras' exact
    GELU compute it with `erf` rather than `erfc` (`jax_kernels`). Only these
    exact classes, not subclasses, whose `call` may differ. Anything else runs
    `layer.call`.
    """
    kind = type(layer)
    if kind is keras.layers.Dropout and len(args) == 1:
        return apply_dropout(layer, args[0], kwargs.get("training"))
    kernels = _fused_kernels()
    if kernels and len(args) == 1 and set(kwargs) <= {"training"}:
        kernel = kernels.get(kind)
        if kernel is not None:
            outputs = kernel(layer, args[0])
            if outputs is not None:
                return outputs
    return layer.call(*args, **kwargs)


def _fused_kernels():
    """{layer class: fused kernel} of the current backend (see `call_directly`)."""
    backend = keras.config.backend()
    if backend == "torch":
        from keras_electra.fast_paths.torch_kernels import KERNELS

        return KERNELS
    if backend == "tensorflow":
        from keras_electra.fast_paths.tensorflow_kernels import KERNELS

        return KERNELS
    if backend == "jax":
        from keras_electra.fast_paths.jax_kernels import KERNELS

        return KERNELS
    return None
