"""The one mapping between `ElectraBackbone` arguments and transformers config keys.

Export (ours -> theirs), import (theirs -> ours) and the benchmark's
transformers side all use it. Plain Python: it imports nothing.
"""

# `ElectraBackbone` argument -> transformers `ElectraConfig` key, in the
# order export writes them.
BACKBONE_TO_TRANSFORMERS = {
    "vocabulary_size": "vocab_size",
    "embedding_dim": "embedding_size",
    "hidden_dim": "hidden_size",
    "num_layers": "num_hidden_layers",
    "num_heads": "num_attention_heads",
    "intermediate_dim": "intermediate_size",
    "dropout": "hidden_dropout_prob",
    "max_sequence_length": "max_position_embeddings",
    "num_segments": "type_vocab_size",
    "initializer_range": "initializer_range",
    "layer_norm_epsilon": "layer_norm_eps",
}
TRANSFORMERS_TO_BACKBONE = {theirs: ours for ours, theirs in BACKBONE_TO_TRANSFORMERS.items()}
# transformers' values for optional keys a config may leave out.
TRANSFORMERS_DEFAULTS = {
    "hidden_dropout_prob": 0.1,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "initializer_range": 0.02,
}
# The exact (erf) GELU of ELECTRA and BERT, the only activation supported.
HIDDEN_ACT = "gelu"


def to_transformers_config(backbone_kwargs):
    """transformers config keys for the `ElectraBackbone` arguments given.

    Args:
        backbone_kwargs: dict of `ElectraBackbone` arguments (those without
            a transformers key are ignored).

    Returns:
        dict of transformers config keys, in `BACKBONE_TO_TRANSFORMERS` order.

    Example:
    ```python
    to_transformers_config({"hidden_dim": 256, "num_layers": 12})
    # {'hidden_size': 256, 'num_hidden_layers': 12}
    ```
    """
    return {
        theirs: backbone_kwargs[ours]
        for ours, theirs in BACKBONE_TO_TRANSFORMERS.items()
        if ours in backbone_kwargs
    }


def from_transformers_config(config):
    """`ElectraBackbone` arguments for the transformers config keys present.

    Args:
        config: dict, a transformers config (other keys are ignored).

    Returns:
        dict of `ElectraBackbone` arguments.

    Example:
    ```python
    from_transformers_config({"hidden_size": 256, "model_type": "electra"})
    # {'hidden_dim': 256}
    ```
    """
    return {
        ours: config[theirs]
        for ours, theirs in BACKBONE_TO_TRANSFORMERS.items()
        if theirs in config
    }
