"""Checks ELECTRA's central claim at small scale: RTD beats MLM at equal compute.

Pretrains the same small model on the same corpus with the `electra` objective
(replaced-token detection), with `mlm` (the BERT baseline, the original's
85% [MASK] / 15% kept masking) for the same number of steps, and with `mlm`
for the same training time (`mlm_time`: ELECTRA's steps times the measured
MLM/ELECTRA speed ratio), keeps a copy at its random initialization (`none`),
then fine-tunes each discriminator with identical settings and seeds on the
shared evaluation tasks (SST-2 accuracy, CoLA MCC, CoNLL-2000 chunk F1) and
prints a markdown table. All variants start from the same initial
discriminator weights (same seed, built first), use the same pretraining
recipe (`--recipe`, default `demo`), and are pretrained one after the other
before any fine-tuning, so their speeds are measured under the same load.
Results go to `<out>/results.json`.

Each variant is one run of the pretraining application
(`keras_electra.apps.pretraining`, what `keras-electra pretrain` runs) in
`<out>/runs/<variant>`, with its checkpoints, logs, summary and presets; the
corpus and vocabulary are written once, to `<out>/corpus/` and `<out>/vocab.txt`.

The corpus defaults to the Python standard library's docstrings with a
WordPiece vocabulary trained on them; pass --text-files to use your own text
(one sentence per line, blank line between documents). Tasks whose files are
missing under --shared-data are skipped with a message.

Example:
```
PYTHONPATH=. KERAS_BACKEND=torch python3 tools/reproduce_small_scale.py \\
    --text-files /tmp/natural/pretrain.txt --pretrain-steps 1000 \\
    --seeds 0,1,2 --out /tmp/repro
```
"""

import argparse
import dataclasses
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
VARIANTS = ("electra", "mlm", "mlm_time", "none")
TASK_METRICS = {"sst2": "accuracy", "cola": "mcc", "chunk": "f1"}
# How each metric is reported (chunk F1 follows conlleval, in percent).
METRIC_LABELS = {"sst2": "accuracy, %", "cola": "MCC, %", "chunk": "chunk F1, %"}
# task -> (train, dev, layout flags) of the shared copies (as tools/evaluate_shared.py).
TASK_FILES = {
    "sst2": ("sst2/train.tsv", "sst2/dev.tsv", ["--text-columns", "1", "--label-column", "0", "--header", "no"]),
    "cola": ("cola/train.tsv", "cola/dev.tsv", ["--text-columns", "0", "--label-column", "1", "--header", "no"]),
    "chunk": ("conll2000/train.txt", "conll2000/dev.txt", []),
}


def model_config(recipe="demo", hidden_dim=None, num_layers=None, num_heads=None,
                 embedding_dim=None, sequence_length=None, generator_hidden_fraction=None):
    """The discriminator's `ElectraBackbone` arguments and generator width.

    The recipe's model size, with the given fields changed (a width change
    also sets the feed-forward width to 4x). The vocabulary size comes from
    the trained vocabulary.
    """
    from keras_electra.training import get_pretraining_recipe

    recipe = get_pretraining_recipe(recipe)
    config = recipe.model.backbone_kwargs()
    config.pop("vocabulary_size")
    config["generator_hidden_fraction"] = recipe.generator_hidden_fraction
    if hidden_dim is not None:
        config.update(hidden_dim=hidden_dim, intermediate_dim=4 * hidden_dim)
    for key, value in (("num_layers", num_layers), ("num_heads", num_heads),
                       ("embedding_dim", embedding_dim), ("max_sequence_length", sequence_length),
                       ("generator_hidden_fraction", generator_hidden_fraction)):
        if value is not None:
            config[key] = value
    return config


def pretraining_settings(args):
    """The `PretrainingSettings` shared by every variant (corpus, model, optimization).

    Unset batch size, learning rate and sequence length are the recipe's.
    """
    from keras_electra.apps.pretraining import PretrainingSettings

    steps = args.pretrain_steps
    return PretrainingSettings(
        data=tuple(args.text_files) if args.text_files else None,
        vocab_size=args.vocabulary_size, corpus_max_files=args.max_corpus_files,
        model=model_config(args.recipe, args.hidden_dim, args.num_layers, args.num_heads,
                           args.embedding_dim, args.sequence_length, args.generator_fraction),
        recipe=args.recipe, steps=steps, batch_size=args.pretrain_batch_size,
        seq_len=args.sequence_length, learning_rate=args.pretrain_learning_rate,
        warmup_steps=max(1, steps // 10), seed=args.pretrain_seed, checkpoint_every=max(1, steps),
    )


def equal_time_steps(steps, electra_steps_per_second, mlm_steps_per_second):
    """MLM steps that take as long as `steps` ELECTRA steps at the measured speeds."""
    if electra_steps_per_second <= 0 or mlm_steps_per_second <= 0:
        raise ValueError("equal_time_steps needs both measured speeds (steps/s > 0).")
    return max(1, round(steps * mlm_steps_per_second / electra_steps_per_second))


def variant_settings(settings, variant, steps=None):
    """The settings of one variant: `electra` (RTD), `mlm`, `mlm_time` (MLM for
    `steps` steps, those of equal time), or `none` (no training: the initial
    weights, which are the same for every variant given the seed)."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; expected one of {VARIANTS}.")
    if variant == "none":
        return dataclasses.replace(settings, objective="mlm", steps=0)
    if variant == "mlm_time":
        if steps is None:
            raise ValueError("variant 'mlm_time' needs its steps (equal_time_steps).")
        # Same warmup share and one checkpoint at the end, as the other variants.
        return dataclasses.replace(settings, objective="mlm", steps=steps,
                                   warmup_steps=max(1, steps // 10), checkpoint_every=steps)
    return dataclasses.replace(settings, objective=variant)


def finetune(preset_dir, task, shared_data, out_dir, seed=0, epochs=3.0, batch_size=32,
             sequence_length=64, max_train_examples=None, max_eval_examples=None,
             learning_rate=None):
    """Fine-tunes `preset_dir` on one shared task with `keras-electra finetune`.

    Returns:
        The `metrics.json` dict of the run, or None when the task's files are
        missing under `shared_data`.
    """
    import keras

    from keras_electra.cli.main import main as cli

    train, dev, layout = TASK_FILES[task]
    train, dev = os.path.join(shared_data, train), os.path.join(shared_data, dev)
    if not (os.path.isfile(train) and os.path.isfile(dev)):
        print(f"skipping {task}: {train} or {dev} not found", flush=True)
        return None
    command = ["finetune", "--preset", preset_dir, "--task", task, "--train", train,
               "--eval", dev, "--out", out_dir, "--seed", str(seed), "--epochs", str(epochs),
               "--batch-size", str(batch_size), "--sequence-length", str(sequence_length),
               "--overwrite"] + layout
    for flag, value in (("--max-train-examples", max_train_examples),
                        ("--max-eval-examples", max_eval_examples),
                        ("--learning-rate", learning_rate)):
        if value is not None:
            command += [flag, str(value)]
    if cli(command) != 0:
        raise SystemExit(f"keras-electra {' '.join(command)} failed")
    keras.backend.clear_session()
    with open(os.path.join(out_dir, "metrics.json"), encoding="utf-8") as f:
        return json.load(f)


def summarize(results):
    """Mean and per-seed scores: `{task: {variant: {"mean", "scores"}}}`."""
    summary = {}
    for run in results["finetuning"]:
        entry = summary.setdefault(run["task"], {}).setdefault(run["variant"], {"scores": []})
        entry["scores"].append(run["score"])
    for task in summary.values():
        for entry in task.values():
            entry["mean"] = sum(entry["scores"]) / len(entry["scores"])
    return summary


def markdown_table(results):
    """The results as a markdown table: one row per task, one column per variant."""
    variants = [p["variant"] for p in results["pretraining"]]
    summary = summarize(results)
    seeds = results["config"]["seeds"]
    lines = ["| task (metric, dev) | " + " | ".join(variants) + " |",
             "|---|" + "---|" * len(variants)]
    for task, per_variant in summary.items():
        cells = []
        for variant in variants:
            entry = per_variant.get(variant)
            if entry is None:
                cells.append("-")
            elif len(entry["scores"]) > 1:
                spread = ", ".join(f"{s:.3f}" for s in entry["scores"])
                cells.append(f"{entry['mean']:.4f} ({spread})")
            else:
                cells.append(f"{entry['mean']:.4f}")
        lines.append(f"| {task} ({METRIC_LABELS[task]}) | " + " | ".join(cells) + " |")
    lines.append("| pretraining steps | " + " | ".join(str(p["steps"]) for p in results["pretraining"]) + " |")
    lines.append("| pretraining seconds | "
                 + " | ".join(str(p["pretrain_seconds"]) for p in results["pretraining"]) + " |")
    if any("steps_per_second" in p for p in results["pretraining"]):
        lines.append("| pretraining steps/s | "
                     + " | ".join(str(p.get("steps_per_second") or "-") for p in results["pretraining"]) + " |")
    lines.append(f"\n(fine-tuning seeds: {', '.join(map(str, seeds))}; "
                 "several seeds show the mean then each score)")
    return "\n".join(lines)


def versions():
    import platform

    import keras
    import keras_hub

    info = {"python": platform.python_version(), "keras": keras.__version__,
            "keras_hub": keras_hub.__version__, "backend": keras.config.backend()}
    backend = keras.config.backend()
    if backend in ("jax", "tensorflow", "torch"):
        module = __import__(backend)
        info[backend] = module.__version__
    return info


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="reproduce_small_scale", help="output folder (presets, results.json)")
    parser.add_argument("--shared-data", default=SHARED, help="shared evaluation data folder")
    parser.add_argument("--tasks", default="sst2,cola,chunk", help="comma-separated: sst2, cola, chunk")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: electra, mlm, none")
    parser.add_argument("--text-files", nargs="+", help="pretraining text files (default: stdlib docstrings)")
    parser.add_argument("--max-corpus-files", type=int, help="stdlib source files read for the corpus")
    parser.add_argument("--vocabulary-size", type=int, default=4000)
    parser.add_argument("--recipe", default="demo",
                        help="pretraining recipe of every variant (keras_electra.training.PRETRAINING_RECIPES); "
                             "its model size unless the flags below change it")
    parser.add_argument("--hidden-dim", type=int, help="default: the recipe's")
    parser.add_argument("--num-layers", type=int, help="default: the recipe's")
    parser.add_argument("--num-heads", type=int, help="default: the recipe's")
    parser.add_argument("--embedding-dim", type=int, help="default: the recipe's")
    parser.add_argument("--sequence-length", type=int, default=64, help="pretraining and fine-tuning length")
    parser.add_argument("--generator-fraction", type=float, help="generator width / discriminator (the recipe's)")
    parser.add_argument("--pretrain-steps", type=int, default=300, help="ELECTRA's and MLM's (equal steps)")
    parser.add_argument("--pretrain-batch-size", type=int, help="default: the recipe's")
    parser.add_argument("--pretrain-learning-rate", type=float, help="default: the recipe's")
    parser.add_argument("--pretrain-seed", type=int, default=0)
    parser.add_argument("--seeds", default="0", help="comma-separated fine-tuning seeds")
    parser.add_argument("--epochs", type=float, default=3.0, help="fine-tuning epochs")
    parser.add_argument("--batch-size", type=int, default=32, help="fine-tuning batch size")
    parser.add_argument("--learning-rate", type=float, help="fine-tuning peak LR (default: recipe 'tiny')")
    parser.add_argument("--max-train-examples", type=int, help="first N training examples per task")
    parser.add_argument("--max-eval-examples", type=int, help="first N dev examples per task")
    parser.add_argument("--resume", action="store_true",
                        help="reuse presets and finished runs of an earlier results.json in --out "
                             "(same settings), e.g. to add seeds or tasks")
    parser.add_argument("--verbose", type=int, default=1, help="Keras progress bars for pretraining (0, 1, 2)")
    return parser


def _previous_results(args):
    """The earlier `results.json` in `--out` when `--resume` is given, else None."""
    path = os.path.join(args.out, "results.json")
    if not getattr(args, "resume", False):
        return None
    if not os.path.isfile(path):
        print(f"--resume: no {path} yet, starting from scratch", flush=True)
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# Settings that must match for --resume to reuse earlier presets and runs.
_RESUME_KEYS = ("recipe", "pretrain_steps", "pretrain_batch_size", "pretrain_learning_rate", "generator_fraction",
                "pretrain_seed", "epochs", "batch_size", "learning_rate", "max_train_examples",
                "max_eval_examples")


def _check_same_settings(previous, current):
    keys = [k for k in _RESUME_KEYS if previous.get(k) != current.get(k)]
    if previous["model"] != current["model"]:
        keys.append("model")
    if keys:
        raise ValueError(
            f"--resume: the earlier run in this --out used other settings ({', '.join(keys)}); "
            "use the same options or another --out."
        )


def _prepare_corpus(settings, out):
    """Writes the corpus (the stdlib docstrings unless --text-files) and `out/vocab.txt` once,
    for all variants; returns the corpus files."""
    from keras_electra.apps.pretraining import STDLIB_CORPUS
    from keras_electra.apps.pretraining import prepare_corpus
    from keras_electra.apps.pretraining import resolve_settings

    stale = os.path.join(out, STDLIB_CORPUS)
    if settings.data is None and os.path.exists(stale):
        os.remove(stale)  # --max-corpus-files may differ from the earlier run's
    _, files = prepare_corpus(resolve_settings(settings, out), out)
    return files


def run(args):
    """Runs the whole comparison; returns the results dict (also written to JSON)."""
    import keras

    from keras_electra.apps.pretraining import run_pretraining

    tasks = [t for t in args.tasks.split(",") if t]
    variants = [v for v in args.variants.split(",") if v]
    for task in tasks:
        if task not in TASK_FILES:
            raise ValueError(f"Unknown task {task!r}; expected some of {sorted(TASK_FILES)}.")
    for variant in variants:
        if variant not in VARIANTS:
            raise ValueError(f"Unknown variant {variant!r}; expected some of {VARIANTS}.")
    if "mlm_time" in variants and not {"electra", "mlm"} <= set(variants):
        raise ValueError("variant 'mlm_time' needs 'electra' and 'mlm' (their measured speeds).")
    seeds = [int(s) for s in args.seeds.split(",") if s != ""]
    shared = os.path.abspath(args.shared_data)
    if not os.path.isdir(shared):
        print(f"shared data folder {shared} not found: pretraining only, no fine-tuning", flush=True)
        tasks = []
    start = time.time()
    previous = _previous_results(args)
    settings = pretraining_settings(args)
    vocab_path = os.path.join(args.out, "vocab.txt")
    if previous:
        files = previous["config"]["corpus"]
    else:
        files = _prepare_corpus(settings, args.out)
    settings = dataclasses.replace(settings, data=tuple(files), vocab=vocab_path)
    results = {
        "config": {"model": settings.model, "corpus": files, "recipe": args.recipe,
                   "pretrain_steps": args.pretrain_steps,
                   "pretrain_batch_size": args.pretrain_batch_size,
                   "pretrain_learning_rate": args.pretrain_learning_rate,
                   "generator_fraction": args.generator_fraction, "pretrain_seed": args.pretrain_seed,
                   "tasks": tasks, "seeds": seeds, "epochs": args.epochs,
                   "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                   "max_train_examples": args.max_train_examples,
                   "max_eval_examples": args.max_eval_examples},
        "versions": versions(), "pretraining": [], "finetuning": [],
    }
    if previous:
        _check_same_settings(previous["config"], results["config"])
        results["config"]["tasks"] = sorted(set(tasks) | set(previous["config"]["tasks"]), key=list(TASK_FILES).index)
        results["config"]["seeds"] = sorted(set(seeds) | set(previous["config"]["seeds"]))
        done_pretraining = {p["variant"]: p for p in previous["pretraining"]}
        done_finetuning = {(r["variant"], r["task"], r["seed"]): r for r in previous["finetuning"]}
    else:
        done_pretraining, done_finetuning = {}, {}
    total = len(variants) * (1 + len(tasks) * len(seeds))
    done = 0
    presets = {}
    # All pretraining first, back to back, so the speeds compare under one load.
    for variant in sorted(variants, key=VARIANTS.index):
        run_dir = os.path.join(args.out, "runs", variant)
        presets[variant] = preset = os.path.join(run_dir, "discriminator")
        if variant in done_pretraining and os.path.isfile(os.path.join(preset, "config.json")):
            results["pretraining"].append(done_pretraining[variant])
            done += 1
            print(f"[{done}/{total}] reusing the '{variant}' preset of the earlier run", flush=True)
            continue
        steps = None
        if variant == "mlm_time":
            speed = {p["variant"]: p["steps_per_second"] for p in results["pretraining"]}
            steps = equal_time_steps(args.pretrain_steps, speed["electra"], speed["mlm"])
        summary = run_pretraining(variant_settings(settings, variant, steps), run_dir, overwrite=True,
                                  verbose=args.verbose)
        keras.backend.clear_session()
        results["pretraining"].append({
            "variant": variant, "preset": preset, "steps": summary["steps"],
            "pretrain_seconds": round(summary["train_seconds"], 1),
            "steps_per_second": summary["steps_per_second"],
            "parameters": summary["discriminator_parameters"],
            "final_metrics": {k: round(v, 4) for k, v in summary["final_metrics"].items()},
        })
        done += 1
        print(f"[{done}/{total}] pretrained '{variant}' ({summary['steps']} steps, "
              f"{time.time() - start:.0f} s so far)", flush=True)
    for variant in sorted(variants, key=VARIANTS.index):
        for task in results["config"]["tasks"]:
            for seed in results["config"]["seeds"]:
                if (variant, task, seed) in done_finetuning:
                    results["finetuning"].append(done_finetuning[(variant, task, seed)])
                    done += task in tasks and seed in seeds
                    continue
                if task not in tasks or seed not in seeds:
                    continue
                metrics = finetune(
                    presets[variant], task, shared,
                    os.path.join(args.out, "finetuned", variant, f"{task}_{seed}"),
                    seed=seed, epochs=args.epochs, batch_size=args.batch_size,
                    sequence_length=args.sequence_length, max_train_examples=args.max_train_examples,
                    max_eval_examples=args.max_eval_examples, learning_rate=args.learning_rate,
                )
                done += 1
                if metrics is None:
                    continue
                metrics.update(variant=variant, seed=seed, score=float(metrics[TASK_METRICS[task]]))
                results["finetuning"].append(metrics)
                print(f"[{done}/{total}] {variant} {task} seed {seed}: {TASK_METRICS[task]} "
                      f"{metrics['score']:.4f} ({time.time() - start:.0f} s so far)", flush=True)
                # Written after each run: a long comparison can be resumed.
                _write_results(args.out, results)
    results["summary"] = summarize(results)
    # Wall time of all invocations (earlier ones too, with --resume).
    results["total_seconds"] = round(time.time() - start + (previous or {}).get("total_seconds", 0), 1)
    results["table"] = markdown_table(results)
    _write_results(args.out, results)
    return results


def _write_results(out, results):
    """Writes `out/results.json` atomically."""
    path = os.path.join(out, "results.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    os.replace(path + ".tmp", path)


def main(argv=None):
    args = build_parser().parse_args(argv)
    results = run(args)
    print()
    print(results["table"])
    print(f"\ntotal {results['total_seconds']} s; wrote {os.path.join(args.out, 'results.json')}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    sys.exit(main())
