"""Loading presets with errors that name the broken file."""

from keras_electra.errors import ElectraError
import json
import os

from keras_electra.models.presets import PRESETS
from keras_electra.models.presets import resolve_preset

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
TOKENIZER_CONFIG_FILE = "tokenizer.json"
VOCABULARY_FILE = os.path.join("assets", "tokenizer", "vocabulary.txt")
REMOTE_SCHEMES = ("hf://", "kaggle://", "modelscope://", "gs://", "s3://")


class PresetError(ElectraError):
    """A preset is missing, unreadable or inconsistent."""


def read_json(path):
    """Reads a JSON file; a missing or corrupt file gives a `PresetError`."""
    if not os.path.isfile(path):
        raise PresetError(f"Preset file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PresetError(f"Preset file {path} is not valid JSON: {e}") from e


def fetch_remote_config(preset):
    """Downloads `config.json` of a remote handle, or explains why it can't."""
    from keras_hub.src.utils.preset_utils import get_file

    try:
        return get_file(preset, CONFIG_FILE)
    except Exception as e:  # network, auth and hub errors all land here
        names = [n for n, p in PRESETS.items() if p["handle"] == preset]
        label = f"'{names[0]}' ({preset})" if names else f"'{preset}'"
        raise PresetError(
            f"Could not download preset {label}: {type(e).__name__}: {e}. "
            "Loading a public checkpoint needs network access to its hub. "
            "Offline, download it elsewhere and load the local directory, or "
            "convert it with `keras-electra convert`."
        ) from e


def preset_directory(preset):
    """Resolves a name or handle to a local directory (downloading if remote)."""
    preset = resolve_preset(preset)
    if preset.startswith(REMOTE_SCHEMES):
        return os.path.dirname(fetch_remote_config(preset)), preset
    if not os.path.isdir(preset):
        raise PresetError(
            f"Preset '{preset}' is neither a registered name "
            f"({', '.join(PRESETS)}), a handle ({', '.join(REMOTE_SCHEMES)}) "
            "nor an existing directory."
        )
    return preset, preset


def load_backbone(cls, preset, load_weights=True, **kwargs):
    """Loads an `ElectraBackbone` (or subclass) from any supported preset."""
    directory, handle = preset_directory(preset)
    config = read_json(os.path.join(directory, CONFIG_FILE))
    if "model_type" in config:
        from keras_electra.convert import transformers as hf

        # A remote handle also needs its weights fetched, not just config.json.
        source = handle if handle.startswith("hf://") else directory
        return hf.load_backbone(source, load_weights=load_weights, **kwargs)
    if "registered_name" not in config or "config" not in config:
        raise PresetError(
            f"{os.path.join(directory, CONFIG_FILE)} is neither a Keras preset "
            "config (no 'registered_name') nor a transformers config (no "
            "'model_type')."
        )
    if config.get("module", "").startswith("keras_hub"):
        from keras_electra.convert import keras_hub as kh

        return kh.load_backbone(directory, load_weights=load_weights, **kwargs)
    check_vocabulary_size(directory, config["config"].get("vocabulary_size"))
    weights = os.path.join(directory, WEIGHTS_FILE)
    if load_weights and not os.path.isfile(weights):
        if not os.path.isfile(os.path.join(directory, "model.weights.json")):
            raise PresetError(f"Preset weights not found: {weights}")
    from keras_hub.models import Backbone

    try:
        return Backbone.from_preset.__func__(
            cls, directory, load_weights=load_weights, **kwargs
        )
    except (OSError, KeyError, ValueError) as e:
        if isinstance(e, PresetError):
            raise
        if load_weights and _is_weights_error(e):
            raise PresetError(
                f"Could not load the weights in {weights}: "
                f"{type(e).__name__}: {e}"
            ) from e
        raise PresetError(
            f"Could not build the model from {os.path.join(directory, CONFIG_FILE)}"
            f": {type(e).__name__}: {e}"
        ) from e


def _is_weights_error(error):
    text = str(error).lower()
    return any(
        key in text
        for key in ("h5", "hdf5", "signature", "truncated", "weights", "file")
    )


def check_vocabulary_size(directory, vocabulary_size):
    """Checks a preset's vocabulary file against its embedding table size."""
    path = os.path.join(directory, VOCABULARY_FILE)
    if vocabulary_size is None or not os.path.isfile(path):
        return
    try:
        with open(path, encoding="utf-8") as f:
            count = sum(1 for _ in f)
    except UnicodeDecodeError as e:
        raise PresetError(f"Vocabulary file {path} is not UTF-8: {e}") from e
    if count != vocabulary_size:
        raise PresetError(
            f"The vocabulary {path} has {count} tokens but the model's "
            f"embedding table has vocabulary_size={vocabulary_size}. The "
            "tokenizer and the model do not belong together."
        )
