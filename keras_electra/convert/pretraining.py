"""Pretraining heads and the full `ElectraPretrainer`, to and from checkpoints.

The heads use the canonical (original TF1) names of
`keras_electra.convert.weights`, in Keras layout (dense kernels `[in, out]`):

- `discriminator_predictions/{dense,dense_1}/{kernel,bias}`: the replaced
  token detection head, `ElectraDiscriminatorHead` (`dense`, `dense_prediction`);
- `generator_predictions/{dense/kernel,dense/bias,LayerNorm/gamma,
  LayerNorm/beta,output_bias}`: the masked-LM head, `ElectraMaskedLMHead`,
  whose output matrix is tied to the token embeddings.

A converted discriminator is a backbone preset with its RTD head saved
alongside as `discriminator_head.safetensors` (so the directory is still an
ordinary backbone preset for fine-tuning); `load_discriminator_head` reads it.
A converted generator is an `ElectraMaskedLM` task preset. A full pretrainer
is `pretrainer.json` (its Keras config) plus `pretrainer.weights.h5`.
"""

import json
import logging
import os

import numpy as np

from keras_electra.utils.safetensors_io import read_safetensors
from keras_electra.utils.safetensors_io import write_safetensors
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import check_finite
from keras_electra.convert.weights import check_names

logger = logging.getLogger("keras_electra.convert")

DISCRIMINATOR_HEAD_FILE = "discriminator_head.safetensors"
PRETRAINER_CONFIG_FILE = "pretrainer.json"
PRETRAINER_WEIGHTS_FILE = "pretrainer.weights.h5"


# Head scope -> canonical name -> attribute chain from the head layer to the
# variable. The masked-LM head's tied token table is the backbone's, not listed.
HEAD_VARIABLES = {
    "discriminator_predictions": {
        "dense/kernel": ("dense", "kernel"),
        "dense/bias": ("dense", "bias"),
        "dense_1/kernel": ("dense_prediction", "kernel"),
        "dense_1/bias": ("dense_prediction", "bias"),
    },
    "generator_predictions": {
        "dense/kernel": ("dense", "kernel"),
        "dense/bias": ("dense", "bias"),
        "LayerNorm/gamma": ("layer_norm", "gamma"),
        "LayerNorm/beta": ("layer_norm", "beta"),
        "output_bias": ("output_bias",),
    },
}


def head_variables(head):
    """Canonical name -> variable of an `ElectraDiscriminatorHead` or `ElectraMaskedLMHead`."""
    from keras_electra.layers.heads import ElectraDiscriminatorHead

    scope = (
        "discriminator_predictions" if isinstance(head, ElectraDiscriminatorHead)
        else "generator_predictions"
    )
    table = {}
    for name, attributes in HEAD_VARIABLES[scope].items():
        variable = head
        for attribute in attributes:
            variable = getattr(variable, attribute)
        table[f"{scope}/{name}"] = variable
    return table


def set_head_weights(head, weights, source="The checkpoint"):
    """Assigns canonical head weights to a built head layer, strictly.

    Every name must be present, no other may be, shapes must match; errors
    list the names. Returns the names assigned.
    """
    table = head_variables(head)
    check_names(list(table), weights, f"{source} ({head.name} head)")
    check_finite({name: weights[name] for name in table}, f"{source} ({head.name} head)")
    mismatched = [
        f"{name} (checkpoint {np.shape(weights[name])}, model {tuple(v.shape)})"
        for name, v in table.items()
        if tuple(np.shape(weights[name])) != tuple(v.shape)
    ]
    if mismatched:
        raise ConversionError(f"{source} has head shape mismatches: {', '.join(mismatched)}.")
    for name, variable in table.items():
        variable.assign(np.asarray(weights[name]).astype(variable.dtype))
    written = {id(v) for v in table.values()}
    left = [v.path for v in head.weights if id(v) not in written and v is not _tied_table(head)]
    if left:
        raise ConversionError(f"{source} left head variables at their initial values: {', '.join(left)}.")
    return list(table)


def _tied_table(head):
    embedding = getattr(head, "token_embedding", None)
    return getattr(embedding, "embeddings", None)


def get_head_weights(head):
    """A head's weights as canonical numpy arrays."""
    import keras

    return {
        name: keras.ops.convert_to_numpy(v).astype("float32")
        for name, v in head_variables(head).items()
    }


def build_discriminator_head(backbone):
    """A built `ElectraDiscriminatorHead` sized for `backbone`."""
    from keras_electra.layers.heads import ElectraDiscriminatorHead

    head = ElectraDiscriminatorHead(
        backbone.hidden_dim,
        initializer_range=backbone.initializer_range,
        dtype=backbone.dtype_policy,
        name="discriminator_predictions",
    )
    head.build((None, None, backbone.hidden_dim))
    return head


def save_discriminator_head(head, preset):
    """Writes the RTD head next to a backbone preset (`discriminator_head.safetensors`)."""
    os.makedirs(preset, exist_ok=True)
    path = os.path.join(preset, DISCRIMINATOR_HEAD_FILE)
    write_safetensors(path, get_head_weights(head), metadata={"format": "keras_electra"})
    logger.info("Wrote the discriminator (RTD) head to %s", path)
    return path


def load_discriminator_head(preset, backbone=None):
    """Reads the RTD head saved alongside a discriminator preset.

    Args:
        preset: a preset directory written by the converters (or by
            `save_discriminator_head`).
        backbone: the discriminator, to size the head; loaded from `preset`
            when None.

    Returns:
        A built `ElectraDiscriminatorHead`: `head(sequence_output)` gives one
        replaced-token logit per position, as `ElectraForPreTraining`.

    Example:
    ```python
    backbone = keras_electra.ElectraBackbone.from_preset("./small_keras")
    head = keras_electra.convert.load_discriminator_head("./small_keras", backbone)
    logits = head(backbone(inputs)["sequence_output"])
    ```
    """
    path = os.path.join(preset, DISCRIMINATOR_HEAD_FILE)
    if not os.path.isfile(path):
        raise ConversionError(
            f"{preset} has no {DISCRIMINATOR_HEAD_FILE}; it was not converted "
            "from a checkpoint with a discriminator head."
        )
    if backbone is None:
        from keras_electra.models.backbone import ElectraBackbone

        backbone = ElectraBackbone.from_preset(preset)
    head = build_discriminator_head(backbone)
    set_head_weights(head, read_safetensors(path), source=path)
    return head


def build_masked_lm(backbone, head_weights, preprocessor=None, source="The checkpoint"):
    """An `ElectraMaskedLM` around `backbone` with its MLM head loaded strictly."""
    from keras_electra.tasks.masked_lm import ElectraMaskedLM

    task = ElectraMaskedLM(backbone, preprocessor=preprocessor)
    set_head_weights(task.masked_lm_head, head_weights, source=source)
    return task


def masked_lm_preprocessor(tokenizer, sequence_length=None, max_sequence_length=None):
    """`ElectraMaskedLM.default_preprocessor`, or None where it cannot be built (no TensorFlow)."""
    from keras_electra.tasks.masked_lm import ElectraMaskedLM

    try:
        return ElectraMaskedLM.default_preprocessor(tokenizer, sequence_length, max_sequence_length)
    except ImportError as e:
        logger.info("No masked-LM preprocessor (%s); the preset keeps only the tokenizer", e)
        return None


def assemble_pretrainer(discriminator, generator, discriminator_head, generator_head,
                        embedding_sharing="tied", **kwargs):
    """An `ElectraPretrainer` holding converted backbones and heads.

    Args:
        discriminator, generator: loaded `ElectraBackbone`s. With
            `embedding_sharing="tied"` the generator must already use the
            discriminator's `embeddings` layer (`embedding_layer=`).
        discriminator_head, generator_head: canonical head weight dicts.
        **kwargs: other `ElectraPretrainer` arguments (special token ids...).
    """
    from keras_electra.models.pretrainer import ElectraPretrainer

    pretrainer = ElectraPretrainer(
        discriminator, generator, objective="electra",
        embedding_sharing=embedding_sharing, **kwargs,
    )
    if pretrainer.discriminator is not discriminator or pretrainer.generator is not generator:
        raise ConversionError(
            "ElectraPretrainer rebuilt a backbone (fresh weights) instead of using "
            "the converted ones; the generator must share the discriminator's "
            "embeddings layer for embedding_sharing='tied'."
        )
    build_pretrainer(pretrainer)
    set_head_weights(pretrainer.discriminator_head, discriminator_head, "The discriminator head")
    set_head_weights(pretrainer.generator_head, generator_head, "The generator head")
    return pretrainer


def build_pretrainer(pretrainer):
    """Creates every variable of an `ElectraPretrainer` with one call on a dummy batch."""
    length = min(8, pretrainer.discriminator.max_sequence_length)
    ids = np.arange(length, dtype="int32")[None] % pretrainer.discriminator.vocabulary_size
    pretrainer({"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)})
    return pretrainer


def save_pretrainer(pretrainer, directory, step=None):
    """Writes `pretrainer.json` (Keras config, plus `step`) and `pretrainer.weights.h5`."""
    import keras

    os.makedirs(directory, exist_ok=True)
    record = {"config": keras.saving.serialize_keras_object(pretrainer), "step": step}
    with open(os.path.join(directory, PRETRAINER_CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
    pretrainer.save_weights(os.path.join(directory, PRETRAINER_WEIGHTS_FILE))
    logger.info("Wrote the full pretrainer to %s", directory)


def load_pretrainer(directory):
    """Rebuilds an `ElectraPretrainer` saved by `save_pretrainer`, weights included.

    Compile it and call `fit` to continue pretraining (the optimizer state
    starts fresh: optimizer slots are not converted).

    Example:
    ```python
    pretrainer = keras_electra.convert.load_pretrainer("./small_keras/pretrainer")
    pretrainer.compile(optimizer=keras.optimizers.AdamW(5e-4))
    pretrainer.fit(dataset, steps_per_epoch=1000)
    ```
    """
    import keras

    import keras_electra.models  # noqa: F401  (registers the pretrainer and backbones)

    config_path = os.path.join(directory, PRETRAINER_CONFIG_FILE)
    if not os.path.isfile(config_path):
        raise ConversionError(f"{directory} has no {PRETRAINER_CONFIG_FILE}.")
    with open(config_path, encoding="utf-8") as f:
        record = json.load(f)
    pretrainer = keras.saving.deserialize_keras_object(record["config"])
    build_pretrainer(pretrainer)
    pretrainer.load_weights(os.path.join(directory, PRETRAINER_WEIGHTS_FILE))
    return pretrainer
