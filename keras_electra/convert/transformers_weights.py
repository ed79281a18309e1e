"""A transformers state dict to canonical backbone and head weights, strictly.

The backbone is found by its word embeddings (plain, `electra.`/`bert.`
wrapped, or one of a combined checkpoint's `discriminator.`/`generator.`
models), renamed through `transformers_names.backbone_name_table` and
transposed into Keras layout. Every other tensor must be a recognised head,
a buffer or part of another model; anything else is an error naming it.
"""

import numpy as np

from keras_electra.convert.transformers_io import config_to_backbone_kwargs
from keras_electra.convert.transformers_names import ARCHITECTURES
from keras_electra.convert.transformers_names import BACKBONE_ANCHOR
from keras_electra.convert.transformers_names import BACKBONE_SCOPES
from keras_electra.convert.transformers_names import BUFFER_SUFFIXES
from keras_electra.convert.transformers_names import HEAD_TABLES
from keras_electra.convert.transformers_names import MODEL_TYPE_HEADS
from keras_electra.convert.transformers_names import TIED_DECODER
from keras_electra.convert.transformers_names import backbone_name_table
from keras_electra.convert.transformers_names import fill_layer_norm
from keras_electra.convert.transformers_names import layer_norm_names
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import check_names
from keras_electra.convert.weights import extract_named
from keras_electra.errors import ElectraError


def find_backbone_prefix(tensors, role=None):
    """Finds `(root, prefix)`: the model root and the backbone's name prefix.

    Handles plain (`embeddings.`), wrapped (`electra.`, `bert.`) and combined
    layouts where a discriminator and a generator live under `discriminator.`
    and `generator.`; `role` picks one of those.
    """
    prefixes = sorted(k[: -len(BACKBONE_ANCHOR)] for k in tensors if k.endswith(BACKBONE_ANCHOR))
    if role is not None:
        prefixes = [p for p in prefixes if p.startswith(role + ".")]
    if not prefixes:
        raise ConversionError(
            f"No backbone found: no tensor ends with {BACKBONE_ANCHOR}"
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
    head_groups = set(MODEL_TYPE_HEADS[config["model_type"]])
    for arch in config.get("architectures") or []:
        head_groups.update(ARCHITECTURES[arch])
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
    norm = layer_norm_names(tensors)
    table = {
        ours: (prefix + fill_layer_norm(theirs, norm), fn)
        for ours, (theirs, fn) in HEAD_TABLES[head].items()
    }
    return extract_named(tensors, table, source=f"The checkpoint ({head})", strict=strict)


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
