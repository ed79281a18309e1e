"""Loading presets with errors that name the broken file.

A Keras preset (`config.json` naming a registered `ElectraBackbone`) loads here.
Other checkpoint formats (transformers, keras-hub) register a `PresetFormat` with
`register_preset_format`, as keras-hub's preset loaders do: `keras_electra.convert`
registers them on import, so `import keras_electra` makes them loadable and this
module never imports the converters.
"""

import dataclasses
import json
import os

from keras_electra.errors import PresetError
from keras_electra.models.backbone_config import BASE_CONFIG_FIELDS
from keras_electra.models.backbone_config import CONFIG_FIELDS
from keras_electra.models.backbone_config import REQUIRED_CONFIG_FIELDS
from keras_electra.models.backbone_config import config_problem
from keras_electra.models.presets import PRESETS
from keras_electra.models.presets import resolve_preset

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
TOKENIZER_CONFIG_FILE = "tokenizer.json"
VOCABULARY_FILE = os.path.join("assets", "tokenizer", "vocabulary.txt")
TASK_CONFIG_FILE = "task.json"
TASK_WEIGHTS_FILE = "task.weights.h5"
# BERT's trained tanh pooler, kept beside a converted backbone (ELECTRA has none).
POOLER_HEAD_FILE = "pooler_head.safetensors"
# The keys of a serialized Keras object in `config.json` / `task.json`.
SERIALIZED_KEYS = (
    "module", "class_name", "config", "registered_name", "build_config",
    "compile_config",
)
REMOTE_SCHEMES = ("hf://", "kaggle://", "modelscope://", "gs://", "s3://")


@dataclasses.dataclass(frozen=True)
class PresetFormat:
    """A checkpoint format that `ElectraBackbone.from_preset` converts on load.

    Attributes:
        name: the format's name in messages, e.g. `"transformers"`.
        matches: `matches(config)`: whether a parsed `config.json` (or a
            serialized backbone in `task.json`) is in this format.
        check_config: `check_config(config, path)`: raises an `ElectraError`
            naming `path` and the field when the config is invalid.
        load_backbone: `load_backbone(directory, load_weights=True, **kwargs)`:
            the converted `ElectraBackbone`.
        load_task: optional `load_task(cls, directory, load_weights=True,
            **kwargs)`: the task model `cls.from_preset` gives; without it,
            keras-hub's `Task.from_preset` loads the task.
        read_pooler_head: optional `read_pooler_head(directory)`: the
            checkpoint's trained BERT pooler `(kernel, bias)` in Keras layout,
            or None, as `read_pooler_head` reads it from a Keras preset.
        load_tokenizer: optional `load_tokenizer(directory)`: the
            checkpoint's `ElectraTokenizer`, or None when it has no
            vocabulary; without it, keras-hub's `Tokenizer.from_preset` loads it.
    """

    name: str
    matches: object
    check_config: object
    load_backbone: object
    load_task: object = None
    read_pooler_head: object = None
    load_tokenizer: object = None


_PRESET_FORMATS = {}


def register_preset_format(preset_format):
    """Registers a `PresetFormat` (a later one with the same name replaces it).

    Example:
    ```python
    register_preset_format(PresetFormat(
        name="my_format",
        matches=lambda config: config.get("format") == "mine",
        check_config=lambda config, path: None,
        load_backbone=my_loader,
    ))
    ```
    """
    _PRESET_FORMATS[preset_format.name] = preset_format


def registered_preset_formats():
    """The names of the registered formats, in registration order."""
    return tuple(_PRESET_FORMATS)


def find_preset_format(config):
    """The registered `PresetFormat` a parsed config is in, or None (a Keras preset)."""
    for preset_format in _PRESET_FORMATS.values():
        if preset_format.matches(config):
            return preset_format
    return None


def _formats_hint():
    names = registered_preset_formats()
    if names:
        return f"registered formats: {', '.join(names)}"
    return (
        "no converted format is registered; `import keras_electra` (or "
        "`keras_electra.convert`) registers transformers and keras-hub"
    )


def read_json(path):
    """Reads a JSON file; a missing or corrupt file gives a `PresetError`."""
    if not os.path.isfile(path):
        raise PresetError(f"Preset file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise PresetError(f"Preset file {path} is not valid JSON: {e}") from e
    except OSError as e:
        raise PresetError(f"Could not read preset file {path}: {e}") from e


def fetch_remote_config(preset):
    """Downloads `config.json` of a remote handle, or explains why it can't."""
    if preset.startswith("hf://"):
        from keras_electra.models.hub_download import HubRepository

        return HubRepository(preset).fetch(CONFIG_FILE)
    from keras_electra.fast_paths.private_api import keras_hub_get_file

    try:
        return keras_hub_get_file(preset, CONFIG_FILE)
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
    if preset.startswith("hf://"):
        # The whole preset (weights, tokenizer) into the Hugging Face cache.
        from keras_electra.models.hub_download import download_preset

        return download_preset(preset), preset
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
    """Loads an `ElectraBackbone` (or subclass) from any supported preset.

    A Keras preset is checked before and after loading: `config.json` by
    `load_preset_config`, the vocabulary against the embedding table, every
    array of the weights file must go into a model variable (and every
    variable must get one), and every loaded value must be finite.
    """
    directory, _ = preset_directory(preset)
    config = load_preset_config(directory, backbone_cls=cls)
    preset_format = find_preset_format(config)
    if preset_format is not None:
        return preset_format.load_backbone(directory, load_weights=load_weights, **kwargs)
    check_vocabulary_size(directory, config["config"].get("vocabulary_size"))
    if load_weights:
        weights_files(directory)  # a missing file is an error before building
    from keras_hub.models import Backbone

    backbone = build_from_preset(
        lambda: Backbone.from_preset.__func__(
            cls, directory, load_weights=False, **kwargs
        ),
        os.path.join(directory, CONFIG_FILE),
    )
    if load_weights:
        load_backbone_weights(backbone, directory)
    return backbone


def load_tokenizer(cls, preset, **kwargs):
    """Loads an `ElectraTokenizer` from any supported preset.

    A converted format with a `load_tokenizer` hook (a transformers directory
    with `vocab.txt`) gives its tokenizer; anything else loads with
    keras-hub's `Tokenizer.from_preset`.
    """
    from keras_hub.tokenizers import Tokenizer

    directory, _ = preset_directory(preset)
    config = load_preset_config(directory, backbone_cls=cls.backbone_cls)
    preset_format = find_preset_format(config)
    if preset_format is None or preset_format.load_tokenizer is None:
        return Tokenizer.from_preset.__func__(cls, preset, **kwargs)
    tokenizer = preset_format.load_tokenizer(directory)
    if tokenizer is None:
        raise PresetError(
            f"The {preset_format.name} checkpoint in {directory} has no vocabulary "
            "to build a tokenizer from."
        )
    return tokenizer


def build_from_preset(build, path):
    """Runs `build()`; an error building the model becomes a `PresetError` naming `path`."""
    try:
        return build()
    except PresetError:
        raise
    except (OSError, KeyError, TypeError, ValueError) as e:
        raise PresetError(
            f"Could not build the model from {path}: {type(e).__name__}: {e}"
        ) from e


def load_preset_config(directory, backbone_cls=None):
    """Reads and validates a preset's `config.json`; the one entry point for it.

    A Keras preset config (`{"module", "class_name", "config",
    "registered_name"}`) must name a registered subclass of `backbone_cls`
    (keras-hub's `Backbone` when None, as keras-hub's `from_preset` checks
    the calling class) and its
    `config` must hold only known fields, each of the right type and range
    (`keras_electra.models.backbone_config.config_problem`). A config in a
    registered format (a keras-hub ELECTRA config, a transformers
    `config.json`) is checked by its format.

    Args:
        directory: a local preset directory.
        backbone_cls: the class being loaded, e.g. `ElectraBackbone`.

    Returns:
        The parsed config dict.

    Raises:
        PresetError: naming the file and, where there is one, the field
            (`ConversionError` for a transformers or keras-hub config). Both
            are `ElectraError`s.

    Example:
    ```python
    config = load_preset_config("./electra_small_keras")
    config["config"]["hidden_dim"]  # 256
    ```
    """
    path = os.path.join(directory, CONFIG_FILE)
    config = read_json(path)
    if not isinstance(config, dict):
        raise PresetError(
            f"must hold a JSON object; found {type(config).__name__}", path=path
        )
    preset_format = find_preset_format(config)
    if preset_format is not None and "registered_name" not in config:
        preset_format.check_config(config, path)
        return config
    if "registered_name" not in config or "config" not in config:
        raise PresetError(
            f"{path} is neither a Keras preset config (no 'registered_name') nor "
            f"in a registered checkpoint format ({_formats_hint()}; a transformers "
            "config has 'model_type')."
        )
    check_serialized_backbone(config, path, backbone_cls)
    return config


def check_serialized_backbone(config, path, backbone_cls=None):
    """Checks a serialized backbone (from `config.json` or `task.json`).

    `config` must name a registered subclass of `backbone_cls` (keras-hub's
    `Backbone` when None) and hold only `ElectraBackbone` config fields
    (`backbone_config`), each valid.
    """
    unknown = sorted(set(config) - set(SERIALIZED_KEYS))
    if unknown:
        raise PresetError(
            "unknown field in a serialized Keras object; expected only "
            f"{', '.join(SERIALIZED_KEYS)}",
            path=path, field=unknown[0],
        )
    for key in ("module", "class_name", "registered_name"):
        if not isinstance(config.get(key), str):
            raise PresetError(
                f"must be a string; received {config.get(key)!r}", path=path, field=key
            )
    inner = config["config"]
    if not isinstance(inner, dict):
        raise PresetError(
            f"must be a JSON object; received {type(inner).__name__}",
            path=path, field="config",
        )
    preset_format = find_preset_format(config)
    if preset_format is not None:
        preset_format.check_config(config, path)
        return
    if config["module"].startswith("keras_hub"):
        raise PresetError(
            f"is a keras-hub backbone, but that format is not registered ({_formats_hint()})",
            path=path, field="module",
        )
    import keras
    from keras_hub.models import Backbone

    base = backbone_cls or Backbone
    registered = keras.saving.get_registered_object(config["registered_name"])
    if not (isinstance(registered, type) and issubclass(registered, base)):
        raise PresetError(
            f"{config['registered_name']!r} is not a registered {base.__name__}",
            path=path, field="registered_name",
        )
    unknown = [k for k in inner if k not in CONFIG_FIELDS and k not in BASE_CONFIG_FIELDS]
    if unknown:
        raise PresetError(
            "unknown backbone config field; ElectraBackbone takes "
            f"{', '.join(list(CONFIG_FIELDS) + list(BASE_CONFIG_FIELDS))}",
            path=path, field=unknown[0],
        )
    for field in REQUIRED_CONFIG_FIELDS:
        if field not in inner:
            raise PresetError("is missing", path=path, field=field)
    if not isinstance(inner.get("name", ""), str):
        raise PresetError(
            f"must be a string; received {inner['name']!r}", path=path, field="name"
        )
    if not isinstance(inner.get("trainable", True), bool):
        raise PresetError(
            f"must be true or false; received {inner['trainable']!r}",
            path=path, field="trainable",
        )
    problem = config_problem(inner)
    if problem is not None:
        raise PresetError(problem[1], path=path, field=problem[0])


def weights_files(directory, name=WEIGHTS_FILE):
    """The weights file of a preset (the shard index when sharded) and its HDF5 files.

    Raises:
        PresetError: when neither `name` nor its shard index is present, or
            the index is unreadable.
    """
    single = os.path.join(directory, name)
    if os.path.isfile(single):
        return single, [single]
    index = single[: -len(".h5")] + ".json"
    if not os.path.isfile(index):
        raise PresetError(f"Preset weights not found: {single}")
    index_config = read_json(index)
    weight_map = index_config.get("weight_map") if isinstance(index_config, dict) else None
    if not isinstance(weight_map, dict):
        raise PresetError("has no 'weight_map' object", path=index, field="weight_map")
    shards = set()
    for value in weight_map.values():
        shards.update(value if isinstance(value, list) else [value])
    if not all(isinstance(s, str) for s in shards):
        raise PresetError("shard names must be strings", path=index, field="weight_map")
    return index, [os.path.join(directory, s) for s in sorted(shards)]


def stored_arrays(files):
    """`{dataset path: shape}` of every model array in Keras `.weights.h5` files.

    The optimizer state a compiled model saves alongside (`optimizer/...`)
    is not a model array and is left out.

    Raises:
        PresetError: naming a file that is missing, truncated or not HDF5.
    """
    import h5py

    arrays = {}
    for path in files:
        if not os.path.isfile(path):
            raise PresetError(f"Preset weights not found: {path}")
        try:
            with h5py.File(path, "r") as f:
                f.visititems(
                    lambda name, obj: arrays.__setitem__(name, obj.shape)
                    if isinstance(obj, h5py.Dataset)
                    and not name.startswith("optimizer/") else None
                )
        except (OSError, RuntimeError, ValueError) as e:
            raise PresetError(
                f"is not a readable Keras weights file (truncated or "
                f"corrupt?): {type(e).__name__}: {e}",
                path=path,
            ) from e
    return arrays


def load_weights_checked(model, path, files, variables, load):
    """Loads weights with `load(path)`, strictly.

    Every array stored in `files` must go into one of `variables` (a
    checkpoint of a deeper or wider model is refused, never silently cut),
    and every loaded value must be finite.

    Args:
        model: the model being loaded, for its class name in errors.
        path: the weights file (or shard index) given to `load`.
        files: the HDF5 files behind `path`.
        variables: the variables `load` writes.
        load: a function of `path` that loads the weights.

    Raises:
        PresetError: naming `path` and the problem or variable.
    """
    stored = stored_arrays(files)
    try:
        load(path)
    except (OSError, KeyError, TypeError, ValueError) as e:
        raise PresetError(
            f"Could not load the weights of {type(model).__name__}: "
            f"{type(e).__name__}: {e}",
            path=path,
        ) from e
    if len(stored) != len(variables):
        raise PresetError(
            f"holds {len(stored)} arrays but {type(model).__name__} has "
            f"{len(variables)} variables to load; the weights belong to a "
            "different architecture (e.g. another num_layers) than the config "
            "describes, and loading them would drop or invent weights",
            path=path,
        )
    check_finite_variables(variables, path)


def check_finite_variables(variables, path):
    """Raises a `PresetError` naming the first variable holding NaN or infinity."""
    import keras
    import numpy as np

    for variable in variables:
        value = keras.ops.convert_to_numpy(variable)
        if not np.isfinite(value).all():
            bad = int(np.size(value) - np.isfinite(value).sum())
            raise PresetError(
                f"variable {variable.path} holds {bad} non-finite values "
                "(NaN or infinity) after loading",
                path=path,
            )


def load_backbone_weights(backbone, directory):
    """Loads a preset's `model.weights.h5` (or shards) into `backbone`, strictly."""
    path, files = weights_files(directory)
    load_weights_checked(
        backbone, path, files, unique_variables(backbone.weights), backbone.load_weights
    )


def unique_variables(variables, exclude=()):
    """`variables` without repeats (tied tables) and without those in `exclude`."""
    seen = {id(v) for v in exclude}
    out = []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


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


def write_pooler_head(directory, kernel, bias):
    """Writes a BERT-style pooler (`tanh(cls @ kernel + bias)`) beside a backbone preset."""
    from keras_electra.utils.safetensors_io import write_safetensors

    write_safetensors(
        os.path.join(directory, POOLER_HEAD_FILE),
        {"pooler/kernel": kernel, "pooler/bias": bias},
        metadata={"format": "keras_electra", "activation": "tanh"},
    )


def read_pooler_head(directory, hidden_dim):
    """The `(kernel, bias)` of a preset's pooler head, or None when it has none.

    Raises:
        PresetError: when the file is unreadable, lacks `pooler/kernel` or
            `pooler/bias`, does not fit `hidden_dim`, or is not finite.
    """
    import numpy as np

    from keras_electra.errors import ElectraError
    from keras_electra.utils.safetensors_io import read_safetensors

    path = os.path.join(directory, POOLER_HEAD_FILE)
    if not os.path.isfile(path):
        return None
    try:
        tensors = read_safetensors(path)
    except ElectraError as e:
        raise PresetError(f"is not a readable safetensors file: {e}", path=path) from e
    expected = {"pooler/kernel": (hidden_dim, hidden_dim), "pooler/bias": (hidden_dim,)}
    for name, shape in expected.items():
        value = tensors.get(name)
        if value is None:
            raise PresetError(f"has no {name!r} (found {sorted(tensors)})", path=path)
        if tuple(value.shape) != shape:
            raise PresetError(
                f"{name!r} has shape {tuple(value.shape)}, expected {shape} for a "
                f"backbone with hidden_dim={hidden_dim}",
                path=path,
            )
        if not np.isfinite(value).all():
            raise PresetError(f"{name!r} holds non-finite values", path=path)
    return tensors["pooler/kernel"], tensors["pooler/bias"]
