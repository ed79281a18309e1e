"""Reading a transformers checkpoint directory: config, weights and tokenizer.

A directory holds `config.json` plus `model.safetensors` (optionally
sharded) or `pytorch_model.bin`, and optionally `vocab.txt` with
`tokenizer_config.json`. A `.bin` is read only with
`torch.load(weights_only=True)`, and only when torch is installed; nothing
else is ever unpickled. An `hf://owner/name` handle is downloaded first.
"""

import logging
import os

from keras_electra.convert.json_files import read_json_object
from keras_electra.utils.safetensors_io import CheckpointFileError
from keras_electra.utils.safetensors_io import read_safetensors
from keras_electra.convert.transformers_config import BACKBONE_TO_TRANSFORMERS
from keras_electra.convert.transformers_config import HIDDEN_ACT
from keras_electra.convert.transformers_config import TRANSFORMERS_DEFAULTS
from keras_electra.convert.transformers_config import from_transformers_config
from keras_electra.convert.transformers_names import ARCHITECTURES
from keras_electra.convert.transformers_names import MODEL_TYPES
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import check_vocabulary_size

logger = logging.getLogger("keras_electra.convert")

CONFIG_FILE = "config.json"
SAFETENSORS_FILE = "model.safetensors"
SAFETENSORS_INDEX_FILE = "model.safetensors.index.json"
BIN_FILE = "pytorch_model.bin"
VOCABULARY_FILE = "vocab.txt"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"

REQUIRED_CONFIG_FIELDS = (
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
    "intermediate_size", "max_position_embeddings",
)


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


def read_config(directory):
    """Reads and validates `config.json` of a transformers checkpoint.

    Example:
    ```python
    config = read_config("./electra-small-discriminator")
    config["model_type"]  # "electra"
    ```
    """
    path = os.path.join(directory, CONFIG_FILE)
    if not os.path.isfile(path):
        raise CheckpointFileError(f"Transformers config not found: {path}")
    config = read_json_object(path)
    check_config(config, path)
    return config


def check_config(config, path=CONFIG_FILE):
    """Checks a transformers config: model type, architectures and the fields we use.

    Every field that becomes an `ElectraBackbone` argument must have the
    right type and range (`hidden_size: "big"` is refused); the required
    ones must be present.

    Raises:
        ConversionError: naming `path` and the field.
    """
    from keras_electra.models.backbone import config_problem

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


def read_weights(directory):
    """Reads the weights of a transformers checkpoint into numpy arrays."""
    safetensors = os.path.join(directory, SAFETENSORS_FILE)
    index = os.path.join(directory, SAFETENSORS_INDEX_FILE)
    binary = os.path.join(directory, BIN_FILE)
    if os.path.isfile(safetensors):
        logger.info("Reading %s", safetensors)
        return read_safetensors(safetensors)
    if os.path.isfile(index):
        weight_map = read_json_object(index).get("weight_map")
        if not isinstance(weight_map, dict):
            raise ConversionError(f"{index}: field 'weight_map': must be a JSON object.")
        tensors = {}
        for shard in sorted(set(weight_map.values())):
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


def load_checkpoint(preset):
    """Reads `(config, tensors)` from a directory or `hf://` handle."""
    directory = resolve_directory(preset)
    config = read_config(directory)
    return config, read_weights(directory)


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
        lowercase = read_json_object(config_path).get("do_lower_case", True)
        if not isinstance(lowercase, bool):
            raise ConversionError(
                f"{config_path}: field 'do_lower_case': must be true or false; "
                f"received {lowercase!r}."
            )
    from keras_electra.models.tokenizer import ElectraTokenizer

    tokenizer = ElectraTokenizer(vocabulary=path, lowercase=lowercase)
    check_vocabulary_size(tokenizer, read_config(directory)["vocab_size"], path)
    return tokenizer
