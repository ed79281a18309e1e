"""Per-device memory of ELECTRA under ModelParallel, from sharded variable sizes.

Assumptions (state them when quoting numbers):
- Training state per parameter: float32 weight (4 B) + float32 gradient
  (4 B) + Adam/AdamW first and second moments (8 B) = 16 B. Keras'
  `mixed_bfloat16` keeps variables and slots in float32, so this holds
  with bf16 compute too.
- Each variable is split as `electra_layout_rules` says; the rest
  (layer norms, output-projection biases, heads) is replicated. The data
  axis replicates weights, so only the model axis divides weight memory.
- Activations are approximated with Korthikanti et al. (2022), per layer:
  `s * b * h * (10 + 24 / t + 5 * a * s / (h * t))` bytes for 16-bit
  activations, doubled for float32 (t = model-axis size, no sequence
  parallelism, no rematerialization). Embedding/head activations and XLA
  temporaries are ignored; a 10% headroom is reserved for them.
- Pretraining adds the generator (embeddings tied to the discriminator) and
  approximate generator/discriminator heads, replicated.
"""

import numpy as np

from keras_electra.distribution.layout import layout_for_path
from keras_electra.distribution.layout import shard_shape
from keras_electra.models.backbone import backbone_variable_specs
from keras_electra.models.sizes import MODEL_SIZES
from keras_electra.models.sizes import ORIGINAL_MAX_SEQUENCE_LENGTH
from keras_electra.models.sizes import ORIGINAL_VOCABULARY_SIZE
from keras_electra.models.sizes import RELEASED_GENERATOR_SIZES

GB = 1e9

# Backbone sizes of the released checkpoints (google-research/electra).
ELECTRA_SIZES = {name: MODEL_SIZES[name].backbone_kwargs() for name in RELEASED_GENERATOR_SIZES}
GENERATOR_SIZES = {name: size.backbone_kwargs() for name, size in RELEASED_GENERATOR_SIZES.items()}
COMMON = dict(
    vocabulary_size=ORIGINAL_VOCABULARY_SIZE,
    max_sequence_length=ORIGINAL_MAX_SEQUENCE_LENGTH,
    num_segments=2,
)


def _config(size_or_config, sizes=ELECTRA_SIZES):
    if isinstance(size_or_config, str):
        if size_or_config not in sizes:
            raise ValueError(f"Unknown size {size_or_config!r}; expected one of {sorted(sizes)}.")
        return dict(COMMON, **sizes[size_or_config])
    config = dict(COMMON, **size_or_config)
    config.setdefault("embedding_dim", config["hidden_dim"])
    return config


def electra_variable_shapes(size_or_config, prefix="", include_embeddings=True):
    """`{variable path: shape}` of an ElectraBackbone, without building it.

    Paths and shapes come from the layers' published variables
    (`keras_electra.models.backbone.backbone_variable_specs`).

    Args:
        size_or_config: `"small"`, `"base"`, `"large"` or a dict of
            ElectraBackbone arguments.
        prefix: path prefix, e.g. `"discriminator/"`.
        include_embeddings: False for a backbone reusing another's tables.

    Example:
    ```python
    import numpy as np
    from keras_electra.distribution.memory import electra_variable_shapes

    shapes = electra_variable_shapes("large")
    sum(int(np.prod(s)) for s in shapes.values())  # 334092288
    ```
    """
    c = _config(size_or_config)
    specs = backbone_variable_specs(
        c["num_layers"], c["embedding_dim"] != c["hidden_dim"], include_embeddings
    )
    return {prefix + path: tuple(v.shape(c)) for _, path, v in specs}


def pretrainer_variable_shapes(size):
    """Discriminator + generator (tied embeddings) + approximate heads."""
    disc = _config(size)
    gen = _config(GENERATOR_SIZES[size])
    shapes = electra_variable_shapes(disc, prefix="discriminator/")
    shapes.update(electra_variable_shapes(gen, prefix="generator/", include_embeddings=False))
    # Heads (replicated): generator dense + LayerNorm + vocabulary bias;
    # discriminator dense + 1-unit output.
    shapes.update({
        "generator_head/dense/kernel": (gen["hidden_dim"], gen["embedding_dim"]),
        "generator_head/dense/bias": (gen["embedding_dim"],),
        "generator_head/layer_norm/gamma": (gen["embedding_dim"],),
        "generator_head/layer_norm/beta": (gen["embedding_dim"],),
        "generator_head/output_bias": (gen["vocabulary_size"],),
        "discriminator_head/dense/kernel": (disc["hidden_dim"], disc["hidden_dim"]),
        "discriminator_head/dense/bias": (disc["hidden_dim"],),
        "discriminator_head/output/kernel": (disc["hidden_dim"], 1),
        "discriminator_head/output/bias": (1,),
    })
    return shapes


def state_bytes_per_device(shapes, mesh_shape, bytes_per_param=16):
    """Bytes of weights + grads + Adam slots held by one device.

    Raises ValueError when a weight does not split evenly over the model axis.
    """
    mesh_sizes = {"batch": int(mesh_shape[0]), "model": int(mesh_shape[1])}
    total = 0
    for path, shape in shapes.items():
        total += int(np.prod(shard_shape(shape, layout_for_path(path), mesh_sizes), dtype=np.int64))
    return total * bytes_per_param


def activation_bytes_per_example(size_or_config, model_shards, sequence_length=512, activation_bytes=2):
    """Approximate activation memory of one example on one device (see module notes)."""
    c = _config(size_or_config)
    s, h, a, t = sequence_length, c["hidden_dim"], c["num_heads"], model_shards
    per_layer_16bit = s * h * (10 + 24 / t + 5 * a * s / (h * t))
    return per_layer_16bit * c["num_layers"] * activation_bytes / 2


def estimate_memory(size, mesh_shape, task="finetune", sequence_length=512,
                    activation_bytes=2, device_memory=16 * GB, headroom=0.1):
    """Memory per device for ELECTRA `size` on `mesh_shape = (data, model)`.

    Args:
        size: "small", "base" or "large".
        mesh_shape: `(data, model)`.
        task: "finetune" (the discriminator backbone) or "pretrain"
            (generator + discriminator).
        sequence_length: tokens per example, for the activation estimate.
        activation_bytes: 2 for bf16/float16 activations, 4 for float32.
        device_memory: bytes per accelerator (16 GB by default).
        headroom: fraction of `device_memory` kept free for temporaries.

    Returns:
        dict with `params`, `state_gb` (weights + grads + Adam per device),
        `activation_gb_per_example`, `max_batch_per_device` (examples that fit
        beside the state; 0 if the state alone does not fit) and
        `max_params_fitting` (largest ELECTRA-shaped model whose training state
        fits, activations excluded), or `error` when the mesh does not divide
        the model.

    Example:
    ```python
    from keras_electra.distribution.memory import estimate_memory

    estimate_memory("large", (2, 4))["state_gb"]  # about 1.36
    ```
    """
    shapes = (electra_variable_shapes(size) if task == "finetune" else pretrainer_variable_shapes(size))
    params = sum(int(np.prod(s)) for s in shapes.values())
    result = dict(size=size, task=task, mesh_shape=tuple(mesh_shape), params=params)
    try:
        state = state_bytes_per_device(shapes, mesh_shape)
    except ValueError as error:
        result["error"] = str(error)
        return result
    act = activation_bytes_per_example(size, mesh_shape[1], sequence_length, activation_bytes)
    if task == "pretrain":
        act += activation_bytes_per_example(GENERATOR_SIZES[size], mesh_shape[1], sequence_length, activation_bytes)
    usable = device_memory * (1 - headroom)
    result.update(
        state_gb=state / GB,
        activation_gb_per_example=act / GB,
        max_batch_per_device=max(0, int((usable - state) // act)),
        max_params_fitting=int(usable / (state / params)),
    )
    return result
