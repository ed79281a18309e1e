"""Variants of the shipped demo discriminator that locate why it fine-tunes worse than random.

Writes two backbone presets (with the shipped tokenizer and preprocessor) for
`tools/demo_finetune_sst2.py --preset`:

- `fresh_embeddings`: the shipped transformer layers with the embeddings
  (token, position and segment tables, their LayerNorm and the projection)
  of a fresh random initialization (`--seed`).
- `rescaled_embeddings`: the shipped model with its token, position and
  segment tables multiplied by one factor that brings the token table to
  root-mean-square `--target-rms` (0.02, the initializer's scale). The
  embedding LayerNorm divides the factor out, so the model computes the same
  function; only the size of the weights Adam updates changes.

Example:
```
PYTHONPATH=. KERAS_BACKEND=torch python tools/demo_sst2_variants.py --out /tmp/demo_variants
PYTHONPATH=. KERAS_BACKEND=torch python tools/demo_finetune_sst2.py --seeds 0 1 2 \\
    --preset /tmp/demo_variants/fresh_embeddings --out /tmp/demo_sst2_fresh
```
"""

import argparse
import os
import sys

EMBEDDING_TABLES = ("token_embedding", "position_embedding", "segment_embedding")


def is_embedding_variable(variable):
    """Whether a backbone variable belongs to the embeddings or their projection."""
    return variable.path.split("/")[0] in ("embeddings", "embeddings_projection")


def fresh_embeddings(preset, seed=0):
    """The backbone of `preset` with freshly initialized embeddings."""
    import keras

    from keras_electra.models import ElectraBackbone

    backbone = ElectraBackbone.from_preset(preset)
    keras.utils.set_random_seed(seed)
    fresh = ElectraBackbone.from_preset(preset, load_weights=False)
    for variable, new in zip(backbone.weights, fresh.weights):
        if is_embedding_variable(variable):
            variable.assign(new.value)
    return backbone


def rescaled_embeddings(preset, target_rms=0.02):
    """The backbone of `preset` with its embedding tables scaled; returns it and the factor."""
    import keras

    from keras_electra.models import ElectraBackbone

    backbone = ElectraBackbone.from_preset(preset)
    tables = {v.path: v for v in backbone.weights
              if v.path in [f"embeddings/{name}/embeddings" for name in EMBEDDING_TABLES]}
    if len(tables) != len(EMBEDDING_TABLES):
        raise ValueError(f"expected the tables {EMBEDDING_TABLES}; found {sorted(tables)}")
    token = keras.ops.convert_to_numpy(tables["embeddings/token_embedding/embeddings"])
    factor = float(target_rms / ((token**2).mean() ** 0.5))
    for table in tables.values():
        table.assign(keras.ops.convert_to_numpy(table) * factor)
    return backbone, factor


def run(args):
    from keras_electra.models.demo_presets import demo_preset
    from keras_electra.tasks import ElectraTextClassifierPreprocessor
    from keras_electra.utils.output_files import check_output

    preset = args.preset or demo_preset("discriminator")
    check_output(args.out, args.overwrite)
    rescaled, factor = rescaled_embeddings(preset, args.target_rms)
    variants = {"fresh_embeddings": fresh_embeddings(preset, args.seed),
                "rescaled_embeddings": rescaled}
    preprocessor = ElectraTextClassifierPreprocessor.from_preset(preset)
    for name, backbone in variants.items():
        path = os.path.join(args.out, name)
        backbone.save_to_preset(path)
        preprocessor.save_to_preset(path)
        print(f"wrote {path}")
    print(f"embedding tables scaled by {factor:.4f}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for the two presets")
    parser.add_argument("--preset", default=None,
                        help="backbone preset (default: the shipped demo discriminator)")
    parser.add_argument("--seed", type=int, default=2, help="seed of the fresh embeddings")
    parser.add_argument("--target-rms", type=float, default=0.02,
                        help="root-mean-square of the rescaled token table")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    return parser


def main(argv=None):
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
