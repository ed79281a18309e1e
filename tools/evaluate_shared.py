"""Fine-tunes a preset on the shared evaluation sets and prints a table.

Runs `keras-electra finetune` on SST-2, CoLA and CoNLL-2000 chunking from
`../shared/data` (the copies described in its README) and prints each task's
official metric. Real numbers need a pretrained preset and full epochs; with
the defaults below this takes long on CPU, so use --max-train-examples for a
quick look.

Example:
```
KERAS_BACKEND=jax python3 tools/evaluate_shared.py --preset ./electra_small \\
    --tasks sst2,cola,chunk --epochs 3 --out /tmp/shared_eval
```
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")

# task -> (train, dev, layout flags) for the shared copies.
TASKS = {
    "sst2": ("sst2/train.tsv", "sst2/dev.tsv", ["--text-columns", "1", "--label-column", "0", "--header", "no"]),
    "cola": ("cola/train.tsv", "cola/dev.tsv", ["--text-columns", "0", "--label-column", "1", "--header", "no"]),
    "chunk": ("conll2000/train.txt", "conll2000/dev.txt", []),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", required=True, help="backbone preset directory")
    parser.add_argument("--tasks", default="sst2,cola,chunk")
    parser.add_argument("--data", default=SHARED, help="shared data folder")
    parser.add_argument("--out", default="shared_eval", help="folder for the task presets")
    parser.add_argument("--epochs", type=float)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--sequence-length", type=int)
    parser.add_argument("--max-train-examples", type=int)
    parser.add_argument("--max-eval-examples", type=int)
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--learning-rate", type=float)
    args = parser.parse_args(argv)
    if not os.path.isdir(args.data):
        parser.error(f"shared data folder not found: {args.data}")

    from keras_electra.cli.main import main as cli

    rows = []
    for task in args.tasks.split(","):
        train, dev, layout = TASKS[task]
        out = os.path.join(args.out, task)
        command = ["finetune", "--preset", args.preset, "--task", task,
                   "--train", os.path.join(args.data, train), "--eval", os.path.join(args.data, dev),
                   "--out", out, "--batch-size", str(args.batch_size), "--overwrite"] + layout
        for flag in ("epochs", "sequence_length", "max_train_examples", "max_eval_examples",
                     "max_steps", "learning_rate"):
            value = getattr(args, flag)
            if value is not None:
                command += ["--" + flag.replace("_", "-"), str(value)]
        if cli(command) != 0:
            raise SystemExit(f"keras-electra {' '.join(command)} failed")
        with open(os.path.join(out, "metrics.json")) as f:
            rows.append(json.load(f))

    print()
    print("| task | metric | value | train examples | steps | train s | eval examples | backend |")
    print("|---|---|---|---|---|---|---|---|")
    from keras_electra.cli.task_registry import get_task

    for row in rows:
        metric = get_task(row["task"]).metric
        print(f"| {row['task']} | {metric} | {row[metric]:.4f} | {row['train_examples']} | "
              f"{row['train_steps']} | {row['train_seconds']} | {row.get('eval_examples')} | {row['backend']} |")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    sys.exit(main())
