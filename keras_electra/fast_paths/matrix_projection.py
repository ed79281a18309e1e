"""What the backends' fused kernels read off a layer: Dense and EinsumDense as one
matrix product (weights and equations), and whether a LayerNormalization is a plain
last-axis norm.

Shared by `torch_kernels` and `tensorflow_kernels`.
"""

import functools

import keras


def variable_value(variable):
    """The tensor of a Keras variable as its layer's `call` reads it
    (cast under an autocast scope); other tensors pass through."""
    return variable.value if isinstance(variable, keras.Variable) else variable


def normalizes_last_axis(layer, rank):
    """Whether `LayerNormalization` `layer` centres and scales only the last axis
    of a rank-`rank` input (no RMS scaling): the form the fused kernels compute."""
    axis = layer.axis
    axis = axis if isinstance(axis, int) else (axis[0] if len(axis) == 1 else None)
    return not layer.rms_scaling and rank is not None and axis in (-1, rank - 1)


def kernel_value(layer):
    """The kernel a `Dense`/`EinsumDense` layer's `call` multiplies by.

    `layer.kernel` also handles quantization (never on the direct paths) and
    LoRA, at some host cost per call; without LoRA the stored kernel is it.
    """
    if layer.lora_enabled:
        return layer.kernel
    return variable_value(layer._kernel)


def projection(layer):
    """A `Dense`/`EinsumDense` layer as one matrix product.

    Returns:
        `(contracted, kernel, bias)`: the layer's `call` contracts the input's
        last `contracted` axes with the kernel's first ones, and `bias` (or
        None) has the shape of the kernel's other axes. None for an
        `EinsumDense` whose equation is not a plain projection
        (`contracted_axes`) or whose bias lies over other axes.
    """
    contracted = 1
    if isinstance(layer, keras.layers.EinsumDense):
        contracted = contracted_axes(layer.equation)
        if contracted is None:
            return None
    kernel = kernel_value(layer)
    bias = None
    if layer.bias is not None:
        bias = variable_value(layer.bias)
        if tuple(bias.shape) != tuple(kernel.shape[contracted:]):
            return None  # a bias over other axes broadcasts differently
    return contracted, kernel, bias


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
