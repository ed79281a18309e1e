"""Sharding rules for keras-electra's weights over a model-parallel mesh axis.

Megatron-style tensor parallelism expressed as `keras.distribution.LayoutMap`
rules: attention is split over heads, the feed-forward block over its inner
width, and the embedding tables over their hidden (embedding) dimension. The
hidden dimension is used for the tables because vocabulary sizes such as
ELECTRA's 30522 do not divide evenly over 4 or 8 devices, and JAX requires
even shards. Every rule matches a backbone variable path with or without a
prefix (`generator/...`, `discriminator/...`, any parent model), so the same
map serves a bare backbone, a task model and a pretrainer. Variables that no
rule matches (layer norms, heads, biases of output projections) are
replicated.
"""

import re

import numpy as np

from keras_electra.models.backbone import BACKBONE_PARTS

# Any (possibly empty) chain of parent scopes before a backbone path.
_PREFIX = r"(?:.*/)?"


def _layout_rules():
    """`(path regex without prefix, axes)` of every sharded backbone variable.

    Read from the layers' published variables (`BACKBONE_PARTS`): each
    `CanonicalVariable` with a `layout` gives one rule, `{i}` matching any
    Transformer layer index.
    """
    rules = []
    for _, path_scope, variables in BACKBONE_PARTS:
        scope = re.escape(path_scope).replace(re.escape("{i}"), r"\d+")
        for v in variables:
            if v.layout is not None:
                rules.append((scope + re.escape(v.path), v.layout))
    return tuple(rules)


# (path regex without prefix, axes). "model" is replaced by the model axis name.
ELECTRA_LAYOUT_RULES = _layout_rules()


def electra_layout_rules(model_axis="model"):
    """The sharding rules as `{full-path regex: axes tuple}`.

    Args:
        model_axis: name of the mesh axis that weights are split over.

    Returns:
        dict mapping a regex (matched with `re.fullmatch` against
        `variable.path`, as `keras.distribution.LayoutMap` does) to a tuple
        of mesh-axis names or `None` per variable dimension.

    Example:
    ```python
    from keras_electra.distribution import electra_layout_rules

    rules = electra_layout_rules()
    [axes for key, axes in rules.items() if "query/kernel" in key]  # [(None, 'model', None)]
    ```
    """
    return {
        _PREFIX + pattern: tuple(model_axis if a == "model" else a for a in axes)
        for pattern, axes in ELECTRA_LAYOUT_RULES
    }


def layout_for_path(path, model_axis="model"):
    """The axes tuple a variable path gets, or `None` when it is replicated.

    Example:
    ```python
    from keras_electra.distribution import layout_for_path

    layout_for_path("discriminator/transformer_layer_3/feedforward_output_dense/kernel")
    # ('model', None)
    layout_for_path("classifier/kernel")  # None
    ```
    """
    matches = [
        axes
        for pattern, axes in electra_layout_rules(model_axis).items()
        if re.fullmatch(pattern, path)
    ]
    if len(matches) > 1:
        raise ValueError(f"Variable path {path!r} matches several layout rules.")
    return matches[0] if matches else None


def electra_layout_map(device_mesh, model_axis="model"):
    """A `keras.distribution.LayoutMap` sharding ELECTRA weights on `model_axis`.

    Args:
        device_mesh: `keras.distribution.DeviceMesh` holding `model_axis`.
        model_axis: name of the mesh axis that weights are split over.

    Example:
    ```python
    import keras
    from keras_electra.distribution import electra_layout_map

    mesh = keras.distribution.DeviceMesh(
        (1, len(keras.distribution.list_devices())), ("batch", "model"),
        keras.distribution.list_devices(),
    )
    layout_map = electra_layout_map(mesh)
    ```
    """
    import keras

    if model_axis not in device_mesh.axis_names:
        raise ValueError(
            f"The device mesh has axes {device_mesh.axis_names}; it needs the "
            f"model axis {model_axis!r}."
        )
    layout_map = keras.distribution.LayoutMap(device_mesh)
    for pattern, axes in electra_layout_rules(model_axis).items():
        layout_map[pattern] = axes
    return layout_map


def shard_shape(shape, axes, mesh_sizes):
    """Per-device shape of a variable of `shape` laid out as `axes`.

    Args:
        shape: the variable's global shape.
        axes: tuple of mesh-axis names or `None` (replicated), or `None`.
        mesh_sizes: dict mapping each mesh axis name to its size.

    Raises:
        ValueError: when a sharded dimension does not divide evenly (JAX
            needs even shards).
    """
    if axes is None:
        return tuple(shape)
    if len(axes) != len(shape):
        raise ValueError(f"Layout {axes} does not fit a variable of shape {tuple(shape)}.")
    out = []
    for dim, axis in zip(shape, axes):
        size = 1 if axis is None else mesh_sizes[axis]
        if dim % size:
            raise ValueError(
                f"Dimension {dim} of shape {tuple(shape)} does not divide over "
                f"mesh axis {axis!r} of size {size}."
            )
        out.append(dim // size)
    return tuple(out)


def check_model_parallel(variables, mesh_shape, model_axis="model"):
    """Raises a clear ValueError when a weight cannot be split evenly.

    Call it before building a model under `model_parallel(mesh_shape)`; JAX's
    own error comes later and does not name the layer.

    Args:
        variables: a Keras model/layer, a list of variables, or a dict
            `{path: shape}` (see `electra_variable_shapes`).
        mesh_shape: `(data, model)`.

    Example:
    ```python
    from keras_electra.distribution import check_model_parallel
    from keras_electra.distribution.memory import electra_variable_shapes

    shapes = electra_variable_shapes("base")
    check_model_parallel(shapes, (1, 4))  # fine: 12 heads split 4 ways
    ```
    """
    if hasattr(variables, "weights"):
        variables = variables.weights
    if not isinstance(variables, dict):
        variables = {v.path: tuple(v.shape) for v in variables}
    mesh_sizes = {"batch": int(mesh_shape[0]), model_axis: int(mesh_shape[1])}
    for path, shape in variables.items():
        try:
            shard_shape(shape, layout_for_path(path, model_axis), mesh_sizes)
        except ValueError as error:
            raise ValueError(
                f"Cannot shard {path!r} over mesh {tuple(mesh_shape)}: {error} "
                "Pick a model-axis size that divides the number of heads and "
                "the hidden and intermediate widths."
            ) from None
    return True


def sharded_num_elements(shape, axes, mesh_sizes):
    """Number of elements of one device's shard."""
    return int(np.prod(shard_shape(shape, axes, mesh_sizes), dtype=np.int64))
