"""Pretrains one recipe on a text corpus and prints its learning curve per step.

The experiment driver behind the `demo` recipe (guides/pretraining.md). It
starts from a named recipe of `keras_electra.training.PRETRAINING_RECIPES`,
changes the fields given on the command line, trains a WordPiece vocabulary
on the corpus (cached in `--workdir`), and pretrains with the recipe's
masking, losses and optimizer through `keras_electra.apps.pretraining` (the run
behind `keras-electra pretrain`). The run is split into `--intervals` equal
intervals (its log interval); the metrics are reset at each, so the last row is
the mean over the last 1/intervals of the steps (disc_auc over
the last 10% with the default 10). Results, with seconds per step, go to
`--out` as JSON. With `--objective electric` the Electric scorer preset is
exported to `<out>.scorer/` for `keras-electra score`.

Example:
```
python tools/natural_text_corpus.py --out /tmp/natural
PYTHONPATH=. KERAS_BACKEND=torch python tools/pretraining_curves.py \\
    --data /tmp/natural/pretrain.txt --recipe demo --steps 300 --out /tmp/demo.json
```
"""

import argparse
import dataclasses
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# Command-line flag -> (recipe or model-size field, type).
RECIPE_FIELDS = {
    "learning_rate": float, "batch_size": int, "sequence_length": int, "warmup_steps": int,
    "num_train_steps": int, "mask_probability": float, "generator_hidden_fraction": float,
    "generator_layer_fraction": float, "generator_weight": float,
    "discriminator_weight": float, "temperature": float, "weight_decay": float,
    "electric_energy_init": str,
}
SIZE_FIELDS = {"hidden_dim": int, "embedding_dim": int, "num_layers": int, "num_heads": int,
               "intermediate_dim": int}
METRICS = ("disc_auc", "disc_recall", "disc_precision", "masked_lm_accuracy",
           "sampled_masked_lm_accuracy", "masked_lm_loss", "disc_loss", "loss")


def vocabulary_for(data, size, workdir):
    """A WordPiece vocabulary of `size` trained on `data`, cached in `workdir`."""
    from keras_electra.data import train_vocabulary

    import hashlib

    key = hashlib.sha1("\n".join(os.path.abspath(p) for p in data).encode()).hexdigest()[:10]
    path = os.path.join(workdir, f"vocab-{size}-{key}.txt")
    if not os.path.exists(path):
        os.makedirs(workdir, exist_ok=True)
        train_vocabulary(data, size, out=path + ".tmp")
        os.replace(path + ".tmp", path)
    return path


def resolve_recipe(name, overrides):
    """The named recipe with `overrides` (recipe and model-size fields) applied."""
    from keras_electra.training import get_pretraining_recipe

    recipe = get_pretraining_recipe(name)
    size = {k: v for k, v in overrides.items() if k in SIZE_FIELDS and v is not None}
    rest = {k: v for k, v in overrides.items() if k in RECIPE_FIELDS and v is not None}
    model = dataclasses.replace(recipe.model, **size)
    return dataclasses.replace(recipe, model=model, **rest)


def app_settings(data, recipe, objective, intervals, seed, vocab_path):
    """The `PretrainingSettings` that run `recipe` (a named recipe with changed fields)."""
    from keras_electra.apps.pretraining import PretrainingSettings
    from keras_electra.training import get_pretraining_recipe

    base = get_pretraining_recipe(recipe.name)
    overrides = {f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe)
                 if f.name not in ("name", "model") and getattr(recipe, f.name) != getattr(base, f.name)}
    model = recipe.name
    if recipe.model != base.model:
        model = dict(recipe.model.backbone_kwargs(),
                     generator_hidden_fraction=recipe.generator_hidden_fraction,
                     generator_layer_fraction=recipe.generator_layer_fraction)
    steps = recipe.num_train_steps
    return PretrainingSettings(
        data=tuple(data), vocab=vocab_path, model=model, recipe=recipe.name,
        recipe_overrides=overrides or None, objective=objective, steps=steps,
        warmup_steps=recipe.warmup_steps, seed=seed, checkpoint_every=steps // intervals,
    )


def run(data, recipe, objective="electra", intervals=10, seed=0, workdir="/tmp/curves",
        vocabulary_size=4000, scorer_dir=None, verbose=True):
    """Pretrains `recipe` on `data` through `keras_electra.apps.pretraining`.

    Returns `{"rows": [...], "cpu_seconds_per_step": ..., "vocabulary_size": ...}`: one
    row per interval (the run's `log.csv`: metrics averaged over the interval).
    `cpu_seconds_per_step` is the process CPU time of the whole run (set-up,
    compilation and checkpoints included) over its steps; `seconds_per_step` is the
    run's `train_seconds` (its `summary.json`) over its steps.
    """
    import csv
    import shutil

    from keras_electra.apps.pretraining import run_pretraining
    from keras_electra.data import read_vocabulary

    steps = recipe.num_train_steps
    if steps % intervals:
        raise SystemExit(f"--steps {steps} must be a multiple of --intervals {intervals}")
    vocab_path = vocabulary_for(data, vocabulary_size, workdir)
    settings = app_settings(data, recipe, objective, intervals, seed, vocab_path)
    out = os.path.join(workdir, f"run-{objective}-{seed}")
    cpu = time.process_time()
    run_pretraining(settings, out, overwrite=True, verbose=0)
    cpu = (time.process_time() - cpu) / steps
    with open(os.path.join(out, "log.csv"), encoding="utf-8") as f:
        rows = [{"step": int(r["step"]), **{k: round(float(r[k]), 4) for k in METRICS if r.get(k)}}
                for r in csv.DictReader(f)]
    if verbose:
        for row in rows:
            print(json.dumps(row), flush=True)
    if scorer_dir and objective == "electric":
        if os.path.lexists(scorer_dir):
            shutil.rmtree(scorer_dir)
        shutil.copytree(os.path.join(out, "electric_scorer"), scorer_dir)
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    return {"rows": rows, "cpu_seconds_per_step": round(cpu, 4),
            "seconds_per_step": round(summary["train_seconds"] / max(1, steps), 4),
            "vocabulary_size": len(read_vocabulary(vocab_path))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", required=True, help="text files")
    parser.add_argument("--recipe", default="demo", help="recipe to start from")
    parser.add_argument("--objective", default="electra")
    parser.add_argument("--steps", type=int, dest="num_train_steps")
    parser.add_argument("--vocab-size", type=int, default=4000)
    parser.add_argument("--intervals", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default="/tmp/pretraining_curves")
    parser.add_argument("--out", help="JSON results file")
    for name, kind in {**RECIPE_FIELDS, **SIZE_FIELDS}.items():
        if name != "num_train_steps":
            parser.add_argument("--" + name.replace("_", "-"), type=kind, dest=name)
    args = parser.parse_args(argv)
    overrides = {k: getattr(args, k) for k in {**RECIPE_FIELDS, **SIZE_FIELDS}}
    recipe = resolve_recipe(args.recipe, overrides)
    print(recipe, flush=True)
    scorer_dir = args.out[: -len(".json")] + ".scorer" if args.out else None
    result = run(args.data, recipe, args.objective, args.intervals, args.seed, args.workdir,
                 args.vocab_size, scorer_dir=scorer_dir)
    result["recipe"] = dataclasses.asdict(recipe)
    result["objective"] = args.objective
    last = result["rows"][-1]
    print(f"last {100 // args.intervals}% of {recipe.num_train_steps} steps: "
          f"disc_auc {last.get('disc_auc')}, masked_lm_accuracy {last['masked_lm_accuracy']}, "
          f"disc_recall {last.get('disc_recall')}; {result['cpu_seconds_per_step']} CPU s/step")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
