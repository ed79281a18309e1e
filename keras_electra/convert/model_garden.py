"""TensorFlow Model Garden ELECTRA checkpoints to and from keras-electra.

Model Garden (`official.nlp.modeling`, package `tf-models-official`) trains
ELECTRA as `models.ElectraPretrainer(generator_network,
discriminator_network, ...)` with two `networks.BertEncoder`s and saves
object-based TF2 checkpoints (`tf.train.Checkpoint(model=pretrainer,
**pretrainer.checkpoint_items)`). Its TF Hub SavedModels
(`keras_electra.convert.tf_hub`) hold the same `BertEncoder` variables.

`ENCODER_NAMES` maps a `BertEncoder` variable name (its `.name` without
`:0`) to the canonical name of `keras_electra.convert.weights`; attention
kernels are per head there (`[hidden, heads, head_dim]`) and flat in the
canonical layout. Reading a checkpoint rebuilds Model Garden's own classes
(sizes inferred from the checkpoint) and restores it with
`tf.train.Checkpoint`, so `tf-models-official` is needed for these
functions only; TensorFlow is imported inside them.

Model Garden's pieces and ours:

| Model Garden | keras-electra |
|---|---|
| `discriminator_network`, `generator_network` (`BertEncoder`) | `discriminator`, `generator` (`ElectraBackbone`) |
| `masked_lm` (`transform/dense`, `transform/LayerNorm`, `output_bias`) | `generator_predictions` head |
| `discriminator_projection` (dense, `mlm_activation`), `discriminator_head` | `discriminator_predictions` (`dense`, `dense_1`) |
| `pooler_transform` of each network | dropped (unused by ELECTRA; identity on export) |
| `classification` (`generator_classification_head`) | dropped (ELECTRA never trains it) |

Model Garden's `"gelu"` (`official.modeling.activations.gelu`, what its
ELECTRA configs name) is the tanh approximation; keras-electra, like
google-research/electra and transformers, uses the exact GELU. The
variables convert exactly; outputs of a model run with the tanh GELU differ
slightly (about 1e-3), which the converters log.
"""

import json
import logging
import os

import numpy as np

from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import get_backbone_weights
from keras_electra.convert.weights import infer_backbone_kwargs
from keras_electra.convert.weights import set_backbone_weights
from keras_electra.errors import ElectraError

logger = logging.getLogger("keras_electra.convert")

# BertEncoder name -> canonical name (per layer names use `{i}`).
EMBEDDING_TABLE = {
    "word_embeddings/embeddings": "embeddings/word_embeddings",
    "position_embedding/embeddings": "embeddings/position_embeddings",
    "type_embeddings/embeddings": "embeddings/token_type_embeddings",
    "embeddings/layer_norm/gamma": "embeddings/LayerNorm/gamma",
    "embeddings/layer_norm/beta": "embeddings/LayerNorm/beta",
    "embedding_projection/kernel": "embeddings_project/kernel",
    "embedding_projection/bias": "embeddings_project/bias",
}
LAYER_TABLE = {
    "self_attention/query/kernel": "attention/self/query/kernel",
    "self_attention/query/bias": "attention/self/query/bias",
    "self_attention/key/kernel": "attention/self/key/kernel",
    "self_attention/key/bias": "attention/self/key/bias",
    "self_attention/value/kernel": "attention/self/value/kernel",
    "self_attention/value/bias": "attention/self/value/bias",
    "self_attention/attention_output/kernel": "attention/output/dense/kernel",
    "self_attention/attention_output/bias": "attention/output/dense/bias",
    "self_attention_layer_norm/gamma": "attention/output/LayerNorm/gamma",
    "self_attention_layer_norm/beta": "attention/output/LayerNorm/beta",
    "intermediate/kernel": "intermediate/dense/kernel",
    "intermediate/bias": "intermediate/dense/bias",
    "output/kernel": "output/dense/kernel",
    "output/bias": "output/dense/bias",
    "output_layer_norm/gamma": "output/LayerNorm/gamma",
    "output_layer_norm/beta": "output/LayerNorm/beta",
}
POOLER_NAMES = ("pooler_transform/kernel", "pooler_transform/bias")
# Optimizer state and counters in a training checkpoint.
SKIPPED_KEY_PARTS = (".OPTIMIZER_SLOT", "optimizer/", "save_counter/", "global_step/")


def encoder_to_canonical(name, num_layers):
    """The canonical name of a `BertEncoder` variable, or None (pooler, unknown)."""
    if name in EMBEDDING_TABLE:
        return EMBEDDING_TABLE[name]
    for i in range(num_layers):
        prefix = f"transformer/layer_{i}/"
        if name.startswith(prefix) and name[len(prefix):] in LAYER_TABLE:
            return f"encoder/layer_{i}/" + LAYER_TABLE[name[len(prefix):]]
    return None


def canonical_to_encoder(num_layers, has_projection):
    """Canonical name -> `BertEncoder` name, for export."""
    table = {v: k for k, v in EMBEDDING_TABLE.items()
             if has_projection or not k.startswith("embedding_projection")}
    for i in range(num_layers):
        for theirs, ours in LAYER_TABLE.items():
            table[f"encoder/layer_{i}/{ours}"] = f"transformer/layer_{i}/{theirs}"
    return table


def variable_name(variable):
    """A TF variable's name without the `:0` suffix."""
    name = variable.name
    return name[:-2] if name.endswith(":0") else name


def encoder_weights(named, source, pooler="drop"):
    """`BertEncoder` variables `{name: array}` -> canonical weights, strictly.

    Args:
        named: dict of Model Garden name -> numpy array (one network).
        source: text naming the checkpoint, for errors.
        pooler: `"drop"` (dropped, logged), `"identity"` (must be the
            identity within 1e-6, else a `ConversionError`) or `"keep"`
            (returned separately).

    Returns:
        `(canonical weights, pooler dict or None)`. Attention kernels and
        biases are flattened to the canonical `[hidden, heads * head_dim]`.
    """
    num_layers = 0
    while f"transformer/layer_{num_layers}/output/kernel" in named:
        num_layers += 1
    weights, unknown, pooler_weights = {}, [], {}
    for name, value in named.items():
        if name in POOLER_NAMES:
            pooler_weights[name] = np.asarray(value)
            continue
        canonical = encoder_to_canonical(name, num_layers)
        if canonical is None:
            unknown.append(name)
            continue
        value = np.asarray(value)
        if canonical.endswith(("query/kernel", "key/kernel", "value/kernel")):
            value = value.reshape(value.shape[0], -1)
        elif canonical.endswith(("query/bias", "key/bias", "value/bias")):
            value = value.reshape(-1)
        elif canonical.endswith("attention/output/dense/kernel"):
            value = value.reshape(-1, value.shape[-1])
        weights[canonical] = value
    if unknown:
        raise ConversionError(
            f"{source} has variables that are not part of a Model Garden BertEncoder: "
            f"{', '.join(sorted(unknown))}."
        )
    if pooler == "identity" and pooler_weights:
        check_identity_pooler(pooler_weights, source)
    if pooler_weights and pooler != "keep":
        logger.info("%s: pooler_transform dropped (ELECTRA has no pooler; "
                    "keras-electra's pooled_output is the [CLS] vector)", source)
    return weights, (pooler_weights or None) if pooler == "keep" else None


def check_identity_pooler(pooler_weights, source, tolerance=1e-6):
    """Raises unless the pooler dense is the identity (kernel I, bias 0) within `tolerance`."""
    kernel = np.asarray(pooler_weights["pooler_transform/kernel"], "float64")
    bias = np.asarray(pooler_weights["pooler_transform/bias"], "float64")
    error = max(float(np.max(np.abs(kernel - np.eye(kernel.shape[0], kernel.shape[1])))),
                float(np.max(np.abs(bias))))
    if kernel.shape[0] != kernel.shape[1] or error > tolerance:
        raise ConversionError(
            f"{source}: the pooler (pooler_transform) is not the identity (largest "
            f"difference {error:.3g} > {tolerance:g}); this is a trained BERT-style pooler "
            "that ELECTRA's backbone cannot hold. Pass keep_pooler=True (CLI: --keep-pooler) "
            "to save it as a task head (pooler_head.safetensors) next to the backbone."
        )


def backbone_from_encoder(named, source, num_heads, pooler="drop", name=None, embedding_layer=None):
    """An `ElectraBackbone` holding one `BertEncoder`'s variables (and the pooler dict when kept)."""
    from keras_electra.models.backbone import ElectraBackbone

    weights, pooler_weights = encoder_weights(named, source, pooler=pooler)
    kwargs = infer_backbone_kwargs(weights, num_heads=num_heads, source=source)
    backbone = ElectraBackbone(**kwargs, name=name, embedding_layer=embedding_layer)
    set_backbone_weights(backbone, weights, source=source)
    return backbone, pooler_weights


def require_model_garden():
    """Imports `official.nlp.modeling`, or says how to install it."""
    try:
        import tf_keras  # noqa: F401
        from official.modeling import tf_utils
        from official.nlp.modeling import models
        from official.nlp.modeling import networks
    except ImportError as e:
        raise ElectraError(
            "Model Garden checkpoints need TensorFlow Model Garden: pip install tf-keras "
            "&& pip install --no-deps tf-models-official gin-config immutabledict "
            f"(matching your TensorFlow minor version). Import failed: {e}"
        ) from e
    return networks, models, tf_utils


def encoder_kwargs(backbone):
    """`networks.BertEncoder` arguments equivalent to an `ElectraBackbone`."""
    return dict(
        vocab_size=backbone.vocabulary_size, hidden_size=backbone.hidden_dim,
        num_layers=backbone.num_layers, num_attention_heads=backbone.num_heads,
        max_sequence_length=backbone.max_sequence_length, type_vocab_size=backbone.num_segments,
        inner_dim=backbone.intermediate_dim, embedding_width=backbone.embedding_dim,
        output_dropout=backbone.dropout, attention_dropout=backbone.dropout,
    )


def build_model_garden_pretrainer(discriminator_kwargs, generator_kwargs, tie_embeddings,
                                  num_token_predictions=20):
    """Model Garden's `ElectraPretrainer` with exact-GELU `BertEncoder`s, built on a dummy batch.

    The activation is `tf_keras.activations.gelu` (exact, ELECTRA's);
    Model Garden's own `"gelu"` is the tanh approximation. Restoring
    variables does not depend on it.
    """
    import tf_keras

    networks, models, _ = require_model_garden()
    gelu = tf_keras.activations.gelu

    def encoder(kwargs, name, embedding_layer=None):
        return networks.BertEncoder(**kwargs, inner_activation=gelu, dict_outputs=True,
                                    embedding_layer=embedding_layer, name=name)

    discriminator = encoder(discriminator_kwargs, "discriminator_network")
    generator = encoder(generator_kwargs, "generator_network",
                        discriminator.get_embedding_layer() if tie_embeddings else None)
    pretrainer = models.ElectraPretrainer(
        generator_network=generator, discriminator_network=discriminator,
        vocab_size=generator_kwargs["vocab_size"], num_classes=2,
        num_token_predictions=num_token_predictions, mlm_activation=gelu,
    )
    ids = np.ones((1, 4), "int32")
    pretrainer(dict(input_word_ids=ids, input_mask=ids, input_type_ids=0 * ids,
                    masked_lm_positions=np.array([[1]], "int32"),
                    masked_lm_ids=np.array([[1]], "int32")))
    return pretrainer


def _checkpoint_path(path):
    import tensorflow as tf

    if os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest is None:
            raise ConversionError(f"{path} holds no TF2 checkpoint (no 'checkpoint' file).")
        return latest
    if not os.path.isfile(path + ".index"):
        raise ConversionError(
            f"Model Garden checkpoint not found: {path}.index does not exist. Pass the "
            "checkpoint prefix (e.g. 'ckpt-1000') or its directory."
        )
    return path


def _infer_config(keys, source):
    """Encoder sizes, tied embeddings and masked-LM width from the checkpoint's keys and shapes."""
    networks = {}
    for key, shape in keys.items():
        marker = "/_attention_layer/_query_dense/kernel/"
        if marker in key:
            prefix, layer = key.split(marker)[0].rsplit("/", 1)
            networks.setdefault(prefix, {})[layer] = shape
    discriminator = next((p for p in ("encoder", "model/discriminator_network") if p in networks), None)
    generator = "model/generator_network" if "model/generator_network" in networks else None
    if discriminator is None or generator is None:
        raise ConversionError(
            f"{source} is not a Model Garden ElectraPretrainer checkpoint: it needs "
            "model/generator_network and model/discriminator_network (or encoder) "
            f"BertEncoders; found {sorted(networks) or 'none'}."
        )
    vocab = keys.get("model/masked_lm/output_bias.Sbias/.ATTRIBUTES/VARIABLE_VALUE")
    if vocab is None:
        raise ConversionError(f"{source} has no model/masked_lm (the generator's masked-LM head).")

    def sizes(prefix):
        query = next(iter(networks[prefix].values()))
        layer = next(iter(networks[prefix]))
        inner = keys[f"{prefix}/{layer}/_intermediate_dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
        position = keys[f"{prefix}/layer_with_weights-1/embeddings/.ATTRIBUTES/VARIABLE_VALUE"]
        segments = keys[f"{prefix}/layer_with_weights-2/embeddings/.ATTRIBUTES/VARIABLE_VALUE"]
        return dict(
            vocab_size=int(vocab[0]), hidden_size=int(query[0]), num_layers=len(networks[prefix]),
            num_attention_heads=int(query[1]), max_sequence_length=int(position[0]),
            type_vocab_size=int(segments[0]), inner_dim=int(inner[1]), embedding_width=int(position[1]),
        )

    return sizes(discriminator), sizes(generator)


def read_checkpoint(path):
    """Restores a Model Garden `ElectraPretrainer` TF2 checkpoint into Model Garden's own class.

    Sizes come from the checkpoint's shapes (heads from the per-head
    attention kernels); the activations are ELECTRA's exact GELU. Strict:
    every variable of the rebuilt model is restored and every variable of
    the checkpoint (besides optimizer state and counters) is used.

    Returns:
        `(pretrainer, config)`: the restored Model Garden model and the
        encoder arguments it was built with.
    """
    import tensorflow as tf

    require_model_garden()
    prefix = _checkpoint_path(path)
    keys = {k: s for k, s in tf.train.list_variables(prefix)
            if k.endswith("/.ATTRIBUTES/VARIABLE_VALUE")}
    stored = [k for k in keys if not any(part in k for part in SKIPPED_KEY_PARTS)]
    source = f"The Model Garden checkpoint {prefix}"
    discriminator_kwargs, generator_kwargs = _infer_config(keys, source)
    pretrainer = None
    for tie in (False, True):
        candidate = build_model_garden_pretrainer(discriminator_kwargs, generator_kwargs, tie)
        unique = {id(v) for v in candidate.variables}
        if len(unique) == len(stored):
            pretrainer = candidate
            break
    if pretrainer is None:
        raise ConversionError(
            f"{source} has {len(stored)} model variables; a Model Garden ElectraPretrainer of "
            f"these sizes has {len(unique) + 1} (untied) or {len(unique)} (tied embeddings). "
            "It holds something else besides the pretrainer."
        )
    status = tf.train.Checkpoint(model=pretrainer).read(prefix)
    try:
        status.assert_existing_objects_matched()
    except AssertionError as e:
        raise ConversionError(f"{source} does not restore into Model Garden's ElectraPretrainer: {e}") from e
    status.expect_partial()
    config = {"discriminator": discriminator_kwargs, "generator": generator_kwargs,
              "tie_embeddings": tie}
    return pretrainer, config


def _network_arrays(network):
    return {variable_name(v): v.numpy() for v in network.variables}


def load_pretrainer(path, tokenizer=None):
    """Builds our `ElectraPretrainer` from a Model Garden ELECTRA checkpoint.

    Both encoders, the masked-LM head (`generator_predictions`) and the RTD
    head (`discriminator_predictions`) are loaded; the unused poolers and
    the generator's classification head are dropped and logged. Model
    Garden's `tie_embeddings` shares only the word table, which keras-electra's
    `"tied"` (the whole embedding layer) cannot express, so such a checkpoint
    gives `"untied"` with equal copies (same outputs); a generator whose
    embeddings equal the discriminator's in full gives `"tied"`.

    Args:
        path: checkpoint prefix or directory.
        tokenizer: optional `ElectraTokenizer` for the special token ids
            (else the original uncased ids, which must fit the vocabulary).

    Example:
    ```python
    pretrainer = keras_electra.convert.load_model_garden_pretrainer("./mg_ckpt")
    ```
    """
    from keras_electra.convert.pretraining import assemble_pretrainer
    from keras_electra.convert.weights import check_vocabulary_size
    from keras_electra.models.pretrainer import ORIGINAL_SPECIAL_IDS

    garden, config = read_checkpoint(path)
    source = f"The Model Garden checkpoint {path}"
    disc_named = _network_arrays(garden.discriminator_network)
    gen_named = _network_arrays(garden.generator_network)
    discriminator, _ = backbone_from_encoder(
        disc_named, source + " (discriminator)", config["discriminator"]["num_attention_heads"],
        name="discriminator")
    gen_weights, _ = encoder_weights(gen_named, source + " (generator)", pooler="keep")
    disc_weights = get_backbone_weights(discriminator)
    tied = all(
        name in gen_weights and np.shape(gen_weights[name]) == np.shape(disc_weights[name])
        and np.array_equal(gen_weights[name], disc_weights[name])
        for name in EMBEDDING_TABLE.values() if name.startswith("embeddings/")
    )
    if config["tie_embeddings"] and not tied:
        logger.info("%s: Model Garden shares only the word table between generator and "
                    "discriminator; the converted pretrainer keeps equal copies "
                    "(embedding_sharing='untied')", source)
    generator, _ = backbone_from_encoder(
        gen_named, source + " (generator)", config["generator"]["num_attention_heads"],
        name="generator", embedding_layer=discriminator.embeddings if tied else None)
    masked_lm = garden.masked_lm
    generator_head = {
        "generator_predictions/dense/kernel": masked_lm.dense.kernel.numpy(),
        "generator_predictions/dense/bias": masked_lm.dense.bias.numpy(),
        "generator_predictions/LayerNorm/gamma": masked_lm.layer_norm.gamma.numpy(),
        "generator_predictions/LayerNorm/beta": masked_lm.layer_norm.beta.numpy(),
        "generator_predictions/output_bias": masked_lm.bias.numpy(),
    }
    discriminator_head = {
        "discriminator_predictions/dense/kernel": garden.discriminator_projection.kernel.numpy(),
        "discriminator_predictions/dense/bias": garden.discriminator_projection.bias.numpy(),
        "discriminator_predictions/dense_1/kernel": garden.discriminator_head.kernel.numpy(),
        "discriminator_predictions/dense_1/bias": garden.discriminator_head.bias.numpy(),
    }
    logger.info("%s: generator_classification_head dropped (ELECTRA does not train it)", source)
    logger.info("keras-electra uses ELECTRA's exact GELU; Model Garden's 'gelu' activation is the tanh "
                "approximation, so a model trained with it gives slightly different outputs (about 1e-3)")
    kwargs = {}
    if tokenizer is not None:
        check_vocabulary_size(tokenizer, discriminator.vocabulary_size, "of the tokenizer passed")
        kwargs = dict(mask_token_id=tokenizer.mask_token_id, cls_token_id=tokenizer.cls_token_id,
                      sep_token_id=tokenizer.sep_token_id, pad_token_id=tokenizer.pad_token_id)
    elif max(ORIGINAL_SPECIAL_IDS.values()) >= discriminator.vocabulary_size:
        raise ConversionError(
            f"Without a vocabulary the pretrainer uses the original uncased special token ids "
            f"{ORIGINAL_SPECIAL_IDS}, which do not fit this vocabulary of "
            f"{discriminator.vocabulary_size}; pass the vocab.txt."
        )
    return assemble_pretrainer(discriminator, generator, discriminator_head, generator_head,
                               embedding_sharing="tied" if tied else "untied", **kwargs)


def convert_checkpoint(path, out, vocabulary=None, lowercase=True):
    """Converts a Model Garden ELECTRA checkpoint to presets under `out`.

    Writes `out/discriminator` (backbone preset + `discriminator_head.safetensors`),
    `out/generator` (`ElectraMaskedLM` task preset) and `out/pretrainer`
    (the full `ElectraPretrainer`, `keras_electra.convert.load_pretrainer`),
    plus the tokenizer in both presets when `vocabulary` is given. Written to
    a temporary sibling that replaces `out` only when complete.

    Example:
    ```python
    keras_electra.convert.convert_model_garden("./mg_ckpt", "./electra_keras")
    ```
    """
    from keras_electra.convert.pretraining import save_discriminator_head
    from keras_electra.convert.pretraining import save_pretrainer
    from keras_electra.utils.output_files import atomic_directory

    tokenizer = None
    if vocabulary is not None:
        from keras_electra.models.tokenizer import ElectraTokenizer

        tokenizer = ElectraTokenizer(vocabulary=vocabulary, lowercase=lowercase)
    from keras_electra.convert.pretrainer_export import export_presets

    pretrainer = load_pretrainer(path, tokenizer=tokenizer)
    with atomic_directory(out) as tmp:
        disc_dir, gen_dir = os.path.join(tmp, "discriminator"), os.path.join(tmp, "generator")
        export_presets(pretrainer, discriminator_dir=disc_dir, generator_dir=gen_dir)
        save_discriminator_head(pretrainer.discriminator_head, disc_dir)
        if tokenizer is not None:
            tokenizer.save_to_preset(disc_dir)
            tokenizer.save_to_preset(gen_dir)
        save_pretrainer(pretrainer, os.path.join(tmp, "pretrainer"))
    logger.info("Wrote %s/{discriminator,generator,pretrainer}", out)
    return {"pretrainer": pretrainer}


CONFIG_FILE = "model_garden_config.json"


def export_checkpoint(pretrainer, out, num_token_predictions=20):
    """Writes our `ElectraPretrainer` as a checkpoint of Model Garden's `ElectraPretrainer`.

    `out` gets `ckpt-1.*` and `checkpoint` (from
    `tf.train.Checkpoint(model=..., **checkpoint_items).save`) and
    `model_garden_config.json`, the `BertEncoder` / `ElectraPretrainer`
    arguments that rebuild the model (activations: exact GELU). The poolers
    are the identity (ELECTRA has none), the generator's classification
    head keeps Model Garden's random initial values (ELECTRA never trains
    it). Needs the `electra` objective with `tied` or `untied` embeddings.

    Example:
    ```python
    keras_electra.convert.export_model_garden(pretrainer, "./mg_ckpt")
    ```
    """
    import tensorflow as tf

    from keras_electra.convert.pretraining import build_pretrainer
    from keras_electra.convert.pretraining import get_head_weights
    from keras_electra.utils.output_files import atomic_directory

    if pretrainer.objective != "electra" or pretrainer.embedding_sharing not in ("tied", "untied"):
        raise ElectraError(
            "Model Garden's ElectraPretrainer holds the 'electra' objective with tied or untied "
            f"embeddings; this pretrainer is {pretrainer.objective!r} / {pretrainer.embedding_sharing!r}."
        )
    if not pretrainer.built or not pretrainer.discriminator_head.built:
        build_pretrainer(pretrainer)
    discriminator, generator = pretrainer.discriminator, pretrainer.generator
    config = {"discriminator": encoder_kwargs(discriminator), "generator": encoder_kwargs(generator),
              "tie_embeddings": pretrainer.embedding_sharing == "tied",
              "num_token_predictions": num_token_predictions,
              "activation": "exact GELU (tf_keras.activations.gelu) for inner_activation and mlm_activation"}
    garden = build_model_garden_pretrainer(config["discriminator"], config["generator"],
                                           config["tie_embeddings"], num_token_predictions)
    for ours, network in ((discriminator, garden.discriminator_network),
                          (generator, garden.generator_network)):
        _assign_encoder(network, get_backbone_weights(ours))
    heads = get_head_weights(pretrainer.generator_head)
    p = "generator_predictions/"
    masked_lm = garden.masked_lm
    for variable, name in ((masked_lm.dense.kernel, "dense/kernel"), (masked_lm.dense.bias, "dense/bias"),
                           (masked_lm.layer_norm.gamma, "LayerNorm/gamma"),
                           (masked_lm.layer_norm.beta, "LayerNorm/beta"), (masked_lm.bias, "output_bias")):
        variable.assign(heads[p + name])
    heads = get_head_weights(pretrainer.discriminator_head)
    p = "discriminator_predictions/"
    garden.discriminator_projection.kernel.assign(heads[p + "dense/kernel"])
    garden.discriminator_projection.bias.assign(heads[p + "dense/bias"])
    garden.discriminator_head.kernel.assign(heads[p + "dense_1/kernel"])
    garden.discriminator_head.bias.assign(heads[p + "dense_1/bias"])
    with atomic_directory(out) as tmp:
        checkpoint = tf.train.Checkpoint(model=garden, **garden.checkpoint_items)
        checkpoint.save(os.path.join(tmp, "ckpt"))
        with open(os.path.join(tmp, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
    logger.info("Wrote a Model Garden ElectraPretrainer checkpoint to %s", out)
    return garden


def _assign_encoder(network, canonical):
    """Writes canonical weights into a Model Garden `BertEncoder`; the pooler becomes the identity."""
    num_layers = len(network.transformer_layers)
    names = canonical_to_encoder(num_layers, "embeddings_project/kernel" in canonical)
    by_name = {variable_name(v): v for v in network.variables}
    written = set()
    for ours, theirs in names.items():
        variable = by_name[theirs]
        variable.assign(np.asarray(canonical[ours]).reshape(variable.shape))
        written.add(theirs)
    kernel = by_name["pooler_transform/kernel"]
    kernel.assign(np.eye(*kernel.shape, dtype="float32"))
    by_name["pooler_transform/bias"].assign(np.zeros(by_name["pooler_transform/bias"].shape, "float32"))
    written.update(POOLER_NAMES)
    left = sorted(set(by_name) - written)
    if left:
        raise ConversionError(f"Export left Model Garden variables unset: {', '.join(left)}.")
