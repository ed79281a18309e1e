"""transformers' tensor names for the canonical ELECTRA/BERT layout: the name tables.

The backbone's table follows the layers' published (canonical TF1) names;
heads are explicit tables, canonical name -> (transformers name, transform).
A `{gamma}`/`{beta}` in a name is the LayerNorm parameter, `weight`/`bias`
in transformers checkpoints and `gamma`/`beta` in original BERT ones.
"""

import numpy as np

from keras_electra.convert.weights import canonical_names

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
# Head groups a checkpoint of each model type may carry whatever its architectures.
MODEL_TYPE_HEADS = {
    "electra": ("discriminator_predictions", "generator_predictions", "generator_lm_head"),
    "bert": ("pooler", "cls"),
}
# Non-weight buffers transformers may save.
BUFFER_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")
# Backbone scopes inside a model, and model roots in combined checkpoints.
BACKBONE_SCOPES = ("electra.", "bert.", "")
ROLE_ROOTS = ("discriminator.", "generator.")
# The tensor every backbone has: finds the backbone's prefix in a state dict.
BACKBONE_ANCHOR = "embeddings.word_embeddings.weight"


def _transpose(x):
    return np.transpose(x)


def transformers_name(canonical):
    """The transformers name of a canonical (TF1) one, and whether it is transposed.

    transformers keeps the original names, dot-separated: a dense `kernel` is
    a torch Linear `weight` (stored `[out, in]`, so transposed), a LayerNorm's
    `gamma`/`beta` are left as `{gamma}`/`{beta}` for `backbone_name_table`
    to fill in, and an embedding table gets `.weight`. Encoder layers are
    `encoder.layer.{i}.` there.

    Example:
    ```python
    transformers_name("encoder/layer_0/attention/self/query/kernel")
    # ('encoder.layer.0.attention.self.query.weight', True)
    ```
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


def layer_norm_names(tensors, scope=""):
    """`("gamma", "beta")` when `tensors` use original BERT LayerNorm names, else `("weight", "bias")`."""
    gamma = f"{scope}LayerNorm.gamma"
    return ("gamma", "beta") if any(k.endswith(gamma) for k in tensors) else ("weight", "bias")


def fill_layer_norm(name, layer_norm):
    """`name` with its `{gamma}`/`{beta}` replaced by `layer_norm`'s names."""
    return name.format(gamma=layer_norm[0], beta=layer_norm[1])


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
# Pretraining architectures -> their head table.
PRETRAINING_HEADS = {
    "ElectraForPreTraining": "discriminator_predictions",
    "ElectraForMaskedLM": "generator_predictions",
}
# ElectraForMaskedLM's decoder matrix, tied to the word embeddings.
TIED_DECODER = "generator_lm_head.weight"


def backbone_name_table(num_layers, has_projection, layer_norm=("weight", "bias")):
    """Canonical name -> (transformers name, transposed?) for a backbone.

    Args:
        num_layers: number of encoder layers.
        has_projection: whether `embeddings_project` exists.
        layer_norm: names of the LayerNorm scale and offset; original BERT
            checkpoints use `("gamma", "beta")`.

    Example:
    ```python
    table = backbone_name_table(12, has_projection=True)
    table["embeddings/word_embeddings"]
    # ('embeddings.word_embeddings.weight', False)
    ```
    """
    table = {}
    for name in canonical_names(num_layers, has_projection):
        hf, transposed = transformers_name(name)
        table[name] = (fill_layer_norm(hf, layer_norm), transposed)
    return table


def pretraining_architecture(config):
    """The first pretraining architecture (`ElectraForPreTraining`/`...ForMaskedLM`) of a config, or None."""
    found = [a for a in config.get("architectures") or [] if a in PRETRAINING_HEADS]
    return found[0] if found else None
