"""DirectFunctional: a functional model that runs its graph with fewer Keras calls."""

import keras
from keras_electra.fast_paths.private_api import get_autocast_scope
from keras_electra.fast_paths.private_api import get_keras_mask
from keras_electra.fast_paths.private_api import is_float_dtype
from keras_electra.fast_paths.private_api import operation_fn as keras_operation_fn
from keras_electra.fast_paths.private_api import unpack_singleton

from keras_electra.fast_paths.direct_calls import call_directly
from keras_electra.fast_paths.direct_calls import can_call_directly


class DirectFunctional:
    """Mixin for functional models (backbones, tasks): lean eager execution.

    `keras.Model`'s functional `call` runs every node through the layer's
    `__call__` and maps nested structures at every node. This runs the same
    nodes in the same order with the same arguments, but calls a layer's
    `call` directly where `__call__` would do nothing more: the layer passes
    `direct_calls.can_call_directly`, its inputs carry no Keras mask, its
    float inputs are already in its compute dtype, and it would keep the
    current autocast scope. Other nodes, symbolic inputs and calls with
    masks take Keras' own path. On torch, which executes eagerly, this
    removes most of the per-layer host overhead; on jax and TensorFlow it
    only shortens tracing.

    Put it before the Keras base class:
    `class ElectraTextClassifier(DirectFunctional, TextClassifier)`.
    """

    def call(self, inputs, training=None, mask=None, **kwargs):
        has_mask = any(m is not None for m in _leaves(mask))
        symbolic = any(isinstance(x, keras.KerasTensor) for x in _leaves(inputs))
        if has_mask or kwargs or symbolic or not can_call_directly():
            return super().call(inputs, training=training, mask=mask, **kwargs)
        values = self._input_values(inputs)
        for operation, node in self._direct_plan():
            args, kwargs = _fill_in(node, values)
            outputs = _direct_call(operation, training, args, kwargs)
            if len(node.outputs) == 1 and keras.ops.is_tensor(outputs):
                values[id(node.outputs[0])] = outputs
            else:
                for spec, x in zip(node.outputs, keras.tree.flatten(outputs)):
                    values[id(spec)] = x
        outputs = [values[id(spec)] for spec in self.outputs]
        return unpack_singleton(keras.tree.pack_sequence_as(self._outputs_struct, outputs))

    def _input_values(self, inputs):
        """{id(input spec): tensor}, as `Functional._standardize_inputs` gives."""
        struct = self._inputs_struct
        if isinstance(inputs, dict) and isinstance(struct, dict) and inputs.keys() == struct.keys():
            values = {}
            for name, spec in struct.items():
                x = inputs[name]
                if not (
                    keras.ops.is_tensor(x)
                    and len(x.shape) == len(spec.shape)
                    and _standard_dtype(x.dtype) == spec.dtype
                    and not spec.sparse
                ):
                    break  # needs conversion: Keras' own path
                values[id(spec)] = x
            else:
                return values
        flat_inputs = self._standardize_inputs(inputs)
        return {id(spec): x for spec, x in zip(self.inputs, flat_inputs)}

    def _direct_plan(self):
        """The graph's (operation, node) pairs in execution order, cached."""
        plan = self.__dict__.get("_direct_functional_plan")
        if plan is None:
            plan = []
            for depth in sorted(self._nodes_by_depth, reverse=True):
                for node in self._nodes_by_depth[depth]:
                    if node.operation and not node.is_input:
                        plan.append((self._get_operation_for_node(node), node))
            # Not a tracked attribute: Keras must not see a list of layers.
            self.__dict__["_direct_functional_plan"] = plan
        return plan


def _fill_in(node, values):
    """`node.arguments.fill_in(values)` without tree maps for flat arguments."""
    arguments = node.arguments
    if arguments._single_positional_tensor is not None:
        return (values[id(arguments._single_positional_tensor)],), {}
    if not _is_flat(arguments.args) or not _is_flat(arguments.kwargs.values()):
        return arguments.fill_in(values)
    args = tuple(_value(x, values) for x in arguments.args)
    kwargs = {k: _value(x, values) for k, x in arguments.kwargs.items()}
    return args, kwargs


def _is_flat(items):
    return not any(isinstance(x, (list, tuple, dict)) for x in items)


def _value(x, values):
    return values.get(id(x)) if isinstance(x, keras.KerasTensor) else x


def _direct_call(operation, training, args, kwargs):
    if (
        isinstance(operation, keras.layers.Layer)
        and operation.built
        and can_call_directly(operation)
        and _keeps_autocast_scope(operation)
        and _inputs_ready(operation, args, kwargs)
    ):
        if training is not None and operation._call_has_training_arg:
            kwargs["training"] = training
        return call_directly(operation, *args, **kwargs)
    return keras_operation_fn(operation, training=training)(*args, **kwargs)


def _keeps_autocast_scope(layer):
    """Whether `layer.__call__` would leave the autocast scope as it is."""
    scope = get_autocast_scope()
    if scope is None:
        return layer.compute_dtype == layer.variable_dtype
    return (
        layer.autocast
        and is_float_dtype(layer.compute_dtype)
        and scope.dtype == layer.compute_dtype
    )


def _inputs_ready(layer, args, kwargs):
    """Tensors only, no Keras masks, floats already in the compute dtype."""
    for x in _leaves((args, kwargs)):
        if x is None or isinstance(x, (bool, int, float, str)):
            continue
        if not keras.ops.is_tensor(x):
            return False  # e.g. numpy, which `__call__` would convert
        if get_keras_mask(x) is not None:
            return False
        dtype = _standard_dtype(x.dtype)
        if is_float_dtype(dtype) and dtype != layer.compute_dtype:
            return False
    return True


def _leaves(structure):
    if isinstance(structure, (list, tuple)):
        for item in structure:
            yield from _leaves(item)
    elif isinstance(structure, dict):
        for item in structure.values():
            yield from _leaves(item)
    else:
        yield structure


_DTYPES = {}


def _standard_dtype(dtype):
    name = _DTYPES.get(dtype)
    if name is None:
        name = _DTYPES[dtype] = keras.backend.standardize_dtype(dtype)
    return name
