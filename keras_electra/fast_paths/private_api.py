"""Every private Keras and keras-hub symbol keras-electra relies on, in one list.

The fast paths (lean functional calls, fused kernels, the torch foreach optimizer path,
the torch parameter and TensorFlow sparse-gradient workarounds) and a few preset helpers
use names that Keras and keras-hub do not promise to keep. They are listed
here so that an upgrade is checked in one place: `missing()` imports every module symbol
and builds small objects to look up every private attribute. `pyproject.toml` bounds
`keras` and `keras-hub` below their next minor release, and
`tests/utils/test_private_api.py` runs `missing()` on every backend.
"""

import importlib

# The module symbols the fast paths import. Missing ones switch the fast paths off
# (`keras_electra.config`) instead of breaking `import keras_electra`.
try:
    from keras.src.backend import get_autocast_scope
    from keras.src.backend import get_keras_mask
    from keras.src.backend import is_float_dtype
    from keras.src.models.functional import operation_fn
    from keras.src.models.functional import unpack_singleton
    from keras_hub.src.layers.modeling.transformer_layer_utils import (
        merge_padding_and_attention_mask,
    )

    MODULES_AVAILABLE, IMPORT_ERROR = True, None
except ImportError as error:  # pragma: no cover - only with an unsupported Keras
    MODULES_AVAILABLE, IMPORT_ERROR = False, str(error)
    get_autocast_scope = get_keras_mask = is_float_dtype = None
    operation_fn = unpack_singleton = merge_padding_and_attention_mask = None


def in_symbolic_scope():
    """Keras' `in_symbolic_scope()` (torch traces shapes with placeholder tensors)."""
    try:
        from keras.src.backend.common.symbolic_scope import in_symbolic_scope as scope
    except ImportError:  # a Keras without it traces with KerasTensors only
        return False
    return scope()


def torch_device():
    """Keras' current torch device."""
    from keras.src.backend.torch.core import get_device

    return get_device()


def to_torch_dtype(dtype):
    """Keras' mapping of a dtype name to a torch dtype."""
    from keras.src.backend.torch.core import to_torch_dtype as convert

    return convert(dtype)


def is_detached(variable):
    """Whether Keras' JAX trainer has detached `variable`'s value (`_value is None`)."""
    return getattr(variable, "_value", 0) is None


def keras_hub_get_file(preset, path):
    """keras-hub's preset file download (`preset_utils.get_file`)."""
    from keras_hub.src.utils.preset_utils import get_file

    return get_file(preset, path)


def convert_preprocessing_outputs(outputs):
    """keras-hub's conversion of a preprocessing layer's host outputs to backend
    tensors (numpy inside a Grain pipeline), as its own Python paths return them."""
    from keras_hub.src.utils.tensor_utils import convert_preprocessing_outputs_python

    return convert_preprocessing_outputs_python(outputs)


def flatten_layers(layer):
    """`layer` and every layer inside it (`Layer._flatten_layers`, as keras-hub's
    `Task.save_task_weights` uses to leave the backbone out)."""
    return list(layer._flatten_layers())


# Private modules and the names imported from them.
MODULE_SYMBOLS = {
    "keras.src.backend": ("get_autocast_scope", "get_keras_mask", "is_float_dtype"),
    "keras.src.models.functional": ("operation_fn", "unpack_singleton"),
    "keras.src.backend.common.symbolic_scope": ("in_symbolic_scope",),
    "keras_hub.src.layers.modeling.transformer_layer_utils": (
        "merge_padding_and_attention_mask",
    ),
    "keras_hub.src.utils.preset_utils": ("get_file", "check_config_class", "load_json"),
    "keras_hub.src.utils.tensor_utils": ("convert_preprocessing_outputs_python",),
}
TORCH_MODULE_SYMBOLS = {
    "keras.src.backend.torch.core": ("get_device", "to_torch_dtype"),
}

# Private attributes read (or, for `_track_variables`, overridden) on Keras objects.
MULTI_HEAD_ATTENTION_ATTRIBUTES = (
    "_query_dense", "_key_dense", "_value_dense", "_output_dense", "_dropout_layer",
    "_softmax", "_dropout", "_inverse_sqrt_key_dim", "_flash_attention",
    "_dot_product_equation", "_combine_equation",
)
TRANSFORMER_ENCODER_ATTRIBUTES = (
    "_self_attention_layer", "_self_attention_layer_norm", "_self_attention_dropout",
    "_feedforward_intermediate_dense", "_feedforward_output_dense",
    "_feedforward_layer_norm", "_feedforward_dropout",
)
FUNCTIONAL_ATTRIBUTES = (
    "_nodes_by_depth", "_inputs_struct", "_outputs_struct", "_standardize_inputs",
    "_get_operation_for_node",
)
NODE_ARGUMENTS_ATTRIBUTES = ("_single_positional_tensor",)
OPERATION_ATTRIBUTES = ("_call_has_training_arg",)
DENSE_ATTRIBUTES = ("_kernel",)
LAYER_ATTRIBUTES = ("_flatten_layers",)
SEED_GENERATOR_ATTRIBUTES = ("_initial_seed",)
VARIABLE_ATTRIBUTES = ("_value",)
ADAM_ATTRIBUTES = ("_momentums", "_velocities", "_get_variable_index")
AMSGRAD_ATTRIBUTES = ("_velocity_hats",)
OPTIMIZER_ATTRIBUTES = (
    "_variables", "_trainable_variables", "_backend_update_step", "_clip_gradients",
)
# keras-hub `MultiSegmentPacker` hooks `ElectraPacker` overrides for "longest_first".
PACKER_METHODS = ("_trim_inputs_tf", "_trim_inputs_python")
# torch backend only:
MODEL_METHODS = ("_track_variables", "_post_track_variable", "_post_untrack_variable")


def _missing_symbols(table):
    missing = []
    for module_name, names in table.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.extend(f"{module_name}.{name}" for name in names)
            continue
        missing.extend(f"{module_name}.{name}" for name in names if not hasattr(module, name))
    return missing


def _missing_attributes(obj, names, label):
    return [f"{label}.{name}" for name in names if not hasattr(obj, name)]


def missing():
    """Names of the listed private symbols the installed Keras / keras-hub lack.

    Returns:
        A list of dotted names; empty when every private symbol is present.

    Example:

    >>> from keras_electra.fast_paths import private_api
    >>> private_api.missing()
    []
    """
    import keras
    import keras_hub

    gone = _missing_symbols(MODULE_SYMBOLS)
    if keras.config.backend() == "torch":
        gone += _missing_symbols(TORCH_MODULE_SYMBOLS)

    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    attention(keras.ops.zeros((1, 3, 8)), keras.ops.zeros((1, 3, 8)))
    gone += _missing_attributes(attention, MULTI_HEAD_ATTENTION_ATTRIBUTES, "MultiHeadAttention")

    encoder = keras_hub.layers.TransformerEncoder(intermediate_dim=8, num_heads=2)
    encoder.build((1, 3, 8))
    gone += _missing_attributes(encoder, TRANSFORMER_ENCODER_ATTRIBUTES, "TransformerEncoder")

    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2)
    model = keras.Model(inputs, dense(inputs))
    gone += _missing_attributes(model, FUNCTIONAL_ATTRIBUTES, "Functional")
    if keras.config.backend() == "torch":
        gone += _missing_attributes(model, MODEL_METHODS, "Model")
    gone += _missing_attributes(dense, DENSE_ATTRIBUTES, "Dense")
    gone += _missing_attributes(dense, LAYER_ATTRIBUTES, "Layer")
    gone += _missing_attributes(dense, OPERATION_ATTRIBUTES, "Operation")
    node = model._nodes_by_depth[0][0] if hasattr(model, "_nodes_by_depth") else None
    if node is not None:
        gone += _missing_attributes(node.arguments, NODE_ARGUMENTS_ATTRIBUTES, "Node.arguments")

    packer = keras_hub.layers.MultiSegmentPacker(sequence_length=4, start_value=1, end_value=2)
    gone += _missing_attributes(packer, PACKER_METHODS, "MultiSegmentPacker")
    gone += _missing_attributes(keras.random.SeedGenerator(), SEED_GENERATOR_ATTRIBUTES, "SeedGenerator")
    gone += _missing_attributes(dense.kernel, VARIABLE_ATTRIBUTES, "Variable")
    adam = keras.optimizers.AdamW(amsgrad=True)
    adam.build([dense.kernel])
    gone += _missing_attributes(adam, ADAM_ATTRIBUTES + AMSGRAD_ATTRIBUTES, "AdamW")
    gone += _missing_attributes(adam, OPTIMIZER_ATTRIBUTES, "Optimizer")

    return gone
