"""Hugging Face transformers checkpoints (ELECTRA and BERT) to `ElectraBackbone`.

Reads a local directory (or an `hf://owner/name` handle when online) holding
`config.json` plus `model.safetensors` (optionally sharded) or
`pytorch_model.bin`. A `.bin` is read only with
`torch.load(weights_only=True)`, and only when torch is installed; nothing
else is ever unpickled. Weights are renamed into the canonical layout of
`keras_electra.convert.weights` through explicit name tables, so a head is
one more table entry.
"""

import json
import logging
import os

import numpy as np

from keras_electra.convert.safetensors_io import CheckpointFileError
from keras_electra.convert.safetensors_io import read_safetensors
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import canonical_names
from keras_electra.convert.weights import check_names
from keras_electra.convert.weights import check_vocabulary_size
from keras_electra.convert.weights import extract_named
from keras_electra.convert.weights import set_backbone_weights
from keras_electra.convert.transformers_config import BACKBONE_TO_TRANSFORMERS
from keras_electra.convert.transformers_config import HIDDEN_ACT
from keras_electra.convert.transformers_config import TRANSFORMERS_DEFAULTS
from keras_electra.convert.transformers_config import from_transformers_config
from keras_electra.errors import ElectraError

logger = logging.getLogger("keras_electra.convert")

CONFIG_FILE = "config.json"
SAFETENSORS_FILE = "model.safetensors"
SAFETENSORS_INDEX_FILE = "model.safetensors.index.json"
BIN_FILE = "pytorch_model.bin"
VOCABULARY_FILE = "vocab.txt"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"

MODEL_TYPES = ("electra", "bert")
# Architecture -> top-level weight groups that are heads, not backbone. Their
# weights are recognised (never "unexpected") and reported when not loaded.
ARCHITECTURES = {
    "ElectraModel": (),
    "ElectraForPreTraining": ("discriminator_predictions",),
    "ElectraForMaskedLM": ("generator_predictions", "generator_lm_head"),
    "ElectraForSequenceClassification": ("classifier",),
    "ElectraForTokenClassification": ("classifier",),
    "ElectraForQuestionAnswering": ("qa_outputs",),
    "ElectraForMultipleChoice": ("sequence_summary", "classifier"),
    "BertModel": ("pooler",),
    "BertForPreTraining": ("pooler", "cls"),
    "BertForMaskedLM": ("pooler", "cls"),
}
# Non-weight buffers transformers may save.
BUFFER_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")
# Backbone scopes inside a model, and model roots in combined checkpoints.
BACKBONE_SCOPES = ("electra.", "bert.", "")
ROLE_ROOTS = ("discriminator.", "generator.")


def _transpose(x):
    return np.transpose(x)


def _transformers_name(canonical):
    """The transformers name of a canonical (TF1) one, and whether it is transposed.

    transformers keeps the original names, dot-separated: a dense `kernel` is
    a torch Linear `weight` (stored `[out, in]`, so transposed), a LayerNorm's
    `gamma`/`beta` are filled in by `backbone_name_table`, and an embedding
    table gets `.weight`. So the backbone's table follows the layers'
    published names; encoder layers are `encoder.layer.{i}.` there.
    """
    scope, _, last = canonical.rpartition("/")
    if scope.startswith("encoder/layer_"):
        i, scope = scope[len("encoder/layer_"):].split("/", 1)
        scope = f"encoder/layer/{i}/{scope}"
    scope = scope.replace("/", ".")
    if last == "kernel":
        return f"{scope}.weight", True
    if last == "bias":
        return f"{scope}.bias", False
    if last in ("gamma", "beta"):  # "{gamma}": LayerNorm names differ between checkpoints
        return f"{scope}.{{{last}}}", False
    return f"{scope}.{last}.weight", False


# Head tables: canonical (TF1-style) head name -> (HF name, transform).
HEAD_TABLES = {
    "discriminator_predictions": {
        "discriminator_predictions/dense/kernel": ("discriminator_predictions.dense.weight", _transpose),
        "discriminator_predictions/dense/bias": ("discriminator_predictions.dense.bias", None),
        "discriminator_predictions/dense_1/kernel": ("discriminator_predictions.dense_prediction.weight", _transpose),
        "discriminator_predictions/dense_1/bias": ("discriminator_predictions.dense_prediction.bias", None),
    },
    "generator_predictions": {
        "generator_predictions/dense/kernel": ("generator_predictions.dense.weight", _transpose),
        "generator_predictions/dense/bias": ("generator_predictions.dense.bias", None),
        "generator_predictions/LayerNorm/gamma": ("generator_predictions.LayerNorm.weight", None),
        "generator_predictions/LayerNorm/beta": ("generator_predictions.LayerNorm.bias", None),
        "generator_predictions/output_bias": ("generator_lm_head.bias", None),
    },
    # BERT's MLM head has the same shape as ELECTRA's generator head.
    "bert_mlm": {
        "generator_predictions/dense/kernel": ("cls.predictions.transform.dense.weight", _transpose),
        "generator_predictions/dense/bias": ("cls.predictions.transform.dense.bias", None),
        "generator_predictions/LayerNorm/gamma": ("cls.predictions.transform.LayerNorm.{gamma}", None),
        "generator_predictions/LayerNorm/beta": ("cls.predictions.transform.LayerNorm.{beta}", None),
        "generator_predictions/output_bias": ("cls.predictions.bias", None),
    },
}


def backbone_name_table(num_layers, has_projection, layer_norm=("weight", "bias")):
    """Canonical name -> (transformers name, transposed?) for a backbone.

    Args:
        num_layers: number of encoder layers.
        has_projection: whether `embeddings_project` exists.
        layer_norm: names of the LayerNorm scale and offset; original BERT
            checkpoints use `("gamma", "beta")`.
    """
    fmt = {"gamma": layer_norm[0], "beta": layer_norm[1]}
    table = {}
    for name in canonical_names(num_layers, has_projection):
        hf, transposed = _transformers_name(name)
        table[name] = (hf.format(**fmt), transposed)
    return table


# --- Reading files ---------------------------------------------------------


def read_config(directory):
    """Reads and validates `config.json` of a transformers checkpoint."""
    path = os.path.join(directory, CONFIG_FILE)
    if not os.path.isfile(path):
        raise CheckpointFileError(f"Transformers config not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise CheckpointFileError(f"{path} is not valid JSON: {e}") from e
    check_config(config, path)
    return config


REQUIRED_CONFIG_FIELDS = (
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
    "intermediate_size", "max_position_embeddings",
)


def check_config(config, path=CONFIG_FILE):
    """Checks a transformers config: model type, architectures and the fields we use.

    Every field that becomes an `ElectraBackbone` argument must have the
    right type and range (`hidden_size: "big"` is refused); the required
    ones must be present.

    Raises:
        ConversionError: naming `path` and the field.
    """
    from keras_electra.models.backbone_config import config_problem

    if not isinstance(config, dict):
        raise ConversionError(
            f"{path} must hold a JSON object; found {type(config).__name__}."
        )
    model_type = config.get("model_type")
    if model_type not in MODEL_TYPES:
        raise ConversionError(
            f"{path} has model_type={model_type!r}; keras-electra converts "
            f"only {', '.join(MODEL_TYPES)} checkpoints."
        )
    architectures = config.get("architectures") or []
    if not isinstance(architectures, list):
        raise ConversionError(
            f"{path}: field 'architectures': must be a list; received {architectures!r}."
        )
    for arch in architectures:
        if not isinstance(arch, str) or arch not in ARCHITECTURES:
            raise ConversionError(
                f"{path} names architecture {arch!r}, which keras-electra "
                f"does not convert. Supported: {', '.join(ARCHITECTURES)}."
            )
    for field in REQUIRED_CONFIG_FIELDS:
        if field not in config:
            raise ConversionError(f"{path}: field {field!r}: is missing.")
    ours = from_transformers_config(config)
    if model_type != "electra":
        ours.pop("embedding_dim", None)  # BERT: the embedding width is hidden_size
    problem = config_problem(ours)
    if problem is not None:
        theirs = BACKBONE_TO_TRANSFORMERS[problem[0]]
        raise ConversionError(f"{path}: field {theirs!r}: {problem[1]}.")


def read_weights(directory):
    """Reads the weights of a transformers checkpoint into numpy arrays."""
    safetensors = os.path.join(directory, SAFETENSORS_FILE)
    index = os.path.join(directory, SAFETENSORS_INDEX_FILE)
    binary = os.path.join(directory, BIN_FILE)
    if os.path.isfile(safetensors):
        logger.info("Reading %s", safetensors)
        return read_safetensors(safetensors)
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        tensors = {}
        for shard in shards:
            logger.info("Reading %s", os.path.join(directory, shard))
            tensors.update(read_safetensors(os.path.join(directory, shard)))
        return tensors
    if os.path.isfile(binary):
        return read_torch_bin(binary)
    raise CheckpointFileError(
        f"No weights in {directory}: expected {SAFETENSORS_FILE}, "
        f"{SAFETENSORS_INDEX_FILE} or {BIN_FILE}."
    )


def read_torch_bin(path):
    """Reads a `pytorch_model.bin` with `torch.load(weights_only=True)`."""
    try:
        import torch
    except ImportError as e:
        raise CheckpointFileError(
            f"{path} is a PyTorch pickle and torch is not installed. Install "
            "torch, or convert the checkpoint to model.safetensors."
        ) from e
    logger.info("Reading %s (torch.load, weights_only=True)", path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, bad pickle, disallowed globals
        raise CheckpointFileError(f"Could not read {path}: {type(e).__name__}: {e}") from e
    return {k: v.detach().float().numpy() if v.is_floating_point() else v.numpy()
            for k, v in state.items()}


def resolve_directory(preset):
    """Returns a local directory for a path or an `hf://` handle (downloading).

    A handle's config, weights (safetensors, sharded safetensors or
    `pytorch_model.bin`) and tokenizer files come from one commit through the
    Hugging Face cache, with a bounded wait and clear errors
    (`keras_electra.models.hub_download`).
    """
    if not preset.startswith("hf://"):
        return preset
    from keras_electra.models.hub_download import download_preset

    return download_preset(preset)


# --- Mapping ---------------------------------------------------------------


def config_to_backbone_kwargs(config, source=CONFIG_FILE):
    """Maps a transformers ELECTRA/BERT config dict to `ElectraBackbone` kwargs.

    The config is checked first (`check_config`); errors name `source`.
    """
    check_config(config, source)
    act = config.get("hidden_act", HIDDEN_ACT)
    if act != HIDDEN_ACT:
        raise ConversionError(
            f"hidden_act={act!r} is not supported; ElectraBackbone uses the "
            "exact (erf) GELU of ELECTRA and BERT ('gelu')."
        )
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ConversionError(
            "Only absolute position embeddings are supported; the config has "
            f"position_embedding_type={config['position_embedding_type']!r}."
        )
    if config.get("is_decoder") or config.get("add_cross_attention"):
        raise ConversionError("Decoder / cross-attention checkpoints are not supported.")
    kwargs = from_transformers_config({**TRANSFORMERS_DEFAULTS, **config})
    if config["model_type"] != "electra" or "embedding_dim" not in kwargs:
        kwargs["embedding_dim"] = kwargs["hidden_dim"]  # BERT: no embedding_size
    return kwargs


def find_backbone_prefix(tensors, role=None):
    """Finds `(root, prefix)`: the model root and the backbone's name prefix.

    Handles plain (`embeddings.`), wrapped (`electra.`, `bert.`) and combined
    layouts where a discriminator and a generator live under `discriminator.`
    and `generator.`; `role` picks one of those.
    """
    anchor = "embeddings.word_embeddings.weight"
    prefixes = sorted(k[: -len(anchor)] for k in tensors if k.endswith(anchor))
    if role is not None:
        prefixes = [p for p in prefixes if p.startswith(role + ".")]
    if not prefixes:
        raise ConversionError(
            f"No backbone found: no tensor ends with {anchor}"
            + (f" under '{role}.'" if role else "") + "."
        )
    if len(prefixes) > 1:
        raise ConversionError(
            f"The checkpoint holds several backbones ({', '.join(prefixes)}); "
            "pass role='discriminator' or role='generator'."
        )
    prefix = prefixes[0]
    for scope in BACKBONE_SCOPES:
        if scope and prefix.endswith(scope):
            return prefix[: -len(scope)], prefix
    return prefix, prefix


def split_weights(config, tensors, role=None, source="The checkpoint"):
    """Splits transformers tensors into canonical backbone weights and the rest.

    Returns:
        `(backbone_weights, heads, ignored)`: canonical name -> array for the
        backbone; HF name -> array for recognised head weights (relative to
        the model root); and the names of tensors that belong to another
        model of a combined checkpoint or are buffers.

    Raises:
        ConversionError: listing missing backbone names and every tensor that
            is neither backbone, a known head, nor a buffer.
    """
    kwargs = config_to_backbone_kwargs(config)
    root, prefix = find_backbone_prefix(tensors, role)
    layer_norm = ("gamma", "beta") if prefix + "embeddings.LayerNorm.gamma" in tensors else ("weight", "bias")
    has_projection = kwargs["embedding_dim"] != kwargs["hidden_dim"]
    table = backbone_name_table(kwargs["num_layers"], has_projection, layer_norm)
    head_groups = set()
    for arch in config.get("architectures") or []:
        head_groups.update(ARCHITECTURES[arch])
    head_groups.update({"discriminator_predictions", "generator_predictions", "generator_lm_head"}
                       if config["model_type"] == "electra" else {"pooler", "cls"})
    backbone, heads, ignored, unexpected = {}, {}, [], []
    wanted = {prefix + hf: (name, transposed) for name, (hf, transposed) in table.items()}
    for key, value in tensors.items():
        if key in wanted:
            name, transposed = wanted[key]
            backbone[name] = np.transpose(value) if transposed else value
        elif not key.startswith(root) or key.endswith(BUFFER_SUFFIXES):
            ignored.append(key)
        elif key.startswith(prefix) and key[len(prefix):].split(".")[0] in head_groups:
            heads[key[len(prefix):]] = value
        elif key[len(root):].split(".")[0] in head_groups:
            heads[key[len(root):]] = value
        else:
            unexpected.append(key)
    missing = [prefix + hf for name, (hf, _) in table.items() if name not in backbone]
    if missing or unexpected:
        problems = []
        if missing:
            problems.append("missing: " + ", ".join(missing))
        if unexpected:
            problems.append("unexpected: " + ", ".join(unexpected))
        raise ConversionError(f"{source} does not match config.json. " + "; ".join(problems) + ".")
    return backbone, heads, ignored


def extract_head_weights(tensors, head, prefix=None, strict=True):
    """Extracts one head's weights from transformers tensors, as numpy arrays.

    Args:
        tensors: dict of HF name -> array (a state dict).
        head: `"discriminator_predictions"` (ElectraForPreTraining),
            `"generator_predictions"` (ElectraForMaskedLM; its decoder matrix
            is tied to the word embeddings and not returned) or `"bert_mlm"`.
        prefix: name prefix of the model root; inferred when None.
        strict: raise when a head variable is missing.

    Returns:
        dict of canonical (TF1-style) head name -> array in Keras layout
        (dense kernels `[in, out]`), e.g.
        `discriminator_predictions/dense_1/kernel` of shape `[hidden, 1]`.

    Example:
    ```python
    heads = extract_head_weights(state_dict, "discriminator_predictions")
    heads["discriminator_predictions/dense/kernel"].shape  # (hidden, hidden)
    ```
    """
    if head not in HEAD_TABLES:
        raise ElectraError(f"Unknown head {head!r}; expected one of {', '.join(HEAD_TABLES)}.")
    if prefix is None:
        anchor = next((v[0] for v in HEAD_TABLES[head].values()), "")
        anchor = anchor.split("{")[0]
        hits = [k[: k.index(anchor)] for k in tensors if anchor in k]
        prefix = hits[0] if hits else ""
    norm = ("gamma", "beta") if any(k.endswith("LayerNorm.gamma") for k in tensors) else ("weight", "bias")
    table = {
        ours: (prefix + theirs.format(gamma=norm[0], beta=norm[1]), fn)
        for ours, (theirs, fn) in HEAD_TABLES[head].items()
    }
    return extract_named(tensors, table, source=f"The checkpoint ({head})", strict=strict)


# --- Loading ---------------------------------------------------------------


def load_checkpoint(preset):
    """Reads `(config, tensors)` from a directory or `hf://` handle."""
    directory = resolve_directory(preset)
    config = read_config(directory)
    return config, read_weights(directory)


def load_backbone(preset, load_weights=True, role=None, **kwargs):
    """Builds an `ElectraBackbone` from a transformers ELECTRA or BERT checkpoint.

    Loading is strict: a missing, unexpected or misshapen weight raises a
    `ConversionError` naming it. Recognised head weights (e.g. the RTD head
    of `ElectraForPreTraining`, BERT's pooler) are not part of the backbone
    and are listed in the log.

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
    from keras_electra.models.backbone import ElectraBackbone

    directory = resolve_directory(preset)
    config = read_config(directory)
    backbone_kwargs = config_to_backbone_kwargs(config)
    backbone_kwargs.update(kwargs)
    backbone = ElectraBackbone(**backbone_kwargs)
    if not load_weights:
        return backbone
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
    return backbone


def load_tokenizer(directory):
    """Builds an `ElectraTokenizer` from `vocab.txt`, or None when absent.

    Raises:
        ConversionError: when `vocab.txt` does not have exactly `vocab_size`
            (of `config.json`) tokens, or `tokenizer_config.json` is unusable.
    """
    path = os.path.join(directory, VOCABULARY_FILE)
    if not os.path.isfile(path):
        return None
    lowercase = True
    config_path = os.path.join(directory, TOKENIZER_CONFIG_FILE)
    if os.path.isfile(config_path):
        try:
            with open(config_path, encoding="utf-8") as f:
                tokenizer_config = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            raise CheckpointFileError(f"{config_path} is not valid JSON: {e}") from e
        if not isinstance(tokenizer_config, dict):
            raise ConversionError(f"{config_path} must hold a JSON object.")
        lowercase = tokenizer_config.get("do_lower_case", True)
        if not isinstance(lowercase, bool):
            raise ConversionError(
                f"{config_path}: field 'do_lower_case': must be true or false; "
                f"received {lowercase!r}."
            )
    from keras_electra.models.tokenizer import ElectraTokenizer

    tokenizer = ElectraTokenizer(vocabulary=path, lowercase=lowercase)
    check_vocabulary_size(tokenizer, read_config(directory)["vocab_size"], path)
    return tokenizer


PRETRAINING_HEADS = {
    "ElectraForPreTraining": "discriminator_predictions",
    "ElectraForMaskedLM": "generator_predictions",
}
TIED_DECODER = "generator_lm_head.weight"


def heads_to_canonical(heads, head, source="The checkpoint", word_embeddings=None):
    """Maps the head tensors of a pretraining checkpoint to canonical names, strictly.

    Every tensor in `heads` must belong to `head`; a stored tied MLM decoder
    (`generator_lm_head.weight`) must equal the word embeddings, since
    `ElectraMaskedLM` ties them.
    """
    heads = dict(heads)
    if head == "generator_predictions" and TIED_DECODER in heads:
        decoder = heads.pop(TIED_DECODER)
        if word_embeddings is not None and not np.array_equal(decoder, word_embeddings):
            raise ConversionError(
                f"{source}: {TIED_DECODER} differs from the word embeddings. "
                "ElectraMaskedLM ties its output matrix to the token "
                "embeddings, so an untied decoder cannot be converted."
            )
    table = HEAD_TABLES[head]
    check_names([theirs for theirs, _ in table.values()], heads, f"{source} ({head} head)")
    return {ours: fn(heads[theirs]) if fn else heads[theirs] for ours, (theirs, fn) in table.items()}


def _pretraining_architecture(config):
    found = [a for a in config.get("architectures") or [] if a in PRETRAINING_HEADS]
    return found[0] if found else None


def _load_with_head(directory, architecture):
    """`(backbone, canonical head weights)` of an ElectraForPreTraining / ForMaskedLM checkpoint."""
    config = read_config(directory)
    if _pretraining_architecture(config) != architecture:
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
        length = sequence_length or min(512, backbone.max_sequence_length)
        preprocessor = masked_lm_preprocessor(tokenizer, length)
    return build_masked_lm(backbone, weights, preprocessor, source=f"The checkpoint in {directory}")


PREPROCESSOR_LENGTHS = {
    "ElectraForSequenceClassification": 512,
    "ElectraForTokenClassification": 128,
    "ElectraForMultipleChoice": 128,
    "ElectraForQuestionAnswering": 384,
}


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
        length = sequence_length or min(
            PREPROCESSOR_LENGTHS[architecture], backbone.max_sequence_length
        )
        preprocessor = _task_preprocessor(architecture, tokenizer, length, num_choices)
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


def _task_preprocessor(architecture, tokenizer, sequence_length, num_choices):
    if architecture == "ElectraForSequenceClassification":
        from keras_electra.tasks import ElectraTextClassifierPreprocessor

        return ElectraTextClassifierPreprocessor(tokenizer, sequence_length=sequence_length)
    if architecture == "ElectraForTokenClassification":
        from keras_electra.tasks import ElectraTokenClassifierPreprocessor

        return ElectraTokenClassifierPreprocessor(tokenizer, sequence_length=sequence_length)
    if architecture == "ElectraForQuestionAnswering":
        from keras_electra.tasks import ElectraQuestionAnswererPreprocessor

        # SQuAD defaults (query 64, stride 128), shrunk to fit short sequences.
        return ElectraQuestionAnswererPreprocessor(
            tokenizer, sequence_length=sequence_length,
            max_query_length=min(64, sequence_length // 2),
            doc_stride=min(128, sequence_length // 2),
        )
    from keras_electra.tasks import ElectraMultipleChoicePreprocessor

    return ElectraMultipleChoicePreprocessor(
        tokenizer, num_choices=num_choices, sequence_length=sequence_length
    )


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
    written too. The preset is written to a temporary sibling folder that
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
    from keras_electra.utils.output_files import atomic_directory

    directory = resolve_directory(preset)
    config = read_config(directory)
    pretraining = _pretraining_architecture(config) if role is None else None
    # Everything is loaded and checked (vocab.txt included) before anything is
    # written; the preset goes to a sibling folder that replaces `out` at the end.
    tokenizer = load_tokenizer(directory)
    head = None
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
        model = load_backbone(directory, role=role)
        logger.info("Writing preset %s", out)
    with atomic_directory(out) as tmp:
        model.save_to_preset(tmp)
        if head is not None:
            save_discriminator_head(head, tmp)
        if getattr(model, "preprocessor", None) is not None:
            logger.info("Wrote the %s and its tokenizer", type(model.preprocessor).__name__)
        elif tokenizer is not None:
            tokenizer.save_to_preset(tmp)
            logger.info("Wrote tokenizer vocabulary (%d tokens)", tokenizer.vocabulary_size())
        else:
            logger.info("No %s in %s: preset has no tokenizer", VOCABULARY_FILE, directory)
    return model

