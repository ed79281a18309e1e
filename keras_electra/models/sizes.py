"""ELECTRA model sizes: the one table of discriminator and generator dimensions.

`small`, `base` and `large` are google-research/electra's sizes (the paper's
Table 6 and `configure_pretraining.py`); `tiny` is this project's own size,
for CPU demos and tests. Every other module (training recipes, memory
estimates, benchmarks, the command line) imports these tables.
"""

import dataclasses

# Vocabulary of the original uncased WordPiece vocab.txt.
ORIGINAL_VOCABULARY_SIZE = 30522
# Learned positions of the original models.
ORIGINAL_MAX_SEQUENCE_LENGTH = 512


@dataclasses.dataclass(frozen=True)
class ModelSize:
    """Transformer dimensions of an ELECTRA model.

    Args:
        hidden_dim: int. Width of the Transformer layers.
        embedding_dim: int. Width of the embedding tables.
        num_layers: int. Number of Transformer layers.
        num_heads: int. Attention heads per layer.
        intermediate_dim: int. Feed-forward inner width.
        vocabulary_size: int. Token vocabulary size.
        max_sequence_length: int. Number of learned positions.

    Example:
    ```python
    from keras_electra.training import get_pretraining_recipe

    size = get_pretraining_recipe("small").model
    size.backbone_kwargs()["hidden_dim"]  # 256
    ```
    """

    hidden_dim: int
    embedding_dim: int
    num_layers: int
    num_heads: int
    intermediate_dim: int
    vocabulary_size: int = ORIGINAL_VOCABULARY_SIZE
    max_sequence_length: int = ORIGINAL_MAX_SEQUENCE_LENGTH

    def backbone_kwargs(self):
        """Keyword arguments for `keras_electra.models.ElectraBackbone`."""
        return dataclasses.asdict(self)

    def generator(self, hidden_fraction, layer_fraction=1.0):
        """The generator's size, as google-research/electra derives it.

        Width `round(hidden_dim * hidden_fraction)`, depth
        `round(num_layers * layer_fraction)`, feed-forward `4 * width`, one
        head per 64 units (at least one); the embedding width is unchanged
        because the generator shares the discriminator's embeddings.

        Args:
            hidden_fraction: float. Generator width relative to this model.
            layer_fraction: float. Generator depth relative to this model.

        Returns:
            A `ModelSize`.
        """
        hidden_dim = int(round(self.hidden_dim * hidden_fraction))
        return dataclasses.replace(
            self,
            hidden_dim=hidden_dim,
            num_layers=int(round(self.num_layers * layer_fraction)),
            num_heads=max(1, hidden_dim // 64),
            intermediate_dim=4 * hidden_dim,
        )


# Discriminator (or fine-tuned model) sizes, from the smallest width up.
MODEL_SIZES = {
    "tiny": ModelSize(
        hidden_dim=64,
        embedding_dim=32,
        num_layers=2,
        num_heads=2,
        intermediate_dim=256,
        max_sequence_length=64,
    ),
    "small": ModelSize(
        hidden_dim=256,
        embedding_dim=128,
        num_layers=12,
        num_heads=4,
        intermediate_dim=1024,
    ),
    "base": ModelSize(
        hidden_dim=768,
        embedding_dim=768,
        num_layers=12,
        num_heads=12,
        intermediate_dim=3072,
    ),
    "large": ModelSize(
        hidden_dim=1024,
        embedding_dim=1024,
        num_layers=24,
        num_heads=16,
        intermediate_dim=4096,
    ),
}
SIZE_NAMES = tuple(MODEL_SIZES)

# Generator width / discriminator width in pretraining: the paper's 1/4 for
# small and large, 1/3 for base (`tiny` follows small).
GENERATOR_HIDDEN_FRACTIONS = {"tiny": 0.25, "small": 0.25, "base": 1 / 3, "large": 0.25}

# Generators of the released google-research/electra checkpoints. The
# released ELECTRA-Small generator is as wide as its discriminator (not the
# paper's 1/4), so it is listed here rather than derived from the fractions.
RELEASED_GENERATOR_SIZES = {
    "small": MODEL_SIZES["small"].generator(1.0),
    "base": MODEL_SIZES["base"].generator(1 / 3),
    "large": MODEL_SIZES["large"].generator(0.25),
}


def model_size_name(hidden_dim):
    """The named size for a model of width `hidden_dim`.

    The largest size whose width is at most `hidden_dim`; `"tiny"` below
    the small width. Picks the recipe (learning rate, decay) of a backbone
    or JSON config.

    Args:
        hidden_dim: int. The model's `hidden_dim`.

    Returns:
        One of `SIZE_NAMES`.

    Example:
    ```python
    from keras_electra.models.sizes import model_size_name

    model_size_name(768)  # "base"
    model_size_name(64)  # "tiny"
    ```
    """
    for name in reversed(SIZE_NAMES):
        if hidden_dim >= MODEL_SIZES[name].hidden_dim:
            return name
    return SIZE_NAMES[0]
