"""A whole, resumable ELECTRA pretraining run: data, model, fit, checkpoints, exports.

`run_pretraining` is what `keras-electra pretrain` calls. It writes into `out`:

- `run_config.json`: the resolved settings (used again by `resume=True`);
- `vocab.txt`: the vocabulary (trained on the corpus when none is given);
- `checkpoints/`: atomic checkpoints (`training/checkpointing.py`);
- `logs/`: TensorBoard logs; `log.csv`: metrics per logging interval;
- `discriminator/`, `generator/` (electra) or `electric_scorer/` (electric):
  presets with their tokenizer and preprocessor;
- `summary.json` and `training_curves.png` (loss and disc_auc).

Resuming restores the model, optimizer and RNG states of the newest checkpoint
and skips the batches already consumed: the dataset is deterministic for a
seed, so the run goes on with the same step counter and data position.
"""

import csv
import json
import math
import os
import shutil
import sys
import time

import keras

from keras_electra.errors import ElectraError
from keras_electra.models.pretrainer import OBJECTIVES
from keras_electra.models.sizes import SIZE_NAMES as PRESET_SIZES
from keras_electra.models.sizes import model_size_name
# Settings that must not change when a run is resumed.
_FIXED_ON_RESUME = ("data", "vocab", "model", "objective", "batch_size", "seq_len", "seed",
                    "lowercase", "mixed_precision")


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
    os.replace(tmp, path)


def _is_tfrecord_input(item):
    return os.path.isdir(os.path.expanduser(item)) or ".tfrecord" in os.path.basename(item)


def resolve_settings(out, data=None, vocab=None, model=None, objective=None, steps=None,
                     batch_size=None, seq_len=None, seed=None, checkpoint_every=None,
                     learning_rate=None, mixed_precision=None, lowercase=None,
                     vocab_size=None, resume=False):
    """The run's settings: arguments given, else the resumed run's, else the recipe's.

    Raises:
        ValueError: when resuming with a setting that differs from the run's.
    """
    from keras_electra.training.recipes import get_pretraining_recipe

    given = dict(data=list(data) if data else None, vocab=vocab, model=model,
                 objective=objective, steps=steps, batch_size=batch_size, seq_len=seq_len,
                 seed=seed, checkpoint_every=checkpoint_every, learning_rate=learning_rate,
                 mixed_precision=mixed_precision, lowercase=lowercase, vocab_size=vocab_size)
    config_path = os.path.join(out, "run_config.json")
    saved = {}
    if resume:
        if not os.path.exists(config_path):
            raise ElectraError(f"--resume: no run to resume in {out} (no run_config.json).")
        saved = _read_json(config_path)
        for key in _FIXED_ON_RESUME:
            if given[key] is not None and given[key] != saved.get(key):
                raise ElectraError(
                    f"--resume: {key} is {given[key]!r} but the run in {out} used "
                    f"{saved.get(key)!r}; a resumed run must keep it."
                )
    settings = {k: given[k] if given[k] is not None else saved.get(k) for k in given}
    model = settings["model"] or "tiny"
    if model not in PRESET_SIZES and not os.path.isfile(model):
        raise ElectraError(f"--model must be one of {PRESET_SIZES} or a JSON config file; "
                         f"file not found: {model}")
    settings["model"] = model
    recipe = get_pretraining_recipe(model if model in PRESET_SIZES else _json_recipe(model))
    settings["objective"] = settings["objective"] or "electra"
    if settings["objective"] not in OBJECTIVES:
        raise ElectraError(f"Unknown objective {settings['objective']!r}; expected one of {OBJECTIVES}.")
    settings["steps"] = settings["steps"] or recipe.num_train_steps
    settings["batch_size"] = settings["batch_size"] or recipe.batch_size
    settings["seq_len"] = settings["seq_len"] or recipe.sequence_length
    settings["seed"] = 0 if settings["seed"] is None else settings["seed"]
    settings["learning_rate"] = settings["learning_rate"] or recipe.learning_rate
    settings["checkpoint_every"] = settings["checkpoint_every"] or min(1000, settings["steps"])
    settings["lowercase"] = True if settings["lowercase"] is None else settings["lowercase"]
    settings["vocab_size"] = settings["vocab_size"] or 4000
    settings["recipe"] = recipe.name
    for key in ("steps", "batch_size", "seq_len", "checkpoint_every"):
        if settings[key] <= 0:
            raise ElectraError(f"{key} must be positive, got {settings[key]}.")
    if settings["seq_len"] < 8:
        raise ElectraError(f"seq_len must be at least 8, got {settings['seq_len']}.")
    return settings


def _json_recipe(path):
    """The recipe (tiny/small/base/large) whose width is nearest the JSON config's."""
    return model_size_name(load_model_config(path)["hidden_dim"])


def load_model_config(path):
    """Reads a JSON model config: `ElectraBackbone` arguments, plus optionally
    `generator_hidden_fraction` and `generator_layer_fraction`."""
    try:
        config = _read_json(path)
    except (OSError, json.JSONDecodeError) as e:
        raise ElectraError(f"Cannot read the model config {path}: {e}") from e
    if not isinstance(config, dict):
        raise ElectraError(f"The model config {path} must be a JSON object.")
    missing = [k for k in ("hidden_dim", "num_layers", "num_heads", "intermediate_dim") if k not in config]
    if missing:
        raise ElectraError(f"The model config {path} lacks {missing}.")
    return config


def resolve_corpus(settings, out, reuse_vocab=False):
    """Checks the data and vocabulary without writing anything.

    Args:
        reuse_vocab: bool. A resumed run keeps its `out/vocab.txt`.

    Returns:
        `(kind, paths)` with kind "text" or "tfrecord". Without `data`, the
        path is that of the standard library corpus `prepare_corpus` writes.
    """
    from keras_electra.data.pretraining_dataset import resolve_shards
    from keras_electra.data.text_files import resolve_inputs
    from keras_electra.data.vocabulary import read_vocabulary

    data = settings["data"]
    if not data:  # the embedded default: the standard library's docstrings
        kind, paths = "text", [os.path.join(out, "corpus", "stdlib_docstrings.txt")]
    elif any(_is_tfrecord_input(item) for item in data):
        kind, paths = "tfrecord", resolve_shards(data)
    else:
        kind, paths = "text", resolve_inputs(data)
        for path in paths:
            if os.path.getsize(path) and not _has_text(path):
                print(f"warning: {path} holds no text; it is skipped", file=sys.stderr)
        paths = [p for p in paths if os.path.getsize(p) and _has_text(p)]
        if not paths:
            raise ElectraError(f"The corpus holds no text: {', '.join(data)}")
    if settings["vocab"]:
        read_vocabulary(settings["vocab"])  # checks the file and its special tokens
    elif kind == "tfrecord" and not (reuse_vocab and os.path.exists(os.path.join(out, "vocab.txt"))):
        raise ElectraError("TFRecord shards hold token ids: pass the --vocab they were built with.")
    return kind, paths


def prepare_corpus(settings, out, reuse_vocab=False):
    """Resolves the data; writes the stdlib docstring corpus and the vocabulary when needed.

    Args:
        reuse_vocab: bool. Keep the `out/vocab.txt` of a resumed run.

    Returns:
        `(kind, paths)` with kind "text" or "tfrecord"; `out/vocab.txt` exists after.
    """
    from keras_electra.data.vocabulary import train_vocabulary
    from keras_electra.utils.output_files import atomic_file

    kind, paths = resolve_corpus(settings, out, reuse_vocab)
    if not settings["data"] and not os.path.exists(paths[0]):
        from keras_electra.data.stdlib_corpus import stdlib_docstring_corpus

        corpus = paths[0]
        os.makedirs(os.path.dirname(corpus), exist_ok=True)
        print("no --data: pretraining on the Python standard library's docstrings "
              f"({corpus})")
        stdlib_docstring_corpus(corpus + ".tmp")
        os.replace(corpus + ".tmp", corpus)
    vocab_out = os.path.join(out, "vocab.txt")
    if settings["vocab"]:
        if os.path.abspath(settings["vocab"]) != os.path.abspath(vocab_out):
            with atomic_file(vocab_out, "wb") as f, open(settings["vocab"], "rb") as source:
                shutil.copyfileobj(source, f)
    elif not (reuse_vocab and os.path.exists(vocab_out)):
        print(f"training a {settings['vocab_size']}-token WordPiece vocabulary on the corpus")
        tokens = train_vocabulary(paths, settings["vocab_size"], lowercase=settings["lowercase"])
        # Whole or absent: a resumed run reuses this file.
        with atomic_file(vocab_out) as f:
            f.write("\n".join(tokens) + "\n")
    return kind, paths


def _has_text(path, probe_bytes=1 << 20):
    with open(path, "rb") as f:
        return bool(f.read(probe_bytes).strip())


def build_dataset(kind, paths, settings, vocab_path, skip_batches=0):
    """The deterministic training dataset for the run's seed, past `skip_batches`."""
    from keras_electra.data.pretraining_dataset import text_dataset
    from keras_electra.data.pretraining_dataset import tfrecord_dataset

    if kind == "tfrecord":
        ds = tfrecord_dataset(paths, settings["batch_size"], seq_len=settings["seq_len"],
                              seed=settings["seed"], deterministic=True)
    else:
        ds = text_dataset(paths, vocab_path, settings["batch_size"], seq_len=settings["seq_len"],
                          seed=settings["seed"], lowercase=settings["lowercase"])
    return ds.skip(skip_batches) if skip_batches else ds


def build_pretrainer(settings, vocabulary):
    """The `ElectraPretrainer` of the run (not compiled)."""
    from keras_electra.models import ElectraPretrainer
    from keras_electra.training.recipes import get_pretraining_recipe

    recipe = get_pretraining_recipe(settings["recipe"])
    if settings["model"] in PRESET_SIZES:
        config = recipe.model.backbone_kwargs()
        hidden_fraction = recipe.generator_hidden_fraction
        layer_fraction = recipe.generator_layer_fraction
    else:
        config = load_model_config(settings["model"])
        hidden_fraction = config.pop("generator_hidden_fraction", recipe.generator_hidden_fraction)
        layer_fraction = config.pop("generator_layer_fraction", recipe.generator_layer_fraction)
    config["vocabulary_size"] = len(vocabulary)
    config["max_sequence_length"] = max(config.get("max_sequence_length", 512), settings["seq_len"])
    return ElectraPretrainer.from_size(
        config,
        generator_hidden_fraction=hidden_fraction,
        generator_layer_fraction=layer_fraction,
        objective=settings["objective"],
        mask_token_id=vocabulary.index("[MASK]"),
        cls_token_id=vocabulary.index("[CLS]"),
        sep_token_id=vocabulary.index("[SEP]"),
        pad_token_id=vocabulary.index("[PAD]"),
        seed=settings["seed"],
        **recipe.pretrainer_kwargs(),
    )


def create_optimizer(settings):
    """The recipe's optimizer for `steps`; warmup is capped at a tenth of the run."""
    import dataclasses

    from keras_electra.training.recipes import get_pretraining_recipe

    recipe = get_pretraining_recipe(settings["recipe"])
    steps = settings["steps"]
    recipe = dataclasses.replace(
        recipe, num_train_steps=steps, learning_rate=settings["learning_rate"],
        warmup_steps=min(recipe.warmup_steps, max(1, steps // 10)),
    )
    return recipe.create_optimizer()


def _build(model, settings):
    """Creates the variables with one forward pass on a padding batch."""
    import numpy as np

    shape = (settings["batch_size"], settings["seq_len"])
    ids = np.zeros(shape, "int32")
    model({"token_ids": ids, "segment_ids": ids, "padding_mask": np.ones(shape, "int32")})


def is_run_directory(out):
    """Whether `out` holds a pretraining run (its `run_config.json` or checkpoints)."""
    from keras_electra.training.checkpointing import LATEST_FILE
    from keras_electra.training.checkpointing import list_checkpoints

    checkpoints = os.path.join(out, "checkpoints")
    return (os.path.isfile(os.path.join(out, "run_config.json"))
            or os.path.isfile(os.path.join(checkpoints, LATEST_FILE))
            or bool(list_checkpoints(checkpoints)))


def check_output_folder(out, resume=False, overwrite=False):
    """Refuses to start a run in a folder whose contents it would overwrite.

    A fresh run needs an empty (or missing) `out`, or `overwrite`. A run
    folder is continued with `resume`, replaced only with `overwrite`.
    """
    from keras_electra.errors import ElectraError
    from keras_electra.utils.output_files import is_nonempty

    if resume and overwrite:
        raise ElectraError("--resume continues the run in --out and --overwrite starts over: "
                           "pass one of them.")
    if resume or overwrite or not is_nonempty(out):
        return
    if is_run_directory(out):
        raise ElectraError(f"{out} already holds a pretraining run: pass --resume to continue "
                           "it or --overwrite to start over.")
    raise ElectraError(f"--out {out} exists and is not empty (and is not a pretraining run); "
                       "pass --overwrite to replace it, or choose a new --out.")


def run_pretraining(out, resume=False, verbose=1, distribution_scope=None, step_delay=0.0,
                    overwrite=False, **options):
    """Pretrains ELECTRA end to end and writes the outputs into `out`.

    Nothing is written before the settings, data and vocabulary are checked.
    A fresh run refuses a non-empty `out` unless `overwrite` (which deletes
    its contents once the inputs are checked); `resume` continues the run in
    `out` from its newest readable checkpoint. The presets are written to
    temporary siblings and renamed into place.

    Args:
        out: str. Output folder.
        resume: bool. Continue the run in `out` from its newest checkpoint.
        overwrite: bool. Start a fresh run in a non-empty `out`, deleting
            what it holds.
        verbose: int. Keras `fit` verbosity (1: progress bar).
        distribution_scope: optional context manager to build and compile in.
        step_delay: float. Seconds to sleep after each step (fault-injection tests).
        **options: `resolve_settings` arguments (data, vocab, model,
            objective, steps, batch_size, seq_len, seed, checkpoint_every,
            learning_rate, mixed_precision, lowercase, vocab_size).

    Returns:
        The summary dict (also written to `out/summary.json`).

    Example:
    ```python
    from keras_electra.training.pretraining_run import run_pretraining

    summary = run_pretraining("run", data=["corpus.txt"], steps=20, batch_size=8, seq_len=32)
    ```
    """
    import contextlib

    from keras_electra.data.vocabulary import read_vocabulary
    from keras_electra.training.callbacks import ThroughputMeter
    from keras_electra.training.callbacks import plot_training_curves
    from keras_electra.training.callbacks import tensorboard_callback
    from keras_electra.training.checkpointing import CheckpointCallback
    from keras_electra.training.checkpointing import restore_latest_checkpoint
    from keras_electra.utils.output_files import check_not_input

    check_output_folder(out, resume=resume, overwrite=overwrite)
    settings = resolve_settings(out, resume=resume, **options)
    _, data_paths = resolve_corpus(settings, out, reuse_vocab=resume)  # checks; writes nothing
    checkpoint_dir = os.path.join(out, "checkpoints")
    if overwrite and os.path.lexists(out):
        # Inputs inside --out would be deleted with it.
        inputs = (data_paths if settings["data"] else []) + [settings["vocab"]]
        if settings["model"] not in PRESET_SIZES:
            inputs.append(settings["model"])
        check_not_input(out, inputs)
        _remove(out)
    os.makedirs(out, exist_ok=True)
    # Written only once the run is known not to clobber an earlier one.
    _write_json(os.path.join(out, "run_config.json"), settings)
    kind, paths = prepare_corpus(settings, out, reuse_vocab=resume)
    vocab_path = os.path.join(out, "vocab.txt")
    vocabulary = read_vocabulary(vocab_path)
    total = settings["steps"]

    keras.utils.set_random_seed(settings["seed"])
    if settings["mixed_precision"]:
        keras.mixed_precision.set_global_policy(f"mixed_{settings['mixed_precision']}")
    scope = contextlib.ExitStack()
    if distribution_scope is not None:
        scope.enter_context(distribution_scope)
    model = build_pretrainer(settings, vocabulary)
    model.compile(optimizer=create_optimizer(settings))
    _build(model, settings)
    # The newest checkpoint that reads; older ones when it is truncated or corrupt.
    found = restore_latest_checkpoint(model, checkpoint_dir) if resume else None
    initial_step = found[0] if found else 0
    if found:
        print(f"resumed from {found[1]} at step {initial_step}")
    if initial_step > total:
        raise ElectraError(f"The checkpoint in {checkpoint_dir} is at step {initial_step}, past "
                         f"--steps {total}.")

    tokens_per_step = settings["batch_size"] * settings["seq_len"]
    # Each fit "epoch" is one logging interval; it divides the run, the
    # checkpoint interval and the resumed step, so epochs line up with steps.
    interval = math.gcd(math.gcd(settings["checkpoint_every"], total), initial_step or total)
    meter = ThroughputMeter(tokens_per_step)
    step_log = StepLog(os.path.join(out, "log.csv"), interval, initial_step)
    callbacks = [meter, step_log,
                 CheckpointCallback(checkpoint_dir, settings["checkpoint_every"],
                                    initial_step=initial_step,
                                    resumed_from=found[1] if found else None)]
    board = tensorboard_callback(os.path.join(out, "logs"))
    if board is not None:
        callbacks.append(board)
    if step_delay:
        callbacks.append(keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs: time.sleep(step_delay)))
    start = time.time()
    history = None
    if initial_step < total:
        print(f"pretraining {settings['model']} ({settings['objective']}) on {len(paths)} "
              f"{kind} file(s): steps {initial_step}->{total}, batch {settings['batch_size']}, "
              f"seq {settings['seq_len']}, backend {keras.config.backend()}")
        dataset = build_dataset(kind, paths, settings, vocab_path, skip_batches=initial_step)
        history = model.fit(dataset, steps_per_epoch=interval, epochs=total // interval,
                            initial_epoch=initial_step // interval, callbacks=callbacks,
                            shuffle=False, verbose=verbose)
    train_seconds = time.time() - start
    scope.close()

    export_presets(model, out, settings, vocab_path)
    final = {}
    if history is not None and history.history:
        final = {k: float(v[-1]) for k, v in history.history.items()}
    elif os.path.exists(step_log.path):
        with open(step_log.path, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        final = {k: float(v) for k, v in rows[-1].items() if k != "step"} if rows else {}
    summary = {
        "steps": total,
        "resumed_from_step": initial_step,
        "steps_this_run": total - initial_step,
        "tokens_seen": total * tokens_per_step,
        "tokens_per_step": tokens_per_step,
        "train_seconds": round(train_seconds, 2),
        "steps_per_second": round(meter.steps_per_second, 3),
        "tokens_per_second": round(meter.tokens_per_second, 1),
        "first_step_seconds": meter.first_step_seconds,
        "final_metrics": final,
        "backend": keras.config.backend(),
        "settings": settings,
        "data_kind": kind,
        "data_files": paths,
    }
    _write_json(os.path.join(out, "summary.json"), summary)
    if os.path.exists(step_log.path):
        plot_training_curves(step_log.path, os.path.join(out, "training_curves.png"))
    print(f"wrote presets, summary.json and training_curves.png to {out}")
    return summary


def export_presets(model, out, settings, vocab_path):
    """Saves the discriminator, and the generator or Electric scorer, with preprocessors.

    Each preset is written to a temporary sibling folder renamed into place.
    """
    from keras_electra.models import ElectraTokenizer
    from keras_electra.tasks import ElectraMaskedLMPreprocessor
    from keras_electra.tasks import ElectraTextClassifierPreprocessor
    from keras_electra.tasks import export_pretrainer_presets
    from keras_electra.utils.output_files import atomic_directory

    tokenizer = ElectraTokenizer(vocabulary=vocab_path, lowercase=settings["lowercase"])
    classifier = ElectraTextClassifierPreprocessor(tokenizer, sequence_length=settings["seq_len"])
    with atomic_directory(os.path.join(out, "discriminator")) as tmp:
        export_pretrainer_presets(model, discriminator_dir=tmp, preprocessor=classifier)
    if settings["objective"] == "electra":
        masked_lm = ElectraMaskedLMPreprocessor(tokenizer, sequence_length=settings["seq_len"])
        with atomic_directory(os.path.join(out, "generator")) as tmp:
            export_pretrainer_presets(model, generator_dir=tmp, preprocessor=masked_lm)
    elif settings["objective"] == "electric":
        with atomic_directory(os.path.join(out, "electric_scorer")) as tmp:
            export_pretrainer_presets(model, scorer_dir=tmp, preprocessor=classifier)


def _remove(path):
    """Deletes a file or a folder tree (`--overwrite` of a whole run folder)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


class StepLog(keras.callbacks.Callback):
    """Writes `step` and the epoch metrics to a CSV file, one row per interval.

    On resume, rows past the restored step are dropped (those steps are redone).
    """

    def __init__(self, path, interval, initial_step):
        super().__init__()
        self.path, self.interval, self.step = path, interval, initial_step

    def on_epoch_end(self, epoch, logs=None):
        self.step += self.interval
        row = {"step": self.step} | {k: float(v) for k, v in (logs or {}).items()}
        rows = []
        if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            with open(self.path, encoding="utf-8") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) < self.step]
        rows.append(row)
        with open(self.path + ".tmp", "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            writer.writeheader()
            writer.writerows({k: r.get(k, "") for k in row} for r in rows)
        os.replace(self.path + ".tmp", self.path)
