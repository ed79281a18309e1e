"""Dense and EinsumDense layers as one matrix product: their weights and equations.

Shared by the backends' fused kernels (`torch_kernels`, `tensorflow_kernels`).
"""

import functools

import keras


def variable_value(variable):
    """The tensor of a Keras variable as its layer's `call` reads it
    (cast under an autocast scope); other tensors pass through."""
    return variable.value if isinstance(variable, keras.Variable) else variable


def kernel_value(layer):
    """The kernel a `Dense`/`EinsumDense` layer's `call` multiplies by.

    `layer.kernel` also handles quantization (never on the direct paths) and
    LoRA, at some host cost per call; without LoRA the stored kernel is it.
    """
    if layer.lora_enabled:
        return layer.kernel
    return variable_value(layer._kernel)


@functools.lru_cache(maxsize=None)
def contracted_axes(equation):
    """How many trailing input axes `equation` contracts, if it is a plain projection.

    A plain projection contracts the input's last `k` axes with the kernel's
    first `k` axes and keeps the other axes in order: the output is the
    input's leading axes followed by the kernel's trailing axes. Then
    `einsum(equation, x, kernel)` equals
    `reshape(x, [..., m]) @ reshape(kernel, [m, n])` reshaped back.

    Returns:
        `k`, or None for any other equation (ellipses, reordered or kept
        axes, repeated letters).

    Example:
    ```python
    contracted_axes("abc,cde->abde")  # 1: query/key/value projections
    contracted_axes("abcd,cde->abe")  # 2: attention output projection
    contracted_axes("abc,cd->dab")  # None
    ```
    """
    if "." in equation or "->" not in equation or "," not in equation:
        return None
    inputs, output = equation.split("->")
    source, kernel = inputs.split(",")
    if len(set(source)) != len(source) or len(set(kernel)) != len(kernel):
        return None
    k = len(set(source) & set(kernel))
    if k and source[-k:] == kernel[:k] and output == source[:-k] + kernel[k:]:
        return k
    return None
