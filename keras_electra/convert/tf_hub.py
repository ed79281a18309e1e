"""TF Hub ELECTRA SavedModels (Model Garden `BertEncoder`) to and from keras-electra.

The TF Hub ELECTRA encoders (`google/electra_small`, `google/electra_base`)
are TF2 SavedModels of Model Garden's `networks.BertEncoder`:

- called with `[input_word_ids, input_mask, input_type_ids]` (or a dict of
  them, as `export_tfhub_lib` saves them) (int32
  `[batch, seq]`; keras-electra's `token_ids`, `padding_mask`,
  `segment_ids`), returning a dict with `sequence_output`
  `[batch, seq, hidden]` and `pooled_output` `[batch, hidden]`;
- `pooled_output` is `tanh(pooler_transform([CLS]))` with the pooler
  initialised to the identity, since ELECTRA has no pooler;
- `vocab_file` is a `tf.saved_model.Asset`, `do_lower_case` a `tf.Variable`.

Reading maps the variables by name (`keras_electra.convert.model_garden`),
strictly, then runs the SavedModel and the converted backbone on a probe
batch and refuses the result unless their `sequence_output`s agree within
1e-4 (catching e.g. a tanh-approximated GELU). Writing builds a TF2
SavedModel with the same call, variable names, outputs, asset and
`do_lower_case`, loadable with `hub.KerasLayer(path, trainable=True)`; its
call takes `training` (dropout on) as Hub's Keras layer expects.
TensorFlow is imported inside the functions only.
"""

import logging
import os

import numpy as np

from keras_electra.convert.model_garden import POOLER_NAMES
from keras_electra.convert.model_garden import backbone_from_encoder
from keras_electra.convert.model_garden import canonical_to_encoder
from keras_electra.convert.model_garden import variable_name
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import check_vocabulary_size
from keras_electra.convert.weights import get_backbone_weights
from keras_electra.errors import ElectraError

logger = logging.getLogger("keras_electra.convert")

INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")
VERIFY_TOLERANCE = 1e-4


def _import_tf():
    try:
        import tensorflow as tf
    except ImportError as e:
        raise ElectraError("TF Hub SavedModels need TensorFlow (pip install tensorflow).") from e
    return tf


def read_saved_model(path):
    """Loads a TF Hub encoder SavedModel: `(loaded object, {name: array}, vocab path, do_lower_case)`.

    Every variable other than `do_lower_case` is returned by name; the
    vocabulary is the `vocab_file` asset's path (None without one).
    """
    tf = _import_tf()
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ConversionError(f"{path} is not a SavedModel directory (no saved_model.pb).")
    try:
        loaded = tf.saved_model.load(path)
    except Exception as e:  # corrupt protobuf, missing variables
        raise ConversionError(f"Could not load the SavedModel {path}: {type(e).__name__}: {e}") from e
    do_lower_case = getattr(loaded, "do_lower_case", None)
    variables = list(getattr(loaded, "variables", []))
    if not variables:
        raise ConversionError(f"The SavedModel {path} exposes no `variables`; it is not a TF Hub encoder.")
    named, duplicates = {}, []
    for variable in variables:
        if do_lower_case is not None and variable is do_lower_case:
            continue
        name = variable_name(variable)
        if name in named:
            duplicates.append(name)
        named[name] = variable.numpy()
    if duplicates:
        raise ConversionError(f"The SavedModel {path} has several variables named {', '.join(duplicates)}.")
    vocab = getattr(loaded, "vocab_file", None)
    vocab = vocab.asset_path.numpy().decode("utf-8") if vocab is not None else None
    lower = bool(do_lower_case.numpy()) if do_lower_case is not None else None
    return loaded, named, vocab, lower


def load_backbone(path, num_heads=None, keep_pooler=False, verify=True):
    """Converts a TF Hub ELECTRA SavedModel into an `ElectraBackbone`.

    Args:
        path: the SavedModel directory.
        num_heads: attention heads; read from the per-head attention kernels
            when None.
        keep_pooler: when the pooler is not the identity, return it as a
            head instead of refusing the model.
        verify: compare the SavedModel's and the backbone's `sequence_output`
            on a probe batch (within 1e-4).

    Returns:
        dict with `"backbone"`, `"vocabulary"` (the asset path or None),
        `"lowercase"` (None when not recorded) and `"pooler"` (a dict of the
        pooler kernel and bias when kept, else None).

    Example:
    ```python
    result = keras_electra.convert.load_tf_hub_backbone("./electra_small_hub")
    backbone = result["backbone"]
    ```
    """
    loaded, named, vocab, lower = read_saved_model(path)
    source = f"The SavedModel {path}"
    query = named.get("transformer/layer_0/self_attention/query/kernel")
    if query is None:
        names = ", ".join(sorted(named)[:8])
        raise ConversionError(f"{source} is not a Model Garden BertEncoder (variables: {names}, ...).")
    if num_heads is None:
        num_heads = int(query.shape[1])
    pooler = "identity"
    if keep_pooler:
        from keras_electra.convert.model_garden import check_identity_pooler

        try:
            check_identity_pooler({n: named[n] for n in POOLER_NAMES}, source)
        except ConversionError:
            pooler = "keep"
            logger.info("%s: the pooler is not the identity; kept as a task head", source)
        except KeyError:
            pass
    backbone, pooler_weights = backbone_from_encoder(named, source, num_heads, pooler=pooler)
    if verify:
        verify_against(loaded, backbone, named, source)
    return {"backbone": backbone, "vocabulary": vocab, "lowercase": lower, "pooler": pooler_weights}


def probe_batch(backbone, length=8, seed=0):
    """A small random batch (with padding and two segments) for output checks."""
    rng = np.random.default_rng(seed)
    length = min(length, backbone.max_sequence_length)
    ids = rng.integers(0, backbone.vocabulary_size, (2, length)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, length // 2 + 1:] = 0
    segments = np.zeros_like(ids)
    if backbone.num_segments > 1:
        segments[:, length // 2:] = 1
    return ids, mask, segments


def verify_against(loaded, backbone, named, source):
    """Checks the conversion on a probe batch; returns the measured difference.

    The converted backbone's `sequence_output` must match the SavedModel's
    within 1e-4. Model Garden's `"gelu"` (which built the TF Hub ELECTRAs) is
    the tanh approximation while ELECTRA's is exact: when the outputs differ,
    the SavedModel's variables are run through a `BertEncoder` forward pass
    with the tanh GELU, and if that matches within 1e-4 the conversion is
    right and the difference is the (logged, deliberate) GELU change.
    Anything else is an error.
    """
    import keras

    tf = _import_tf()
    ids, mask, segments = probe_batch(backbone)
    tensors = [tf.constant(ids), tf.constant(mask), tf.constant(segments)]
    try:
        theirs = loaded(tensors)
    except (ValueError, TypeError):  # saved for a dict of inputs only
        theirs = loaded(dict(zip(INPUT_NAMES, tensors)))
    if not isinstance(theirs, dict) or "sequence_output" not in theirs:
        raise ConversionError(f"{source} does not return a dict with sequence_output.")
    ours = backbone({"token_ids": ids, "segment_ids": segments, "padding_mask": mask})
    theirs = np.asarray(theirs["sequence_output"])
    ours = keras.ops.convert_to_numpy(ours["sequence_output"])
    keep = mask.astype(bool)
    error = float(np.max(np.abs(theirs[keep] - ours[keep])))
    variables = {n: tf.constant(v) for n, v in named.items()}
    forward = _forward(tf, variables, backbone, approximate_gelu=True)
    tanh_error = float(np.max(np.abs(np.asarray(forward(tensors, False)["sequence_output"])[keep] - theirs[keep])))
    if error <= VERIFY_TOLERANCE and not tanh_error < error / 10:
        logger.info("%s: sequence_output matches the converted backbone (max difference %.2g)", source, error)
        return error
    if tanh_error > VERIFY_TOLERANCE:
        raise ConversionError(
            f"{source}: the converted backbone's sequence_output differs from the SavedModel's by "
            f"{error:.3g} (> {VERIFY_TOLERANCE:g}), and a BertEncoder with the tanh GELU by {tanh_error:.3g}, "
            "although every variable was converted. The SavedModel computes something "
            "ElectraBackbone does not implement (e.g. pre-LayerNorm blocks)."
        )
    logger.info(
        "%s uses the tanh approximation of GELU (Model Garden's 'gelu'; verified to %.2g); the converted "
        "backbone uses ELECTRA's exact GELU, so its sequence_output differs from the SavedModel's by "
        "%.2g on a probe batch", source, tanh_error, error)
    return error


def convert_saved_model(path, out, num_heads=None, keep_pooler=False):
    """Converts a TF Hub ELECTRA SavedModel to a backbone preset with its tokenizer.

    The tokenizer comes from the `vocab_file` asset, cased or uncased as
    `do_lower_case` records (uncased when not recorded, logged). A kept
    pooler is saved as `pooler_head.safetensors` (`pooler/kernel`,
    `pooler/bias`; apply `tanh(cls @ kernel + bias)`). Written to a
    temporary sibling that replaces `out` only when complete.

    Example:
    ```python
    keras_electra.convert.convert_tf_hub("./electra_small_hub", "./electra_small_keras")
    ```
    """
    from keras_electra.models.preset_loading import write_pooler_head
    from keras_electra.utils.output_files import atomic_directory

    result = load_backbone(path, num_heads=num_heads, keep_pooler=keep_pooler)
    backbone = result["backbone"]
    tokenizer = None
    if result["vocabulary"] is not None:
        from keras_electra.models.tokenizer import ElectraTokenizer

        lowercase = result["lowercase"]
        if lowercase is None:
            lowercase = True
            logger.info("%s records no do_lower_case; the tokenizer lowercases", path)
        tokenizer = ElectraTokenizer(vocabulary=result["vocabulary"], lowercase=lowercase)
        check_vocabulary_size(tokenizer, backbone.vocabulary_size, result["vocabulary"])
        logger.info("Tokenizer: %s (%s)", os.path.basename(result["vocabulary"]),
                    "uncased" if lowercase else "cased")
    else:
        logger.info("%s has no vocab_file asset: the preset has no tokenizer", path)
    with atomic_directory(out) as tmp:
        backbone.save_to_preset(tmp)
        if tokenizer is not None:
            tokenizer.save_to_preset(tmp)
        if result["pooler"] is not None:
            pooler = {n.split("/")[-1]: v for n, v in result["pooler"].items()}
            write_pooler_head(tmp, pooler["kernel"], pooler["bias"])
    return backbone


def export_saved_model(backbone, out, tokenizer=None, lowercase=None):
    """Writes `backbone` as a TF Hub encoder SavedModel (Model Garden `BertEncoder` format).

    The SavedModel is called with `[input_word_ids, input_mask,
    input_type_ids]` or a dict of them (and `training=`), returns `sequence_output`,
    `pooled_output` (`tanh` of an identity pooler on [CLS], as the TF Hub
    ELECTRA models), `default` (= `pooled_output`) and `encoder_outputs`,
    and carries `vocab_file` (asset) and `do_lower_case` (variable) when a
    tokenizer is given. Variables carry `BertEncoder`'s names.

    Example:
    ```python
    keras_electra.convert.export_tf_hub(backbone, "./electra_hub", tokenizer=tokenizer)
    layer = tensorflow_hub.KerasLayer("./electra_hub", trainable=True)
    ```
    """
    import tempfile

    from keras_electra.utils.output_files import atomic_directory

    if getattr(backbone, "attention_direction", "bidirectional") != "bidirectional":
        raise ElectraError("Only bidirectional backbones export to TF Hub (BertEncoder is bidirectional).")
    tf = _import_tf()
    module = _encoder_module(tf, backbone)
    with tempfile.TemporaryDirectory() as scratch, atomic_directory(out) as tmp:
        if tokenizer is not None:
            vocab = os.path.join(scratch, "vocab.txt")
            with open(vocab, "w", encoding="utf-8") as f:
                f.write("".join(t + "\n" for t in tokenizer.get_vocabulary()))
            if lowercase is None:
                lowercase = bool(getattr(tokenizer, "lowercase", True))
            module.vocab_file = tf.saved_model.Asset(vocab)
            module.do_lower_case = tf.Variable(bool(lowercase), trainable=False, name="do_lower_case")
        tf.saved_model.save(module, tmp)
    logger.info("Wrote a TF Hub SavedModel to %s", out)
    return out


def _encoder_module(tf, backbone):
    """A `tf.Module`-like object holding the backbone as `BertEncoder` variables and its call."""
    weights = get_backbone_weights(backbone)
    has_projection = backbone.embeddings_projection is not None
    names = canonical_to_encoder(backbone.num_layers, has_projection)
    heads, hidden = backbone.num_heads, backbone.hidden_dim
    head_dim = hidden // heads
    root = tf.train.Checkpoint()
    variables = {}
    for ours, theirs in names.items():
        value = np.asarray(weights[ours], "float32")
        if ours.endswith(("query/kernel", "key/kernel", "value/kernel")):
            value = value.reshape(value.shape[0], heads, head_dim)
        elif ours.endswith(("query/bias", "key/bias", "value/bias")):
            value = value.reshape(heads, head_dim)
        elif ours.endswith("attention/output/dense/kernel"):
            value = value.reshape(heads, head_dim, hidden)
        variables[theirs] = tf.Variable(value, name=theirs)
    variables["pooler_transform/kernel"] = tf.Variable(np.eye(hidden, dtype="float32"),
                                                       name="pooler_transform/kernel")
    variables["pooler_transform/bias"] = tf.Variable(np.zeros(hidden, "float32"), name="pooler_transform/bias")
    ordered = list(variables.values())
    root.variables = ordered
    root.trainable_variables = ordered
    root.regularization_losses = []
    root.encoder_variables = variables
    call = _forward(tf, variables, backbone)

    spec = [tf.TensorSpec([None, None], tf.int32, name=n) for n in INPUT_NAMES]
    for structure in (spec, dict(zip(INPUT_NAMES, spec))):
        for training in (False, True):
            call.get_concrete_function(structure, training)
    root.__call__ = call
    return root


def _forward(tf, variables, backbone, approximate_gelu=False):
    """A `tf.function` computing a `BertEncoder` (post-LayerNorm BERT) from its named variables.

    `call(inputs, training)` takes `[input_word_ids, input_mask,
    input_type_ids]` or a dict of them. The pooler is applied when
    `pooler_transform/*` are among the variables.
    """
    has_projection = "embedding_projection/kernel" in variables
    head_dim = backbone.hidden_dim // backbone.num_heads
    epsilon, rate, num_layers = backbone.layer_norm_epsilon, float(backbone.dropout), backbone.num_layers

    def layer_norm(x, prefix):
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(variance + epsilon) * variables[prefix + "gamma"] + variables[
            prefix + "beta"]

    def dropout(x, training):
        return tf.nn.dropout(x, rate) if training and rate > 0 else x

    @tf.function
    def call(inputs, training=False):
        if isinstance(inputs, dict):
            inputs = [inputs[n] for n in INPUT_NAMES]
        word_ids, mask, type_ids = inputs
        length = tf.shape(word_ids)[1]
        x = (tf.gather(variables["word_embeddings/embeddings"], word_ids)
             + variables["position_embedding/embeddings"][tf.newaxis, :length]
             + tf.gather(variables["type_embeddings/embeddings"], type_ids))
        x = dropout(layer_norm(x, "embeddings/layer_norm/"), training)
        if has_projection:
            x = tf.einsum("bte,eh->bth", x, variables["embedding_projection/kernel"]) + variables[
                "embedding_projection/bias"]
        bias = (1.0 - tf.cast(mask, tf.float32))[:, tf.newaxis, tf.newaxis, :] * -1e9
        outputs = []
        for i in range(num_layers):
            p = f"transformer/layer_{i}/"
            q, k, v = (tf.einsum("bth,hnd->btnd", x, variables[p + f"self_attention/{n}/kernel"])
                       + variables[p + f"self_attention/{n}/bias"] for n in ("query", "key", "value"))
            scores = tf.einsum("bsnd,btnd->bnst", q, k) / float(np.sqrt(head_dim)) + bias
            probs = dropout(tf.nn.softmax(scores, axis=-1), training)
            context = tf.einsum("bnst,btnd->bsnd", probs, v)
            attention = tf.einsum("bsnd,ndh->bsh", context, variables[p + "self_attention/attention_output/kernel"])
            attention = dropout(attention + variables[p + "self_attention/attention_output/bias"], training)
            x = layer_norm(x + attention, p + "self_attention_layer_norm/")
            inner = tf.nn.gelu(tf.einsum("bth,hi->bti", x, variables[p + "intermediate/kernel"])
                               + variables[p + "intermediate/bias"], approximate=approximate_gelu)
            out = tf.einsum("bti,ih->bth", inner, variables[p + "output/kernel"]) + variables[p + "output/bias"]
            x = layer_norm(x + dropout(out, training), p + "output_layer_norm/")
            outputs.append(x)
        pooled = x[:, 0]
        if "pooler_transform/kernel" in variables:
            pooled = tf.tanh(tf.matmul(pooled, variables["pooler_transform/kernel"])
                             + variables["pooler_transform/bias"])
        return {"sequence_output": x, "pooled_output": pooled, "default": pooled,
                "encoder_outputs": outputs}

    return call


def export_preset(preset, out):
    """Exports a keras-electra backbone preset (with its tokenizer when present) to a TF Hub SavedModel."""
    from keras_electra.models.backbone import ElectraBackbone

    backbone = ElectraBackbone.from_preset(preset)
    tokenizer = None
    if os.path.isfile(os.path.join(preset, "tokenizer.json")):
        from keras_electra.models import ElectraTokenizer

        tokenizer = ElectraTokenizer.from_preset(preset)
    return export_saved_model(backbone, out, tokenizer=tokenizer)

