"""`ElectraBackbone` to a transformers checkpoint (`config.json` + `model.safetensors`).

The output loads with `transformers.ElectraModel.from_pretrained(out)`. The
weights are renamed with the same name table the importer uses
(`keras_electra.convert.transformers_names.backbone_name_table`), so a round trip
is exact.
"""

import json
import logging
import os

import numpy as np

from keras_electra.utils.safetensors_io import write_safetensors
from keras_electra.convert.transformers_config import BACKBONE_TO_TRANSFORMERS
from keras_electra.convert.transformers_config import HIDDEN_ACT
from keras_electra.convert.transformers_config import to_transformers_config
from keras_electra.convert.transformers_names import HEAD_TABLES
from keras_electra.convert.transformers_names import backbone_name_table
from keras_electra.convert.weights import get_backbone_weights
from keras_electra.utils.output_files import atomic_directory
from keras_electra.errors import ElectraError

logger = logging.getLogger("keras_electra.convert")


def backbone_to_transformers_config(backbone):
    """The transformers `ElectraConfig` dict of a backbone."""
    if backbone.attention_direction != "bidirectional":
        raise ElectraError(
            "transformers' ElectraModel is bidirectional; a backbone with "
            f"attention_direction={backbone.attention_direction!r} (an Electric "
            "tower) cannot be exported to it."
        )
    return {
        "architectures": ["ElectraModel"],
        "model_type": "electra",
        **to_transformers_config(
            {ours: getattr(backbone, ours) for ours in BACKBONE_TO_TRANSFORMERS}
        ),
        "hidden_act": HIDDEN_ACT,
        "attention_probs_dropout_prob": backbone.dropout,
        "position_embedding_type": "absolute",
        "pad_token_id": 0,
        "summary_type": "first",
        "summary_use_proj": True,
        "summary_activation": "gelu",
        "summary_last_dropout": 0.1,
        "torch_dtype": "float32",
    }


def backbone_to_transformers_weights(backbone, prefix=""):
    """The backbone's weights under transformers names (`prefix` e.g. `electra.`)."""
    weights = get_backbone_weights(backbone)
    table = backbone_name_table(
        backbone.num_layers, backbone.embeddings_projection is not None
    )
    out = {}
    for name, (hf, transposed) in table.items():
        value = weights[name]
        out[prefix + hf] = np.ascontiguousarray(value.T if transposed else value, "float32")
    return out


def pretraining_head_to_transformers(head_weights, head):
    """Canonical head weights -> transformers names (torch layout)."""
    out = {}
    for ours, (theirs, fn) in HEAD_TABLES[head].items():
        value = np.asarray(head_weights[ours], "float32")
        out[theirs] = np.ascontiguousarray(fn(value) if fn is not None else value)
    return out


def transformers_architecture_of(model, discriminator_head=None):
    """The transformers architecture `export_to_transformers` writes for `model`.

    Example:
    ```python
    transformers_architecture_of(backbone)  # "ElectraModel"
    ```
    """
    from keras_hub.models import Task

    if isinstance(model, Task):
        if getattr(model, "transformers_architecture", None) == "ElectraForMaskedLM":
            return "ElectraForMaskedLM"
        from keras_electra.convert.task_heads import architecture_of

        return architecture_of(model)
    return "ElectraModel" if discriminator_head is None else "ElectraForPreTraining"


def export_to_transformers(model, out, tokenizer=None, discriminator_head=None):
    """Writes a backbone, a masked LM or a task model as a transformers checkpoint.

    - `ElectraBackbone` -> `ElectraModel`; with `discriminator_head` (an
      `ElectraDiscriminatorHead`, e.g. from `load_discriminator_head`) ->
      `ElectraForPreTraining`.
    - `ElectraMaskedLM` -> `ElectraForMaskedLM` (tied decoder).
    - `ElectraTextClassifier(head="hf")` -> `ElectraForSequenceClassification`,
      `ElectraTokenClassifier` -> `ElectraForTokenClassification`,
      `ElectraMultipleChoice` -> `ElectraForMultipleChoice`.

    Args:
        model: an `ElectraBackbone` (bidirectional), `ElectraMaskedLM` or
            task model.
        out: output directory; written to a temporary sibling that replaces
            `out` (and anything in it) when complete.
        tokenizer: optional `ElectraTokenizer`; its vocabulary is written as
            `vocab.txt` with a matching `tokenizer_config.json`. Defaults to
            a task model's preprocessor tokenizer.
        discriminator_head: optional RTD head for a backbone.

    Example:
    ```python
    export_to_transformers(backbone, "./electra_hf")
    import transformers
    model = transformers.ElectraModel.from_pretrained("./electra_hf")
    ```
    """
    from keras_hub.models import Task

    architecture = transformers_architecture_of(model, discriminator_head)
    if isinstance(model, Task):
        backbone = model.backbone
        config = backbone_to_transformers_config(backbone)
        tensors = backbone_to_transformers_weights(backbone, prefix="electra.")
        if architecture == "ElectraForMaskedLM":
            from keras_electra.convert.pretraining import get_head_weights

            config["architectures"] = [architecture]
            config["tie_word_embeddings"] = True
            tensors.update(pretraining_head_to_transformers(
                get_head_weights(model.masked_lm_head), "generator_predictions"))
            tensors["generator_lm_head.weight"] = tensors["electra.embeddings.word_embeddings.weight"]
        else:
            from keras_electra.convert.task_heads import head_to_transformers_weights
            from keras_electra.convert.task_heads import task_config_fields

            config.update(task_config_fields(model))
            tensors.update(head_to_transformers_weights(model))
        if tokenizer is None and getattr(model, "preprocessor", None) is not None:
            tokenizer = getattr(model.preprocessor, "tokenizer", None)
    else:
        backbone = model
        config = backbone_to_transformers_config(backbone)
        if discriminator_head is None:
            tensors = backbone_to_transformers_weights(backbone)
        else:
            from keras_electra.convert.pretraining import get_head_weights

            config["architectures"] = [architecture]
            tensors = backbone_to_transformers_weights(backbone, prefix="electra.")
            tensors.update(pretraining_head_to_transformers(
                get_head_weights(discriminator_head), "discriminator_predictions"))
    # Written to a sibling folder that replaces `out` only when complete.
    with atomic_directory(out) as tmp:
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
        write_safetensors(os.path.join(tmp, "model.safetensors"), tensors)
        logger.info("Wrote %s: %d tensors to %s", config["architectures"][0], len(tensors),
                    os.path.join(out, "model.safetensors"))
        if tokenizer is not None:
            with open(os.path.join(tmp, "vocab.txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(tokenizer.get_vocabulary()) + "\n")
            with open(os.path.join(tmp, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump(
                    {
                        "tokenizer_class": "ElectraTokenizer",
                        "do_lower_case": bool(tokenizer.lowercase),
                        "model_max_length": backbone.max_sequence_length,
                    },
                    f,
                    indent=2,
                )
            logger.info("Wrote vocab.txt (%d tokens)", tokenizer.vocabulary_size())
    return out
