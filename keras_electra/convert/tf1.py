"""Original google-research/electra TF1 checkpoints to `ElectraBackbone`s.

The input is a `model.ckpt` prefix (e.g. `electra_small/electra_small`). The
original pretraining graph names its variables:

- `electra/...`: the discriminator (`electra/embeddings/*`,
  `electra/embeddings_project/*` when embedding size != hidden size,
  `electra/encoder/layer_{i}/...`);
- `generator/...`: the generator, which shares `electra/embeddings` (unless
  it was trained with untied embeddings, `generator/embeddings/*`) and has
  its own `generator/embeddings_project`;
- `generator_predictions/...` and `discriminator_predictions/...`: the heads.

Adam slots (`*/adam_m`, `*/adam_v`) and `global_step` are skipped. Sizes are
inferred from shapes; the number of attention heads cannot be, so it is an
argument defaulting to `max(1, hidden // 64)`, the original rule. TensorFlow
is imported only inside these functions.
"""

import logging
import os

import numpy as np

from keras_electra.utils.safetensors_io import CheckpointFileError
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import check_vocabulary_size
from keras_electra.convert.weights import EMBEDDING_NAMES
from keras_electra.convert.weights import canonical_names
from keras_electra.convert.weights import extract_named
from keras_electra.convert.weights import infer_backbone_kwargs
from keras_electra.convert.weights import set_backbone_weights
from keras_electra.errors import ElectraError

logger = logging.getLogger("keras_electra.convert")

DISCRIMINATOR_SCOPE = "electra"
GENERATOR_SCOPE = "generator"
SKIPPED_SUFFIXES = ("/adam_m", "/adam_v", "/Adam", "/Adam_1", "/Momentum")
SKIPPED_NAMES = ("global_step",)
# Head tables: canonical head name -> (TF1 name, transform). The canonical
# names are the TF1 names, so these are identities; they are the single place
# to change if a head's layout ever differs.
HEAD_TABLES = {
    "discriminator_predictions": {
        f"discriminator_predictions/{n}": (f"discriminator_predictions/{n}", None)
        for n in ("dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias")
    },
    "generator_predictions": {
        f"generator_predictions/{n}": (f"generator_predictions/{n}", None)
        for n in ("dense/kernel", "dense/bias", "LayerNorm/gamma", "LayerNorm/beta", "output_bias")
    },
}


def is_skipped(name):
    """True for optimizer slots and the step counter."""
    return name in SKIPPED_NAMES or name.endswith(SKIPPED_SUFFIXES)


def read_checkpoint(prefix):
    """Reads a TF1 checkpoint into `{name: numpy array}`, skipping optimizer state.

    Example:
    ```python
    variables = read_checkpoint("electra_small/electra_small")
    variables["electra/embeddings/word_embeddings"].shape  # (30522, 128)
    ```
    """
    index = prefix + ".index"
    if not os.path.isfile(index):
        raise CheckpointFileError(
            f"TF1 checkpoint not found: {index} does not exist. Pass the "
            "checkpoint prefix (e.g. 'electra_small/electra_small' or "
            "'model.ckpt-1000000'), not a file inside it."
        )
    try:
        import tensorflow as tf
    except ImportError as e:
        raise CheckpointFileError(
            "Reading TF1 checkpoints needs TensorFlow (pip install tensorflow)."
        ) from e
    try:
        reader = tf.train.load_checkpoint(prefix)
        names = sorted(reader.get_variable_to_shape_map())
    except Exception as e:  # corrupt index
        raise CheckpointFileError(
            f"Could not read the TF1 checkpoint {prefix} (files "
            f"{', '.join(_files(prefix))}): {type(e).__name__}: {e}"
        ) from e
    variables, skipped = {}, 0
    for name in names:
        if is_skipped(name):
            skipped += 1
            continue
        try:
            variables[name] = np.asarray(reader.get_tensor(name))
        except Exception as e:  # truncated data shard
            raise CheckpointFileError(
                f"Could not read variable {name} from the TF1 checkpoint "
                f"{prefix} (files {', '.join(_files(prefix))}); the file is "
                f"truncated or corrupt: {type(e).__name__}: {e}"
            ) from e
    logger.info("Read %d variables from %s (skipped %d optimizer/step variables)",
                len(variables), prefix, skipped)
    return variables


def _files(prefix):
    directory = os.path.dirname(prefix) or "."
    base = os.path.basename(prefix)
    return sorted(
        os.path.join(directory, f) for f in os.listdir(directory) if f.startswith(base + ".")
    )


def backbone_weights(variables, scope):
    """The canonical weights of the backbone under `scope` (`electra` or `generator`).

    The generator's embeddings come from `electra/embeddings` unless the
    checkpoint has its own `generator/embeddings`.
    """
    prefix = scope + "/"
    weights = {k[len(prefix):]: v for k, v in variables.items() if k.startswith(prefix)}
    if not any(n in weights for n in EMBEDDING_NAMES):
        shared = DISCRIMINATOR_SCOPE + "/"
        for name in EMBEDDING_NAMES:
            if shared + name in variables:
                weights[name] = variables[shared + name]
    return weights


def expected_variables(variables, scopes):
    """Every variable name the converter accounts for, per scope and head."""
    names = set()
    for scope in scopes:
        weights = backbone_weights(variables, scope)
        kwargs = infer_backbone_kwargs(weights, source=f"TF1 scope {scope}/")
        own = any(f"{scope}/{n}" in variables for n in EMBEDDING_NAMES)
        for name in canonical_names(kwargs["num_layers"], kwargs["embedding_dim"] != kwargs["hidden_dim"]):
            if name in EMBEDDING_NAMES and not own:
                names.add(f"{DISCRIMINATOR_SCOPE}/{name}")
            else:
                names.add(f"{scope}/{name}")
    for table in HEAD_TABLES.values():
        names.update(theirs for theirs, _ in table.values() if theirs in variables)
    return names


def extract_head_weights(variables, head, strict=True):
    """Extracts a pretraining head from TF1 variables as named numpy arrays.

    Args:
        variables: `{name: array}` from `read_checkpoint`.
        head: `"discriminator_predictions"` or `"generator_predictions"`.
        strict: raise when a head variable is missing.

    Returns:
        dict of canonical head name -> array, the same names and layouts
        `keras_electra.convert.transformers_weights.extract_head_weights` returns.
    """
    if head not in HEAD_TABLES:
        raise ElectraError(f"Unknown head {head!r}; expected one of {', '.join(HEAD_TABLES)}.")
    return extract_named(variables, HEAD_TABLES[head], source=f"The TF1 checkpoint ({head})", strict=strict)


def load_backbones(prefix, num_heads=None, generator_num_heads=None, variables=None):
    """Builds the discriminator and generator `ElectraBackbone`s of a TF1 checkpoint.

    Loading is strict: every variable of the checkpoint other than the
    optimizer state must be a backbone or head variable, every backbone
    variable must be present with the right shape.

    Args:
        prefix: the checkpoint prefix.
        num_heads: discriminator attention heads; default `max(1, hidden // 64)`.
        generator_num_heads: generator attention heads; same default.
        variables: already-read variables (skips reading `prefix`).

    Returns:
        dict with `"discriminator"` and, when the checkpoint has one,
        `"generator"` backbones.

    Example:
    ```python
    models = load_backbones("electra_small/electra_small", num_heads=4,
                            generator_num_heads=1)
    models["discriminator"].hidden_dim  # 256
    ```
    """
    from keras_electra.models.backbone import ElectraBackbone

    if variables is None:
        variables = read_checkpoint(prefix)
    scopes = [s for s in (DISCRIMINATOR_SCOPE, GENERATOR_SCOPE)
              if any(k.startswith(s + "/encoder/") for k in variables)]
    if DISCRIMINATOR_SCOPE not in scopes:
        raise ConversionError(
            f"{prefix} has no electra/encoder variables; it is not an ELECTRA "
            "checkpoint (scopes found: "
            f"{', '.join(sorted({k.split('/')[0] for k in variables}))})."
        )
    unexpected = sorted(set(variables) - expected_variables(variables, scopes))
    if unexpected:
        raise ConversionError(
            f"The TF1 checkpoint {prefix} has unexpected variables: {', '.join(unexpected)}."
        )
    heads = {DISCRIMINATOR_SCOPE: num_heads, GENERATOR_SCOPE: generator_num_heads}
    roles = {DISCRIMINATOR_SCOPE: "discriminator", GENERATOR_SCOPE: "generator"}
    models = {}
    for scope in scopes:
        weights = backbone_weights(variables, scope)
        source = f"The TF1 checkpoint {prefix} (scope {scope}/)"
        kwargs = infer_backbone_kwargs(weights, num_heads=heads[scope], source=source)
        if kwargs["hidden_dim"] % kwargs["num_heads"]:
            raise ConversionError(
                f"{source}: hidden size {kwargs['hidden_dim']} is not divisible by "
                f"{kwargs['num_heads']} heads; pass the right --num-heads / --generator-num-heads."
            )
        logger.info("%s: %s", roles[scope], ", ".join(f"{k}={v}" for k, v in kwargs.items()))
        backbone = ElectraBackbone(**kwargs)
        set_backbone_weights(backbone, weights, source=source)
        models[roles[scope]] = backbone
    found = [h for h, t in HEAD_TABLES.items() if any(n in variables for n, _ in t.values())]
    if found:
        logger.info(
            "Heads in the checkpoint (not part of the backbones): %s", ", ".join(found)
        )
    return models


def load_pretrainer_from_tf1(prefix, num_heads=None, generator_num_heads=None, variables=None,
                             tokenizer=None, models=None):
    """The full `ElectraPretrainer` of a TF1 pretraining checkpoint, ready to continue.

    Discriminator, generator (sharing the discriminator's embeddings, as the
    original does, unless the checkpoint has `generator/embeddings`) and both
    heads are loaded strictly. Special token ids come from `tokenizer` when
    given, else the original uncased vocabulary's.

    Example:
    ```python
    pretrainer = load_pretrainer_from_tf1("electra_small/electra_small",
                                          num_heads=4, generator_num_heads=1)
    ```
    """
    from keras_electra.convert.pretraining import assemble_pretrainer
    from keras_electra.models.backbone import ElectraBackbone

    if variables is None:
        variables = read_checkpoint(prefix)
    if models is None:
        models = load_backbones(prefix, num_heads, generator_num_heads, variables=variables)
    if "generator" not in models:
        raise ConversionError(f"The TF1 checkpoint {prefix} has no generator/ scope.")
    tied = not any(f"{GENERATOR_SCOPE}/{n}" in variables for n in EMBEDDING_NAMES)

    def rebuild(backbone, name, embedding_layer=None):
        config = backbone.get_config()
        config.pop("name", None)
        config.pop("trainable", None)
        return ElectraBackbone(**config, embedding_layer=embedding_layer, name=name)

    discriminator = rebuild(models["discriminator"], "discriminator")
    generator = rebuild(models["generator"], "generator",
                        discriminator.embeddings if tied else None)
    for scope, backbone in ((DISCRIMINATOR_SCOPE, discriminator), (GENERATOR_SCOPE, generator)):
        set_backbone_weights(backbone, backbone_weights(variables, scope),
                             source=f"The TF1 checkpoint {prefix} (scope {scope}/)")
    kwargs = {}
    if tokenizer is None:
        from keras_electra.models.pretrainer import ORIGINAL_SPECIAL_IDS

        if not _special_ids_known(tokenizer, discriminator):
            raise ConversionError(
                f"Without a vocabulary the pretrainer uses the original uncased "
                f"special token ids {ORIGINAL_SPECIAL_IDS}, which do not fit this "
                f"vocabulary of {discriminator.vocabulary_size}; pass the vocab.txt."
            )
    else:
        check_vocabulary_size(tokenizer, discriminator.vocabulary_size, "of the tokenizer passed")
        kwargs = dict(mask_token_id=tokenizer.mask_token_id, cls_token_id=tokenizer.cls_token_id,
                      sep_token_id=tokenizer.sep_token_id, pad_token_id=tokenizer.pad_token_id)
    return assemble_pretrainer(
        discriminator, generator,
        extract_head_weights(variables, "discriminator_predictions"),
        extract_head_weights(variables, "generator_predictions"),
        embedding_sharing="tied" if tied else "untied",
        **kwargs,
    )


def convert_checkpoint(prefix, out, num_heads=None, generator_num_heads=None, vocabulary=None,
                       lowercase=True):
    """Converts a TF1 checkpoint to Keras presets under `out`.

    Writes `out/discriminator` (backbone preset, with the RTD head alongside
    as `discriminator_head.safetensors` when the checkpoint has it),
    `out/generator` (an `ElectraMaskedLM` task preset when the checkpoint has
    the generator head, else a backbone preset) and, when both heads and the
    generator are present, `out/pretrainer`: the full `ElectraPretrainer`
    (`keras_electra.convert.load_pretrainer`) to continue pretraining. The
    tokenizer vocabulary is `vocabulary`, or `vocab.txt` next to the
    checkpoint when present. Everything is written to a temporary sibling
    folder that replaces `out` only when complete.

    Example:
    ```python
    convert_checkpoint("electra_small/electra_small", "./electra_small_keras")
    ```
    """
    from keras_electra.convert.pretraining import build_discriminator_head
    from keras_electra.convert.pretraining import build_masked_lm
    from keras_electra.convert.pretraining import masked_lm_preprocessor
    from keras_electra.convert.pretraining import save_discriminator_head
    from keras_electra.convert.pretraining import save_pretrainer
    from keras_electra.convert.pretraining import set_head_weights
    from keras_electra.utils.output_files import atomic_directory

    variables = read_checkpoint(prefix)
    models = load_backbones(prefix, num_heads, generator_num_heads, variables=variables)
    if vocabulary is None:
        candidate = os.path.join(os.path.dirname(prefix) or ".", "vocab.txt")
        vocabulary = candidate if os.path.isfile(candidate) else None
    tokenizer = None
    if vocabulary is not None:
        from keras_electra.models.tokenizer import ElectraTokenizer

        tokenizer = ElectraTokenizer(vocabulary=vocabulary, lowercase=lowercase)
        # Before anything is written: every model must fit the vocabulary.
        for backbone in models.values():
            check_vocabulary_size(tokenizer, backbone.vocabulary_size, vocabulary)
    else:
        logger.info("No vocab.txt next to %s: presets have no tokenizer", prefix)
    has = {h: any(n in variables for n, _ in t.values()) for h, t in HEAD_TABLES.items()}
    # Strict before anything is written: a partly present head names what is missing.
    heads = {h: extract_head_weights(variables, h) for h in HEAD_TABLES if has[h]}
    source = f"The TF1 checkpoint {prefix}"
    generator = models.get("generator")
    # Everything goes to a sibling folder that replaces `out` when complete.
    with atomic_directory(out) as tmp:
        for role, backbone in list(models.items()):
            path, target = os.path.join(out, role), os.path.join(tmp, role)
            if role == "generator" and has["generator_predictions"]:
                preprocessor = None
                if tokenizer is not None:
                    preprocessor = masked_lm_preprocessor(tokenizer, min(512, backbone.max_sequence_length))
                task = build_masked_lm(backbone, heads["generator_predictions"], preprocessor,
                                       source=source)
                logger.info("Writing ElectraMaskedLM task preset %s", path)
                task.save_to_preset(target)
                models[role] = task
                if preprocessor is not None:
                    continue
            else:
                logger.info("Writing preset %s", path)
                backbone.save_to_preset(target)
            if role == "discriminator" and has["discriminator_predictions"]:
                head = build_discriminator_head(backbone)
                set_head_weights(head, heads["discriminator_predictions"], source)
                save_discriminator_head(head, target)
            if tokenizer is not None:
                tokenizer.save_to_preset(target)
        if "generator" in models and all(has.values()) and not _special_ids_known(tokenizer, generator):
            logger.info("No pretrainer written: without vocab.txt its special token ids are unknown "
                        "(the original uncased ids do not fit this vocabulary)")
        elif "generator" in models and all(has.values()):
            pretrainer = load_pretrainer_from_tf1(prefix, num_heads, generator_num_heads,
                                                  variables=variables, tokenizer=tokenizer,
                                                  models=dict(models, generator=generator))
            save_pretrainer(pretrainer, os.path.join(tmp, "pretrainer"))
            models["pretrainer"] = pretrainer
    return models


def _special_ids_known(tokenizer, backbone):
    """A tokenizer gives the special ids; else the original ids must fit the vocabulary."""
    from keras_electra.models.pretrainer import ORIGINAL_SPECIAL_IDS

    return tokenizer is not None or max(ORIGINAL_SPECIAL_IDS.values()) < backbone.vocabulary_size
