"""Fine-tunes the shipped demo discriminator and the same model from random weights on SST-2.

Both start from the shipped preset's config and vocabulary
(`keras_electra.models.demo_presets`); the random copy is the same
`ElectraBackbone` rebuilt without loading weights. Each is fine-tuned with
`keras-electra finetune` on the shared SST-2 train split and scored on the
full SST-2 dev split (`../shared/data`, see its README), with identical
settings and seeds. Prints one line per run and the mean accuracies, and
writes `<out>/results.json`. Exits with a message when the data is missing.
`--preset` compares another backbone preset (e.g. one of
`tools/demo_sst2_variants.py`) with its own random copy instead.

Example:
```
PYTHONPATH=. KERAS_BACKEND=torch python tools/demo_finetune_sst2.py --seeds 0 1 2 \\
    --out /tmp/demo_sst2
```
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
LAYOUT = ["--text-columns", "1", "--label-column", "0", "--header", "no"]
VARIANTS = ("pretrained", "random")


def random_copy(preset, out, seed=0):
    """Writes the backbone of `preset` at a fresh random initialization, with its preprocessor."""
    import keras

    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraTextClassifierPreprocessor

    keras.utils.set_random_seed(seed)
    backbone = ElectraBackbone.from_preset(preset, load_weights=False)
    backbone.save_to_preset(out)
    ElectraTextClassifierPreprocessor.from_preset(preset).save_to_preset(out)
    return out


def finetune(preset, shared, out, seed, epochs, batch_size, learning_rate, max_train_examples):
    """Accuracy (%) on the SST-2 dev split after `keras-electra finetune` from `preset`."""
    import keras

    from keras_electra.cli.main import main as cli

    command = ["finetune", "--preset", preset, "--task", "sst2",
               "--train", os.path.join(shared, "sst2", "train.tsv"),
               "--eval", os.path.join(shared, "sst2", "dev.tsv"), "--out", out,
               "--seed", str(seed), "--epochs", str(epochs), "--batch-size", str(batch_size),
               "--sequence-length", "64", "--learning-rate", str(learning_rate),
               "--overwrite"] + LAYOUT
    if max_train_examples:
        command += ["--max-train-examples", str(max_train_examples)]
    if cli(command) != 0:
        raise SystemExit(f"keras-electra {' '.join(command)} failed")
    keras.backend.clear_session()
    with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    return metrics["accuracy"]  # `keras-electra finetune` reports percentages


def run(args):
    from keras_electra.models.demo_presets import demo_preset

    dev = os.path.join(args.shared_data, "sst2", "dev.tsv")
    if not os.path.isfile(dev):
        print(f"SST-2 not found under {args.shared_data}; nothing to do", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    presets = {"pretrained": args.preset or demo_preset("discriminator")}
    results = {"settings": vars(args), "runs": []}
    for seed in args.seeds:
        presets["random"] = random_copy(presets["pretrained"],
                                        os.path.join(args.out, f"random_init_{seed}"), seed)
        for variant in VARIANTS:
            accuracy = finetune(presets[variant], args.shared_data,
                                os.path.join(args.out, f"{variant}_{seed}"), seed, args.epochs,
                                args.batch_size, args.learning_rate, args.max_train_examples)
            results["runs"].append({"variant": variant, "seed": seed, "accuracy": accuracy})
            print(f"{variant} seed {seed}: SST-2 dev accuracy {accuracy:.2f}%", flush=True)
    for variant in VARIANTS:
        scores = [r["accuracy"] for r in results["runs"] if r["variant"] == variant]
        results[variant] = sum(scores) / len(scores)
        print(f"{variant}: mean {results[variant]:.2f}% over seeds {args.seeds}")
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for the runs and results.json")
    parser.add_argument("--shared-data", default=SHARED, help="the shared data folder")
    parser.add_argument("--preset", default=None,
                        help="backbone preset to compare with its random copy "
                             "(default: the shipped demo discriminator)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--max-train-examples", type=int, default=None,
                        help="first N training examples (default: all)")
    return parser


def main(argv=None):
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
