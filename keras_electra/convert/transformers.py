"""Hugging Face transformers checkpoints (ELECTRA and BERT) to keras-electra models and presets.

The entry points: `load_backbone` (an `ElectraBackbone`), `load_task` (the
task model of an `ElectraFor*` checkpoint), `load_discriminator` and
`load_masked_lm` (pretraining heads), and `convert_checkpoint` (any of
them written as a Keras preset). Reading files is `transformers_io`, the
name tables `transformers_names`, the renaming of a state dict into the
canonical layout `transformers_weights`.
"""

import logging
import os

from keras_electra.convert.transformers_io import CONFIG_FILE
from keras_electra.convert.transformers_io import VOCABULARY_FILE
from keras_electra.convert.transformers_io import check_config  # noqa: F401 (entry point of preset loading)
from keras_electra.convert.transformers_io import config_to_backbone_kwargs
from keras_electra.convert.transformers_io import load_tokenizer
from keras_electra.convert.transformers_io import read_config
from keras_electra.convert.transformers_io import read_weights
from keras_electra.convert.transformers_io import resolve_directory
from keras_electra.convert.transformers_names import PRETRAINING_HEADS
from keras_electra.convert.transformers_names import MODEL_TYPE_HEADS
from keras_electra.convert.transformers_names import pretraining_architecture
from keras_electra.convert.transformers_weights import extract_head_weights  # noqa: F401 (public)
from keras_electra.convert.transformers_weights import heads_to_canonical
from keras_electra.convert.transformers_weights import split_weights
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import set_backbone_weights

logger = logging.getLogger("keras_electra.convert")


def load_backbone(preset, load_weights=True, role=None, **kwargs):
    """Builds an `ElectraBackbone` from a transformers ELECTRA or BERT checkpoint.

    Loading is strict: a missing, unexpected or misshapen weight raises a
    `ConversionError` naming it. Recognised head weights (e.g. the RTD head
    of `ElectraForPreTraining`, BERT's pooler) are not part of the backbone
    and are listed in the log (`convert_checkpoint` keeps BERT's pooler).

    Args:
        preset: a local directory with `config.json` and weights, or an
            `hf://owner/name` handle (needs network).
        load_weights: when False, only the architecture is built.
        role: `"discriminator"` or `"generator"` for combined checkpoints.
        **kwargs: overrides for the backbone constructor (e.g. `dtype`).

    Example:
    ```python
    backbone = load_backbone("./electra-small-discriminator")
    ```
    """
    return _load_backbone(resolve_directory(preset), load_weights, role, **kwargs)[0]


def _load_backbone(directory, load_weights=True, role=None, **kwargs):
    """`(backbone, head tensors)`: `load_backbone` plus what it leaves out."""
    from keras_electra.models.backbone import ElectraBackbone

    config = read_config(directory)
    backbone_kwargs = config_to_backbone_kwargs(config)
    backbone_kwargs.update(kwargs)
    backbone = ElectraBackbone(**backbone_kwargs)
    if not load_weights:
        return backbone, {}
    tensors = read_weights(directory)
    source = f"The checkpoint in {directory}"
    weights, heads, ignored = split_weights(config, tensors, role=role, source=source)
    set_backbone_weights(backbone, weights, source=source)
    logger.info("Loaded %d backbone tensors from %s", len(weights), directory)
    if heads:
        logger.info(
            "Not part of the backbone, left out: %s", ", ".join(sorted(heads))
        )
    if ignored:
        logger.info("Ignored (buffers or another model): %s", ", ".join(sorted(ignored)))
    return backbone, heads


def _load_with_head(directory, architecture):
    """`(backbone, canonical head weights)` of an ElectraForPreTraining / ForMaskedLM checkpoint."""
    config = read_config(directory)
    if pretraining_architecture(config) != architecture:
        raise ConversionError(
            f"{os.path.join(directory, CONFIG_FILE)} is not an {architecture} checkpoint "
            f"(architectures={config.get('architectures')})."
        )
    from keras_electra.models.backbone import ElectraBackbone

    backbone = ElectraBackbone(**config_to_backbone_kwargs(config))
    source = f"The checkpoint in {directory}"
    weights, heads, _ = split_weights(config, read_weights(directory), source=source)
    set_backbone_weights(backbone, weights, source=source)
    head = heads_to_canonical(
        heads, PRETRAINING_HEADS[architecture], source,
        word_embeddings=weights["embeddings/word_embeddings"],
    )
    return backbone, head


def load_discriminator(preset):
    """The discriminator and its RTD head from an `ElectraForPreTraining` checkpoint.

    Returns:
        `(backbone, head)`: an `ElectraBackbone` and a built
        `ElectraDiscriminatorHead`; `head(backbone(x)["sequence_output"])`
        equals transformers' `ElectraForPreTraining(x).logits`.

    Example:
    ```python
    backbone, head = load_discriminator("./electra-small-discriminator")
    ```
    """
    from keras_electra.convert.pretraining import build_discriminator_head
    from keras_electra.convert.pretraining import set_head_weights as set_pretraining_head

    directory = resolve_directory(preset)
    backbone, weights = _load_with_head(directory, "ElectraForPreTraining")
    head = build_discriminator_head(backbone)
    set_pretraining_head(head, weights, source=f"The checkpoint in {directory}")
    return backbone, head


def load_masked_lm(preset, sequence_length=None):
    """An `ElectraMaskedLM` (generator + tied MLM head) from an `ElectraForMaskedLM` checkpoint.

    With a `vocab.txt` it gets an `ElectraMaskedLMPreprocessor` (sequence
    length: `sequence_length`, default `min(512, max_position_embeddings)`).

    Example:
    ```python
    generator = load_masked_lm("./electra-small-generator")
    ```
    """
    from keras_electra.convert.pretraining import build_masked_lm
    from keras_electra.convert.pretraining import masked_lm_preprocessor

    directory = resolve_directory(preset)
    backbone, weights = _load_with_head(directory, "ElectraForMaskedLM")
    preprocessor = None
    tokenizer = load_tokenizer(directory)
    if tokenizer is not None:
        preprocessor = masked_lm_preprocessor(tokenizer, sequence_length, backbone.max_sequence_length)
    return build_masked_lm(backbone, weights, preprocessor, source=f"The checkpoint in {directory}")


def load_task(preset, load_weights=True, num_choices=2, sequence_length=None, **kwargs):
    """Builds the keras-electra task model of a transformers `ElectraFor*` checkpoint.

    `ElectraForSequenceClassification` becomes `ElectraTextClassifier(head="hf")`,
    `ElectraForTokenClassification` an `ElectraTokenClassifier`,
    `ElectraForMultipleChoice` an `ElectraMultipleChoice` and
    `ElectraForQuestionAnswering` an `ElectraQuestionAnswerer(head="hf")`. Backbone and head
    are loaded strictly: every tensor is consumed, errors list the names.
    With a `vocab.txt` the model gets its task preprocessor.

    Args:
        preset: a local directory or an `hf://owner/name` handle.
        load_weights: when False, only the architecture is built.
        num_choices: choices per example (multiple choice only).
        sequence_length: preprocessor length; default the task's default,
            at most `max_position_embeddings`.
        **kwargs: overrides for the backbone constructor (e.g. `dtype`).

    Example:
    ```python
    classifier = load_task("./electra-finetuned-sst2")
    classifier.predict(["a great film"])
    ```
    """
    from keras_electra.convert.task_heads import build_task
    from keras_electra.convert.task_heads import set_head_weights
    from keras_electra.convert.task_heads import task_architecture
    from keras_electra.convert.task_heads import task_classes
    from keras_electra.models.backbone import ElectraBackbone

    directory = resolve_directory(preset)
    config = read_config(directory)
    architecture = task_architecture(config)
    if architecture is None:
        raise ConversionError(
            f"{os.path.join(directory, CONFIG_FILE)} is not a task checkpoint "
            f"(architectures={config.get('architectures')}); load it as a backbone."
        )
    backbone_kwargs = config_to_backbone_kwargs(config)
    backbone_kwargs.update(kwargs)
    backbone = ElectraBackbone(**backbone_kwargs)
    preprocessor = None
    tokenizer = load_tokenizer(directory)
    if tokenizer is not None:
        preprocessor = task_classes()[architecture].default_preprocessor(
            tokenizer, sequence_length, backbone.max_sequence_length, num_choices=num_choices
        )
    task = build_task(architecture, config, backbone, preprocessor, num_choices=num_choices)
    if not load_weights:
        return task
    source = f"The checkpoint in {directory}"
    weights, heads, ignored = split_weights(config, read_weights(directory), source=source)
    set_backbone_weights(task.backbone, weights, source=source)
    set_head_weights(task, heads, source=source)
    logger.info("Loaded %s as %s (%d backbone tensors)", architecture, type(task).__name__, len(weights))
    if ignored:
        logger.info("Ignored (buffers): %s", ", ".join(sorted(ignored)))
    return task


def task_from_checkpoint(cls, preset, load_weights=True, **kwargs):
    """`cls.from_preset` on a transformers checkpoint directory.

    A task checkpoint (`ElectraFor*Classification`, ...) of a matching
    class loads whole, head included (`load_task`), unless head arguments
    (e.g. `num_classes`) are passed, which start a new head as keras-hub's
    `from_preset` does. Any other checkpoint gets a new `cls` head on its
    converted backbone, with the task's preprocessor when the directory
    holds `vocab.txt`; keras-hub's own loaders know no ELECTRA transformers
    checkpoint.

    Raises:
        ConversionError: for a task checkpoint of another task class.

    Example:
    ```python
    from keras_electra.tasks import ElectraTextClassifier

    model = task_from_checkpoint(ElectraTextClassifier, "./bert-base-uncased",
                                 num_classes=2)
    ```
    """
    from keras_electra.convert.task_heads import task_architecture

    directory = resolve_directory(preset)
    config = read_config(directory)
    options = {k: kwargs[k] for k in ("num_choices",) if k in kwargs}
    if task_architecture(config) is not None and set(kwargs) <= {"preprocessor", "num_choices"}:
        task = load_task(directory, load_weights=load_weights, **options)
        if not isinstance(task, cls):
            raise ConversionError(
                f"{os.path.join(directory, CONFIG_FILE)} holds a "
                f"{task_architecture(config)}, which loads as a {type(task).__name__}, "
                f"not a {cls.__name__}."
            )
        if "preprocessor" in kwargs:
            task.preprocessor = kwargs["preprocessor"]
        return task
    kwargs = dict(kwargs)
    if "backbone" not in kwargs:
        kwargs["backbone"] = load_backbone(directory, load_weights=load_weights)
    if "preprocessor" not in kwargs:
        tokenizer = load_tokenizer(directory)
        kwargs["preprocessor"] = None if tokenizer is None else cls.default_preprocessor(
            tokenizer, max_sequence_length=kwargs["backbone"].max_sequence_length, **options)
    return cls(**kwargs)


def convert_checkpoint(preset, out, role=None, num_choices=2, sequence_length=None):
    """Converts a transformers checkpoint into a Keras preset directory.

    A backbone checkpoint (`ElectraModel`, `BertModel`, ...) gives a backbone
    preset. `ElectraForPreTraining` gives the discriminator backbone preset
    with its RTD head alongside (`discriminator_head.safetensors`, read by
    `keras_electra.convert.load_discriminator_head`); `ElectraForMaskedLM`
    an `ElectraMaskedLM` task preset. A task checkpoint (`ElectraForSequenceClassification`,
    `...ForTokenClassification`, `...ForMultipleChoice`, `...ForQuestionAnswering`) gives a task preset
    (`task.json`) that the matching task's `from_preset` loads whole. When
    `vocab.txt` is present the tokenizer (and a task's preprocessor) is
    written too. BERT's trained pooler is kept beside a backbone preset as
    `pooler_head.safetensors`, which `ElectraTextClassifier.from_preset`
    fine-tunes through (`head="pooler"`), as `BertForSequenceClassification`
    does. The preset is written to a temporary sibling folder that
    replaces `out` (and anything in it) only when complete; a failed
    conversion leaves `out` as it was.

    Returns:
        The converted backbone or task model.

    Example:
    ```python
    convert_checkpoint("./electra-small-discriminator", "./electra_small_keras")
    backbone = keras_electra.models.ElectraBackbone.from_preset("./electra_small_keras")
    ```
    """
    from keras_electra.convert.pretraining import save_discriminator_head
    from keras_electra.convert.task_heads import task_architecture
    from keras_electra.models.preset_loading import write_pooler_head
    from keras_electra.utils.output_files import atomic_directory

    directory = resolve_directory(preset)
    config = read_config(directory)
    pretraining = pretraining_architecture(config) if role is None else None
    # Everything is loaded and checked (vocab.txt included) before anything is
    # written; the preset goes to a sibling folder that replaces `out` at the end.
    tokenizer = load_tokenizer(directory)
    head = pooler = None
    if pretraining == "ElectraForMaskedLM":
        model = load_masked_lm(directory, sequence_length=sequence_length)
        logger.info("Writing ElectraMaskedLM task preset %s", out)
    elif pretraining == "ElectraForPreTraining":
        model, head = load_discriminator(directory)
        logger.info("Writing discriminator preset %s (with its RTD head)", out)
    elif task_architecture(config) is not None and role is None:
        model = load_task(directory, num_choices=num_choices, sequence_length=sequence_length)
        logger.info("Writing task preset %s", out)
    else:
        model, heads = _load_backbone(directory, role=role)
        pooler = _bert_pooler(heads)
        logger.info("Writing preset %s%s", out, " (with BERT's pooler)" if pooler else "")
    with atomic_directory(out) as tmp:
        model.save_to_preset(tmp)
        if head is not None:
            save_discriminator_head(head, tmp)
        if pooler is not None:
            write_pooler_head(tmp, *pooler)
        if getattr(model, "preprocessor", None) is not None:
            logger.info("Wrote the %s and its tokenizer", type(model.preprocessor).__name__)
        elif tokenizer is not None:
            tokenizer.save_to_preset(tmp)
            logger.info("Wrote tokenizer vocabulary (%d tokens)", tokenizer.vocabulary_size())
        else:
            logger.info("No %s in %s: preset has no tokenizer", VOCABULARY_FILE, directory)
    return model


def read_pooler_head(preset):
    """BERT's trained pooler of a transformers backbone checkpoint, or None.

    The `(kernel, bias)` in Keras layout that `convert_checkpoint` keeps as
    `pooler_head.safetensors`, so a task's `from_preset` on the checkpoint
    directory starts from it as it would from the converted preset. None for
    pretraining and task checkpoints, and for checkpoints without a pooler.

    Example:
    ```python
    kernel, bias = read_pooler_head("./bert-base-uncased")
    ```
    """
    from keras_electra.convert.task_heads import task_architecture

    directory = resolve_directory(preset)
    config = read_config(directory)
    if "pooler" not in MODEL_TYPE_HEADS[config["model_type"]]:
        return None  # e.g. ELECTRA: no pooler, so no weights to read
    if pretraining_architecture(config) is not None or task_architecture(config) is not None:
        return None
    source = f"The checkpoint in {directory}"
    _, heads, _ = split_weights(config, read_weights(directory), source=source)
    return _bert_pooler(heads)


def _bert_pooler(heads):
    """BERT's pooler as `(kernel, bias)` in Keras layout, or None."""
    import numpy as np

    weight, bias = heads.get("pooler.dense.weight"), heads.get("pooler.dense.bias")
    if weight is None or bias is None:
        return None
    return np.ascontiguousarray(np.asarray(weight, "float32").T), np.asarray(bias, "float32")
