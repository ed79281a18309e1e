"""A whole, resumable ELECTRA pretraining run: data, model, fit, checkpoints, exports.

`run_pretraining(settings, out)` is what `keras-electra pretrain` and
`tools/reproduce_small_scale.py` call. It writes into `out`:

- `run_config.json`: the resolved `PretrainingSettings` (used again on resume);
- `vocab.txt`: the vocabulary (trained on the corpus when none is given, the
  checkpoint's with `init_from`);
- `checkpoints/`: atomic checkpoints (`training/checkpointing.py`);
- `logs/`: TensorBoard logs; `log.csv`: metrics per logging interval;
- `discriminator/`, `generator/` (electra) or `electric_scorer/` (electric):
  presets with their tokenizer and preprocessor;
- `summary.json` and `training_curves.png` (loss and disc_auc).

Resuming restores the model, optimizer and RNG states of the newest checkpoint
and skips the batches already consumed: the dataset is deterministic for a
seed, so the run goes on with the same step counter and data position.

The recipe of a run is chosen in one place, `select_recipe`.
"""

import contextlib
import dataclasses
import json
import math
import os
import shutil
import sys
import time

from keras_electra.errors import ElectraError
from keras_electra.models.pretrainer import OBJECTIVES
from keras_electra.models.sizes import model_size_name
from keras_electra.training.recipes import DEFAULT_PRETRAINING_RECIPE
from keras_electra.training.recipes import default_pretraining_recipe
from keras_electra.training.recipes import PRETRAINING_RECIPES

# Settings that must not change when a run is resumed.
_FIXED_ON_RESUME = ("data", "vocab", "model", "objective", "batch_size", "seq_len", "seed",
                    "lowercase", "mixed_precision", "recipe", "recipe_overrides",
                    "corpus_max_files", "init_from")
# Without --model: "demo" (learns visibly on a CPU); "electric_demo" for Electric.
DEFAULT_MODEL = DEFAULT_PRETRAINING_RECIPE
# A run's `model` may name any recipe (a size, or "demo").
RECIPE_NAMES = tuple(PRETRAINING_RECIPES)
DEFAULT_OBJECTIVE = "electra"
DEFAULT_VOCAB_SIZE = 4000
# The embedded default corpus, inside the run folder.
STDLIB_CORPUS = os.path.join("corpus", "stdlib_docstrings.txt")


@dataclasses.dataclass(frozen=True)
class PretrainingSettings:
    """What a pretraining run trains, on what, and how.

    `None` means: the resumed run's value, else the default (the recipe's for
    the optimization settings). `resolve_settings` fills every field.

    Attributes:
        data: tuple of text files or globs (one sentence per line, a blank
            line between documents) or TFRecord shard folders/files of
            `keras-electra build-data`. `None`: the Python standard library's
            docstrings.
        vocab: str. `vocab.txt` to use; `None` trains one on the text corpus.
        vocab_size: int. Size of the trained vocabulary (4000).
        lowercase: bool. Lowercase and strip accents (True).
        corpus_max_files: int. Standard library source files read for the
            default corpus (`None`: all).
        model: str or dict. A recipe name (`demo`, `electric_demo`, `tiny`, `small`, `base`, `large`;
            default `demo`, the tiny size with a recipe that learns visibly on a CPU;
            `electric_demo` for the `electric` objective), a JSON file of `ElectraBackbone` arguments, or
            such a dict; the file or dict may add `generator_hidden_fraction`
            and `generator_layer_fraction`.
        recipe: str. Pretraining recipe name (default: `select_recipe`).
        recipe_overrides: dict. Fields of that `PretrainingRecipe` to change
            (e.g. `{"temperature": 1.0}`), for experiments; not `name` or `model`.
        objective: str. One of `OBJECTIVES` (`electra`).
        steps: int. Total training steps; 0 trains nothing and exports the
            initial weights (a baseline).
        batch_size, seq_len, learning_rate: the recipe's unless given.
        warmup_steps: int. Linear warmup steps (default: the recipe's, at
            most a tenth of the run).
        seed: int. Seed of data order, masking and initialization (0).
        checkpoint_every: int. Steps between checkpoints, also the logging
            interval (a tenth of the run, at most 1000).
        mixed_precision: str. `"bfloat16"` or `"float16"`, or None.
        init_from: str. Continued pretraining: a checkpoint the discriminator
            starts from, anything `ElectraBackbone.from_preset` loads (a
            keras-electra or keras-hub preset, a transformers ELECTRA or BERT
            directory). Its size, vocabulary and casing are used (`model` may
            only name the recipe; `vocab` must be unset); the generator (or
            Electric's towers) starts fresh at the recipe's fraction of its size.
            The demo recipes' learning rates are sized for random weights:
            give a smaller `learning_rate` (1e-4 in guides/pretraining.md).

    Example:
    ```python
    from keras_electra.apps.pretraining import PretrainingSettings

    settings = PretrainingSettings(data=("corpus.txt",), steps=20, batch_size=8, seq_len=32)
    ```
    """

    data: tuple | None = None
    vocab: str | None = None
    vocab_size: int | None = None
    lowercase: bool | None = None
    corpus_max_files: int | None = None
    model: str | dict | None = None
    recipe: str | None = None
    recipe_overrides: dict | None = None
    objective: str | None = None
    steps: int | None = None
    batch_size: int | None = None
    seq_len: int | None = None
    learning_rate: float | None = None
    warmup_steps: int | None = None
    seed: int | None = None
    checkpoint_every: int | None = None
    mixed_precision: str | None = None
    init_from: str | None = None

    def __post_init__(self):
        if self.data is not None and not isinstance(self.data, tuple):
            object.__setattr__(self, "data", tuple([self.data] if isinstance(self.data, str)
                                                   else self.data))

    def to_json(self):
        """A JSON-ready dict (the format of `run_config.json`)."""
        config = dataclasses.asdict(self)
        config["data"] = list(self.data) if self.data is not None else None
        return config

    @classmethod
    def from_json(cls, config, path="run_config.json"):
        """Settings from a `to_json` dict; `path` names the file in errors."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - fields)
        if unknown:
            raise ElectraError(f"{path}: unknown settings {unknown}; expected some of {sorted(fields)}.")
        return cls(**config)


def select_recipe(model):
    """The name of the pretraining recipe for `model` (a size name or a config dict).

    A size name picks its own recipe; a config picks the size whose width is
    nearest its `hidden_dim`. This is the one place the default is chosen.
    """
    if isinstance(model, str) and model in RECIPE_NAMES:
        return model
    return model_size_name(model_config(model)["hidden_dim"])


def _recipe(settings):
    from keras_electra.training.recipes import get_pretraining_recipe

    try:
        recipe = get_pretraining_recipe(settings.recipe or select_recipe(settings.model))
    except ValueError as e:  # an unknown recipe name is a bad input
        raise ElectraError(str(e)) from e
    overrides = dict(settings.recipe_overrides or {})
    fields = {f.name for f in dataclasses.fields(recipe)} - {"name", "model"}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ElectraError(f"recipe_overrides: unknown recipe fields {unknown}; expected some "
                           f"of {sorted(fields)}.")
    return dataclasses.replace(recipe, **overrides)


def model_config(model):
    """`ElectraBackbone` arguments of a JSON config file or dict (a copy).

    The config may add `generator_hidden_fraction` and `generator_layer_fraction`.
    """
    if isinstance(model, dict):
        config, where = dict(model), "The model config"
    else:
        where = f"The model config {model}"
        try:
            with open(model, encoding="utf-8") as f:
                config = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise ElectraError(f"Cannot read the model config {model}: {e}") from e
    if not isinstance(config, dict):
        raise ElectraError(f"{where} must be a JSON object.")
    missing = [k for k in ("hidden_dim", "num_layers", "num_heads", "intermediate_dim") if k not in config]
    if missing:
        raise ElectraError(f"{where} lacks {missing}.")
    return config


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_json(path, value):
    from keras_electra.utils.output_files import atomic_file

    with atomic_file(path) as f:
        json.dump(value, f, indent=2)


def _is_tfrecord_input(item):
    return os.path.isdir(os.path.expanduser(item)) or ".tfrecord" in os.path.basename(item)


def resolve_settings(settings, out, resume=False):
    """The run's complete settings: those given, else the resumed run's, else the defaults.

    Args:
        settings: `PretrainingSettings`.
        out: str. The run folder (its `run_config.json` when resuming).
        resume: bool. Fill unset fields from the run in `out`.

    Returns:
        A `PretrainingSettings` with every field set (`corpus_max_files`,
        `mixed_precision`, `vocab` and `warmup_steps` may stay None).

    Raises:
        ElectraError: a resumed run given a setting that differs from its
            own, or a setting out of range.
    """
    config_path = os.path.join(out, "run_config.json")
    if resume:
        if not os.path.exists(config_path):
            raise ElectraError(f"--resume: no run to resume in {out} (no run_config.json).")
        saved = PretrainingSettings.from_json(_read_json(config_path), config_path)
        for key in _FIXED_ON_RESUME:
            given, before = getattr(settings, key), getattr(saved, key)
            if given is not None and given != before:
                raise ElectraError(
                    f"--resume: {key} is {given!r} but the run in {out} used "
                    f"{before!r}; a resumed run must keep it."
                )
        settings = dataclasses.replace(saved, **{
            f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
            if getattr(settings, f.name) is not None})
    objective = settings.objective or DEFAULT_OBJECTIVE
    if settings.init_from is not None:
        settings = _resolve_init_from(settings)
    model = default_pretraining_recipe(objective) if settings.model is None else settings.model
    if isinstance(model, str) and model not in RECIPE_NAMES and not os.path.isfile(model):
        raise ElectraError(f"--model must be one of {RECIPE_NAMES} or a JSON config file; "
                           f"file not found: {model}")
    settings = dataclasses.replace(settings, model=model)
    recipe = _recipe(settings)
    if objective not in OBJECTIVES:
        raise ElectraError(f"Unknown objective {objective!r}; expected one of {OBJECTIVES}.")
    steps = recipe.num_train_steps if settings.steps is None else settings.steps

    def pick(value, default):
        return default if value is None else value

    settings = dataclasses.replace(
        settings,
        recipe=recipe.name,
        objective=objective,
        steps=steps,
        batch_size=pick(settings.batch_size, recipe.batch_size),
        seq_len=pick(settings.seq_len, recipe.sequence_length),
        learning_rate=pick(settings.learning_rate, recipe.learning_rate),
        seed=pick(settings.seed, 0),
        # Ten points on the curve of a short run (the demo's); at most 1000 steps apart.
        checkpoint_every=pick(settings.checkpoint_every, max(1, min(1000, steps // 10))),
        lowercase=pick(settings.lowercase, True),
        vocab_size=pick(settings.vocab_size, DEFAULT_VOCAB_SIZE),
    )
    if settings.steps < 0:
        raise ElectraError(f"steps must be 0 or more, got {settings.steps}.")
    for key in ("batch_size", "seq_len", "checkpoint_every", "vocab_size"):
        if getattr(settings, key) <= 0:
            raise ElectraError(f"{key} must be positive, got {getattr(settings, key)}.")
    if settings.seq_len < 8:
        raise ElectraError(f"seq_len must be at least 8, got {settings.seq_len}.")
    return settings


def initial_tokenizer(init_from):
    """The `ElectraTokenizer` of the checkpoint a run starts from."""
    from keras_electra.models import ElectraTokenizer

    return ElectraTokenizer.from_preset(init_from)


def _resolve_init_from(settings):
    """Checks the settings of a run that starts from a checkpoint; sets its casing."""
    if settings.vocab is not None:
        raise ElectraError(f"--init-from {settings.init_from} brings its own vocabulary; "
                           "leave out --vocab.")
    if settings.model is not None and settings.model not in RECIPE_NAMES:
        raise ElectraError(f"--init-from {settings.init_from} sets the model size; --model may only "
                           f"name a recipe ({', '.join(RECIPE_NAMES)}).")
    lowercase = initial_tokenizer(settings.init_from).lowercase
    if settings.lowercase is not None and settings.lowercase != lowercase:
        casing = "uncased" if lowercase else "cased"
        raise ElectraError(f"--init-from {settings.init_from}: its tokenizer is {casing}; "
                           f"{'leave out --cased' if lowercase else 'it needs --cased'}.")
    if settings.learning_rate is None:
        print("note: --init-from with the recipe's learning rate, sized for random weights; a "
              "trained checkpoint usually wants a smaller --learning-rate (1e-4 in "
              "guides/pretraining.md)", file=sys.stderr)
    return dataclasses.replace(settings, lowercase=lowercase)


def resolve_corpus(settings, out, reuse_vocab=False):
    """Checks the data and vocabulary without writing anything.

    Args:
        settings: resolved `PretrainingSettings`.
        out: str. The run (or corpus) folder.
        reuse_vocab: bool. A resumed run keeps its `out/vocab.txt`.

    Returns:
        `(kind, paths)` with kind "text" or "tfrecord". Without `data`, the
        path is that of the standard library corpus `prepare_corpus` writes.
    """
    from keras_electra.data.pretraining_dataset import resolve_shards
    from keras_electra.data.text_files import resolve_inputs
    from keras_electra.data.vocabulary import read_vocabulary

    data = settings.data
    if not data:  # the embedded default: the standard library's docstrings
        kind, paths = "text", [os.path.join(out, STDLIB_CORPUS)]
    elif any(_is_tfrecord_input(item) for item in data):
        kind, paths = "tfrecord", resolve_shards(list(data))
    else:
        kind, paths = "text", resolve_inputs(list(data))
        for path in paths:
            if os.path.getsize(path) and not _has_text(path):
                print(f"warning: {path} holds no text; it is skipped", file=sys.stderr)
        paths = [p for p in paths if os.path.getsize(p) and _has_text(p)]
        if not paths:
            raise ElectraError(f"The corpus holds no text: {', '.join(data)}")
    if settings.vocab:
        read_vocabulary(settings.vocab)  # checks the file and its special tokens
    elif settings.init_from:
        pass  # the checkpoint's vocabulary
    elif kind == "tfrecord" and not (reuse_vocab and os.path.exists(os.path.join(out, "vocab.txt"))):
        raise ElectraError("TFRecord shards hold token ids: pass the --vocab they were built with.")
    return kind, paths


def prepare_corpus(settings, out, reuse_vocab=False):
    """Resolves the data; writes the stdlib docstring corpus and `out/vocab.txt` when needed.

    Args:
        settings: resolved `PretrainingSettings`.
        out: str. The folder that receives `corpus/` and `vocab.txt`.
        reuse_vocab: bool. Keep the `out/vocab.txt` of a resumed run.

    Returns:
        `(kind, paths)` with kind "text" or "tfrecord"; `out/vocab.txt` exists after.
    """
    from keras_electra.data.vocabulary import train_vocabulary
    from keras_electra.utils.output_files import atomic_file

    kind, paths = resolve_corpus(settings, out, reuse_vocab)
    if not settings.data and not os.path.exists(paths[0]):
        from keras_electra.data.stdlib_corpus import stdlib_docstring_corpus

        corpus = paths[0]
        os.makedirs(os.path.dirname(corpus), exist_ok=True)
        print("no --data: pretraining on the Python standard library's docstrings "
              f"({corpus})")
        stdlib_docstring_corpus(corpus + ".tmp", max_files=settings.corpus_max_files)
        os.replace(corpus + ".tmp", corpus)
    vocab_out = os.path.join(out, "vocab.txt")
    if settings.vocab:
        if os.path.abspath(settings.vocab) != os.path.abspath(vocab_out):
            with atomic_file(vocab_out, "wb") as f, open(settings.vocab, "rb") as source:
                shutil.copyfileobj(source, f)
    elif reuse_vocab and os.path.exists(vocab_out):
        pass
    elif settings.init_from:
        tokens = initial_tokenizer(settings.init_from).get_vocabulary()
        with atomic_file(vocab_out) as f:
            f.write("\n".join(tokens) + "\n")
    else:
        print(f"training a {settings.vocab_size}-token WordPiece vocabulary on the corpus")
        tokens = train_vocabulary(paths, settings.vocab_size, lowercase=settings.lowercase)
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
        ds = tfrecord_dataset(paths, settings.batch_size, seq_len=settings.seq_len,
                              seed=settings.seed, deterministic=True)
    else:
        ds = text_dataset(paths, vocab_path, settings.batch_size, seq_len=settings.seq_len,
                          seed=settings.seed, lowercase=settings.lowercase)
    return ds.skip(skip_batches) if skip_batches else ds


def build_pretrainer(settings, vocabulary):
    """The `ElectraPretrainer` of the run (not compiled)."""
    from keras_electra.models import ElectraPretrainer

    recipe = _recipe(settings)
    kwargs = dict(
        objective=settings.objective,
        mask_token_id=vocabulary.index("[MASK]"),
        cls_token_id=vocabulary.index("[CLS]"),
        sep_token_id=vocabulary.index("[SEP]"),
        pad_token_id=vocabulary.index("[PAD]"),
        seed=settings.seed,
        **recipe.pretrainer_kwargs(),
    )
    if settings.init_from:
        return ElectraPretrainer.from_discriminator(
            _initial_discriminator(settings, vocabulary), recipe.generator_hidden_fraction,
            recipe.generator_layer_fraction, **kwargs)
    if isinstance(settings.model, str) and settings.model in RECIPE_NAMES:
        config = recipe.model.backbone_kwargs()
        hidden_fraction = recipe.generator_hidden_fraction
        layer_fraction = recipe.generator_layer_fraction
    else:
        config = model_config(settings.model)
        hidden_fraction = config.pop("generator_hidden_fraction", recipe.generator_hidden_fraction)
        layer_fraction = config.pop("generator_layer_fraction", recipe.generator_layer_fraction)
    config["vocabulary_size"] = len(vocabulary)
    config["max_sequence_length"] = max(config.get("max_sequence_length", 512), settings.seq_len)
    return ElectraPretrainer.from_size(
        config,
        generator_hidden_fraction=hidden_fraction,
        generator_layer_fraction=layer_fraction,
        **kwargs,
    )


def _initial_discriminator(settings, vocabulary, load_weights=True):
    """The checkpoint's backbone, checked against the run's vocabulary and length."""
    from keras_electra.models import ElectraBackbone

    backbone = ElectraBackbone.from_preset(settings.init_from, load_weights=load_weights)
    if backbone.vocabulary_size != len(vocabulary):
        raise ElectraError(f"--init-from {settings.init_from}: its embedding table has "
                           f"{backbone.vocabulary_size} rows but its vocabulary "
                           f"{len(vocabulary)} tokens.")
    if backbone.max_sequence_length < settings.seq_len:
        raise ElectraError(f"--init-from {settings.init_from} has {backbone.max_sequence_length} "
                           f"positions; --seq-len {settings.seq_len} needs more.")
    return backbone


def create_optimizer(settings):
    """The recipe's optimizer for the run's steps and learning rate.

    Warmup is `settings.warmup_steps`, else the recipe's capped at a tenth of
    the run (worked out from the current `steps`, also on resume).
    """
    recipe = _recipe(settings)
    steps = max(1, settings.steps)
    warmup = settings.warmup_steps
    if warmup is None:
        warmup = min(recipe.warmup_steps, max(1, steps // 10))
    recipe = dataclasses.replace(recipe, num_train_steps=steps,
                                 learning_rate=settings.learning_rate, warmup_steps=warmup)
    return recipe.create_optimizer()


def _build(model, settings):
    """Creates the variables with one forward pass on a padding batch."""
    import numpy as np

    shape = (settings.batch_size, settings.seq_len)
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


def run_pretraining(settings, out, resume=False, overwrite=False, verbose=1,
                    distribution_scope=None, step_delay=0.0):
    """Pretrains ELECTRA end to end and writes the outputs into `out`.

    Nothing is written before the settings, data and vocabulary are checked.
    A fresh run refuses a non-empty `out` unless `overwrite` (which deletes
    its contents once the inputs are checked); `resume` continues the run in
    `out` from its newest readable checkpoint. The presets are written to
    temporary siblings and renamed into place.

    Args:
        settings: `PretrainingSettings` (unset fields: the resumed run's,
            else the defaults).
        out: str. Output folder.
        resume: bool. Continue the run in `out` from its newest checkpoint.
        overwrite: bool. Start a fresh run in a non-empty `out`, deleting
            what it holds.
        verbose: int. Keras `fit` verbosity (1: progress bar).
        distribution_scope: optional context manager to build and compile in.
        step_delay: float. Seconds to sleep after each step (fault-injection tests).

    Returns:
        The summary dict (also written to `out/summary.json`).

    Example:
    ```python
    from keras_electra.apps.pretraining import PretrainingSettings, run_pretraining

    settings = PretrainingSettings(data=("corpus.txt",), steps=20, batch_size=8, seq_len=32)
    summary = run_pretraining(settings, "run")
    ```
    """
    import keras

    from keras_electra.data.vocabulary import read_vocabulary
    from keras_electra.training.callbacks import StepLog
    from keras_electra.training.callbacks import ThroughputMeter
    from keras_electra.training.callbacks import plot_training_curves
    from keras_electra.training.callbacks import tensorboard_callback
    from keras_electra.training.checkpointing import CheckpointCallback
    from keras_electra.training.checkpointing import restore_latest_checkpoint
    from keras_electra.utils.output_files import check_not_input

    check_output_folder(out, resume=resume, overwrite=overwrite)
    settings = resolve_settings(settings, out, resume=resume)
    _, data_paths = resolve_corpus(settings, out, reuse_vocab=resume)  # checks; writes nothing
    if settings.init_from:
        # Checks only (writes nothing); the weights load in `build_pretrainer`,
        # after the seed, precision policy and distribution scope are set.
        _initial_discriminator(settings, initial_tokenizer(settings.init_from).get_vocabulary(),
                               load_weights=False)
    checkpoint_dir = os.path.join(out, "checkpoints")
    if overwrite and os.path.lexists(out):
        # Inputs inside --out would be deleted with it.
        inputs = (data_paths if settings.data else []) + [settings.vocab, settings.init_from]
        if isinstance(settings.model, str) and settings.model not in RECIPE_NAMES:
            inputs.append(settings.model)
        check_not_input(out, inputs)
        _remove(out)
    os.makedirs(out, exist_ok=True)
    # Written only once the run is known not to clobber an earlier one.
    _write_json(os.path.join(out, "run_config.json"), settings.to_json())
    kind, paths = prepare_corpus(settings, out, reuse_vocab=resume)
    vocab_path = os.path.join(out, "vocab.txt")
    vocabulary = read_vocabulary(vocab_path)
    total = settings.steps

    keras.utils.set_random_seed(settings.seed)
    if settings.mixed_precision:
        keras.mixed_precision.set_global_policy(f"mixed_{settings.mixed_precision}")
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

    tokens_per_step = settings.batch_size * settings.seq_len
    # Each fit "epoch" is one logging interval; it divides the run, the
    # checkpoint interval and the resumed step, so epochs line up with steps.
    interval = math.gcd(math.gcd(settings.checkpoint_every, total), initial_step or total) or 1
    meter = ThroughputMeter(tokens_per_step)
    step_log = StepLog(os.path.join(out, "log.csv"), interval, initial_step)
    callbacks = [meter, step_log,
                 CheckpointCallback(checkpoint_dir, settings.checkpoint_every,
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
        start_from = f" from {settings.init_from}" if settings.init_from else ""
        print(f"pretraining {settings.model if isinstance(settings.model, str) else 'model'}"
              f"{start_from} ({settings.objective}) on {len(paths)} {kind} file(s): steps "
              f"{initial_step}->{total}, batch {settings.batch_size}, seq {settings.seq_len}, "
              f"backend {keras.config.backend()}")
        dataset = build_dataset(kind, paths, settings, vocab_path, skip_batches=initial_step)
        history = model.fit(dataset, steps_per_epoch=interval, epochs=total // interval,
                            initial_epoch=initial_step // interval, callbacks=callbacks,
                            shuffle=False, verbose=verbose)
    train_seconds = time.time() - start
    scope.close()

    export_presets(model, out, settings, vocab_path)
    if history is not None and history.history:
        final = {k: float(v[-1]) for k, v in history.history.items()}
    else:
        final = step_log.last_row()
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
        "discriminator_parameters": model.discriminator.count_params(),
        "backend": keras.config.backend(),
        "settings": settings.to_json(),
        "data_kind": kind,
        "data_files": paths,
    }
    _write_json(os.path.join(out, "summary.json"), summary)
    written = "presets and summary.json"
    if os.path.exists(step_log.path):
        plot_training_curves(step_log.path, os.path.join(out, "training_curves.png"))
        written = "presets, summary.json and training_curves.png"
    print(f"wrote {written} to {out}")
    return summary


def export_presets(model, out, settings, vocab_path):
    """Saves the discriminator, and the generator or Electric scorer, with preprocessors.

    Each preset is written to a temporary sibling folder renamed into place.
    """
    from keras_electra.models import ElectraTokenizer
    from keras_electra.tasks import ElectraMaskedLMPreprocessor
    from keras_electra.tasks import ElectraTextClassifierPreprocessor
    from keras_electra.convert.pretrainer_export import export_presets as write_presets
    from keras_electra.utils.output_files import atomic_directory

    tokenizer = ElectraTokenizer(vocabulary=vocab_path, lowercase=settings.lowercase)
    classifier = ElectraTextClassifierPreprocessor(tokenizer, sequence_length=settings.seq_len)
    with atomic_directory(os.path.join(out, "discriminator")) as tmp:
        write_presets(model, discriminator_dir=tmp, preprocessor=classifier)
    if settings.objective == "electra":
        masked_lm = ElectraMaskedLMPreprocessor(tokenizer, sequence_length=settings.seq_len)
        with atomic_directory(os.path.join(out, "generator")) as tmp:
            write_presets(model, generator_dir=tmp, preprocessor=masked_lm)
    elif settings.objective == "electric":
        with atomic_directory(os.path.join(out, "electric_scorer")) as tmp:
            write_presets(model, scorer_dir=tmp, preprocessor=classifier)


def _remove(path):
    """Deletes a file or a folder tree (`--overwrite` of a whole run folder)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)
