"""keras-hub `ElectraBackbone` presets to keras-electra's `ElectraBackbone`.

keras-hub's ELECTRA (`kaggle://keras/electra/keras/...`) has the same
encoder, with three differences handled here:

- its variables live on differently named layers (`embeddings_layer_norm`
  rather than `embeddings/layer_norm`), mapped by `hub_variable_table`;
- it adds a tanh `pooled_dense` on [CLS] that is randomly initialised in
  its presets and has no counterpart in ELECTRA; it is dropped (and logged),
  and our `pooled_output` is the [CLS] vector itself;
- it uses the tanh approximation of GELU, while ELECTRA (and we) use the
  exact erf GELU, so outputs differ slightly (~1e-3 on random weights) from
  keras-hub's own, and match the original ELECTRA.
"""

import logging
import os

from keras_electra.convert.json_files import read_json_object
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import check_vocabulary_size
from keras_electra.convert.weights import set_backbone_weights
from keras_electra.layers.canonical import collect_variables
from keras_electra.layers.encoder_layer import encoder_layer_variables
from keras_electra.models.backbone import PROJECTION_VARIABLES

logger = logging.getLogger("keras_electra.convert")

DROPPED_LAYERS = ("pooled_dense",)


def hub_variable_table(hub_backbone):
    """Maps canonical names to the variables of a keras-hub `ElectraBackbone`.

    Its embeddings live on differently named layers (mapped here); the
    projection and the Transformer layers have ours' sublayers and publish
    their variables through the same descriptions.
    """
    get = hub_backbone.get_layer
    table = {
        "embeddings/word_embeddings": get("token_embedding").embeddings,
        "embeddings/position_embeddings": get("position_embedding").position_embeddings,
        "embeddings/token_type_embeddings": get("segment_embedding").embeddings,
        "embeddings/LayerNorm/gamma": get("embeddings_layer_norm").gamma,
        "embeddings/LayerNorm/beta": get("embeddings_layer_norm").beta,
    }
    if hub_backbone.hidden_dim != hub_backbone.embedding_dim:
        table.update(collect_variables(
            get("embeddings_projection"), PROJECTION_VARIABLES, "embeddings_project/"
        ))
    for i in range(hub_backbone.num_layers):
        table.update(encoder_layer_variables(get(f"transformer_layer_{i}"), f"encoder/layer_{i}/"))
    return table


# keras-hub `ElectraBackbone` config field -> ours.
CONFIG_FIELDS = {
    "vocab_size": "vocabulary_size",
    "num_layers": "num_layers",
    "num_heads": "num_heads",
    "hidden_dim": "hidden_dim",
    "intermediate_dim": "intermediate_dim",
    "embedding_dim": "embedding_dim",
    "dropout": "dropout",
    "max_sequence_length": "max_sequence_length",
    "num_segments": "num_segments",
}
REQUIRED_FIELDS = (
    "vocab_size", "num_layers", "num_heads", "hidden_dim", "intermediate_dim",
    "embedding_dim",
)


def config_to_backbone_kwargs(config, source="config.json"):
    """Maps a keras-hub `ElectraBackbone` config to ours, checking every field.

    Raises:
        ConversionError: naming `source` and a missing or invalid field.
    """
    from keras_electra.models.backbone_config import config_problem

    if not isinstance(config, dict):
        raise ConversionError(f"{source}: the backbone config must be a JSON object.")
    for field in REQUIRED_FIELDS:
        if field not in config:
            raise ConversionError(f"{source}: field {field!r}: is missing.")
    ours = {ours: config[theirs] for theirs, ours in CONFIG_FIELDS.items() if theirs in config}
    problem = config_problem(ours)
    if problem is not None:
        theirs = {v: k for k, v in CONFIG_FIELDS.items()}[problem[0]]
        raise ConversionError(f"{source}: field {theirs!r}: {problem[1]}.")
    return dict(
        vocabulary_size=config["vocab_size"],
        num_layers=config["num_layers"],
        num_heads=config["num_heads"],
        hidden_dim=config["hidden_dim"],
        intermediate_dim=config["intermediate_dim"],
        embedding_dim=config["embedding_dim"],
        dropout=config.get("dropout", 0.1),
        max_sequence_length=config.get("max_sequence_length", 512),
        num_segments=config.get("num_segments", 2),
        layer_norm_epsilon=1e-12,
    )


def _read_preset_config(preset):
    path = os.path.join(preset, "config.json")
    if os.path.isdir(preset):
        if not os.path.isfile(path):
            raise ConversionError(f"keras-hub preset config not found: {path}")
        config = read_json_object(path)
        name = config.get("registered_name") or ""
        module = config.get("module") or ""
        if not isinstance(module, str) or not module.startswith("keras_hub") or (
            not isinstance(name, str) or not name.endswith("ElectraBackbone")
        ):
            raise ConversionError(
                f"{path} is not a keras-hub ElectraBackbone preset "
                f"(module={config.get('module')!r}, registered_name={name!r})."
            )
        config_to_backbone_kwargs(config.get("config"), source=path)
        return config
    return None


def load_hub_backbone(preset, load_weights=True):
    """Loads keras-hub's own `ElectraBackbone` from a preset directory or handle."""
    import keras_hub

    _read_preset_config(preset)
    return keras_hub.models.ElectraBackbone.from_preset(preset, load_weights=load_weights)


def load_backbone(preset, load_weights=True, **kwargs):
    """Builds keras-electra's `ElectraBackbone` from a keras-hub ELECTRA preset.

    Every keras-hub variable is mapped except `pooled_dense` (dropped, see the
    module docstring); an unmapped variable raises a `ConversionError`.

    Example:
    ```python
    backbone = load_backbone("kaggle://keras/electra/keras/electra_small_discriminator_uncased_en")
    ```
    """
    from keras_electra.models.backbone import ElectraBackbone

    hub = load_hub_backbone(preset, load_weights=load_weights)
    backbone_kwargs = config_to_backbone_kwargs(hub.get_config())
    backbone_kwargs.update(kwargs)
    backbone = ElectraBackbone(**backbone_kwargs)
    if not load_weights:
        return backbone
    import keras

    table = hub_variable_table(hub)
    mapped = {id(v) for v in table.values()}
    dropped = [v.path for v in hub.weights
               if id(v) not in mapped and v.path.split("/")[0] in DROPPED_LAYERS]
    unmapped = [v.path for v in hub.weights
                if id(v) not in mapped and v.path.split("/")[0] not in DROPPED_LAYERS]
    if unmapped:
        raise ConversionError(
            f"The keras-hub preset {preset} has variables keras-electra cannot "
            f"map: {', '.join(unmapped)}."
        )
    weights = {name: keras.ops.convert_to_numpy(v) for name, v in table.items()}
    set_backbone_weights(backbone, weights, source=f"The keras-hub preset {preset}")
    logger.info("Loaded %d tensors from keras-hub preset %s", len(weights), preset)
    logger.info(
        "Dropped %s: keras-hub's tanh pooler is randomly initialised in its "
        "presets and has no ELECTRA counterpart; pooled_output is the [CLS] "
        "vector.", ", ".join(dropped) or "pooled_dense",
    )
    logger.info(
        "Note: keras-hub runs tanh-approximate GELU; the converted backbone "
        "uses ELECTRA's exact GELU, so outputs differ slightly from keras-hub's."
    )
    return backbone


def load_tokenizer(preset):
    """keras-electra's `ElectraTokenizer` with a keras-hub preset's vocabulary, or None.

    Raises:
        ConversionError: when the vocabulary does not have exactly the
            backbone's `vocab_size` tokens, or `tokenizer.json` is unusable.
    """
    path = os.path.join(preset, "assets", "tokenizer", "vocabulary.txt")
    if not os.path.isfile(path):
        return None
    lowercase = True
    config_path = os.path.join(preset, "tokenizer.json")
    if os.path.isfile(config_path):
        inner = read_json_object(config_path).get("config")
        lowercase = inner.get("lowercase", True) if isinstance(inner, dict) else None
        if not isinstance(lowercase, bool):
            raise ConversionError(
                f"{config_path}: field 'lowercase': must be true or false; "
                f"received {lowercase!r}."
            )
    from keras_electra.models.tokenizer import ElectraTokenizer

    tokenizer = ElectraTokenizer(vocabulary=path, lowercase=lowercase)
    config = _read_preset_config(preset)
    if config is not None:
        check_vocabulary_size(tokenizer, config["config"]["vocab_size"], path)
    return tokenizer


def convert_checkpoint(preset, out):
    """Converts a keras-hub ELECTRA preset into a keras-electra preset directory.

    The backbone and tokenizer are loaded first, then written to a temporary
    sibling folder that replaces `out` only when complete.
    """
    from keras_electra.utils.output_files import atomic_directory

    backbone = load_backbone(preset)
    tokenizer = load_tokenizer(preset) if os.path.isdir(preset) else None
    logger.info("Writing preset %s", out)
    with atomic_directory(out) as tmp:
        backbone.save_to_preset(tmp)
        if tokenizer is not None:
            tokenizer.save_to_preset(tmp)
            logger.info("Wrote tokenizer vocabulary (%d tokens)", tokenizer.vocabulary_size())
    return backbone
