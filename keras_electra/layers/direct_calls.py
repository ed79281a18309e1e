"""When a layer may run its sublayers' `call` directly instead of `__call__`.

A Keras `__call__` binds arguments, converts dtypes, propagates masks, opens
name scopes and may re-layout the output. On the torch backend, which runs
eagerly, that host work costs more than the arithmetic of a small layer, so
ELECTRA's layers call their sublayers' `call` where nothing of it is needed.
Compiled backends trace either way once.
"""

import keras


def can_call_directly(*layers):
    """True when `layer.call(...)` does what `layer(...)` would for each layer.

    That needs, for every layer: no quantization, no rematerialization and no
    activity regularizer (all handled in `__call__`), and no active
    distribution that may re-layout layer outputs (any other than
    `keras.distribution.DataParallel`).
    """
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

