"""SQuAD 1.1 / 2.0 fine-tuning, evaluation and prediction: the whole flow.

`train_squad(settings)` reads and checks the files, builds the question
answerer from a backbone preset, fine-tunes it with the original recipe,
evaluates with the official metrics and writes the task preset. It is what
`keras-electra finetune --task squad|squad2` calls; `evaluate_squad` and
`predict_squad` back `keras-electra evaluate|predict`.
"""

import dataclasses
import json
import os

import numpy as np
from keras_electra.errors import ElectraError
from keras_electra.models.sizes import model_size_name

SQUAD_TASKS = {"squad": "1.1", "squad1": "1.1", "squadv1": "1.1", "squad2": "2.0"}


def squad_version(task_or_version):
    """`"squad"` → "1.1", `"squad2"` → "2.0"; versions pass through."""
    key = str(task_or_version).lower()
    if key in SQUAD_TASKS:
        return SQUAD_TASKS[key]
    if key in ("1.1", "2.0"):
        return key
    raise ElectraError(
        f"Unknown SQuAD task or version {task_or_version!r}; use one of "
        f"{', '.join(SQUAD_TASKS)}, '1.1' or '2.0'."
    )


def build_question_answerer(
    preset, sequence_length=None, max_query_length=64, doc_stride=128, head="original", **kwargs
):
    """An `ElectraQuestionAnswerer` from a backbone (or task) preset directory.

    `sequence_length` defaults to the original's 512 (`task_sequence_length`).
    """
    from keras_electra.models import ElectraBackbone
    from keras_electra.training.recipes import task_sequence_length
    from keras_electra.models import ElectraTokenizer
    from keras_electra.tasks import ElectraQuestionAnswerer
    from keras_electra.tasks import ElectraQuestionAnswererPreprocessor

    backbone = ElectraBackbone.from_preset(preset)
    tokenizer = ElectraTokenizer.from_preset(preset)
    sequence_length = sequence_length or task_sequence_length("squad")
    if sequence_length > backbone.max_sequence_length:
        raise ElectraError(
            f"sequence_length={sequence_length} exceeds the backbone's "
            f"max_sequence_length={backbone.max_sequence_length}."
        )
    preprocessor = ElectraQuestionAnswererPreprocessor(
        tokenizer,
        sequence_length=sequence_length,
        max_query_length=max_query_length,
        doc_stride=doc_stride,
    )
    return ElectraQuestionAnswerer(backbone, preprocessor, head=head, **kwargs)


@dataclasses.dataclass(frozen=True)
class SquadSettings:
    """What `train_squad` fine-tunes, on what, and how.

    Hyperparameters left `None` are those of the original recipe for the
    model size (`size`, else `model_size_name` of the backbone's width, as
    `keras-electra finetune` picks it; `get_finetuning_recipe(size,
    "squad"|"squad2")`: 2 epochs, batch 32, lr 1e-4 / decay 0.8 (base:
    1e-4/0.8, large: 5e-5/0.9, the demo `tiny`: 1e-3/0.8), 10% warmup then
    linear decay, weight decay 0.01).

    Attributes:
        preset: str. Backbone preset directory (with its tokenizer).
        train_file: str. SQuAD JSON training file.
        out: str. Output directory (the task preset and metrics).
        eval_file: str. SQuAD JSON file to evaluate on, or None.
        version: str. "1.1" / "2.0" (or "squad" / "squad2").
        head: str. "original" or "hf".
        sequence_length, max_query_length, doc_stride: windowing (the recipe's
            512, 64, 128).
        epochs, batch_size, learning_rate, layerwise_decay: the recipe's unless given.
        size: str. Recipe size; default from the backbone width.
        max_train_examples, max_eval_examples: int. Use only the first N questions.
        seed: int. Seed of initialization and window order.

    Example:
    ```python
    settings = SquadSettings("./electra_small", "train-v1.1.json", "./squad_out",
                             eval_file="dev-v1.1.json")
    ```
    """

    preset: str
    train_file: str
    out: str
    eval_file: str | None = None
    version: str = "1.1"
    head: str = "original"
    sequence_length: int | None = None
    max_query_length: int = 64
    doc_stride: int = 128
    epochs: float | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    layerwise_decay: float | None = None
    size: str | None = None
    max_train_examples: int | None = None
    max_eval_examples: int | None = None
    seed: int = 0


def train_squad(settings, verbose=1, extra_files=None):
    """Fine-tunes on SQuAD, writes the task preset and `metrics.json` to `settings.out`.

    Both files are read and checked before the model is built. The preset,
    `predictions.json`, `metrics.json` (and `extra_files`) are written to a
    temporary sibling of `out` that replaces it at the end, so a failure
    leaves `out` as it was.

    Args:
        settings: `SquadSettings`.
        verbose: int. 0 silent, 1 progress bars.
        extra_files: optional dict of file name -> JSON value, written into
            the preset folder with it (the CLI's `finetune.json`).

    Returns:
        The metrics dict (only the training numbers without `eval_file`).

    Example:
    ```python
    from keras_electra.apps.squad import SquadSettings, train_squad

    train_squad(SquadSettings("./electra_small", "train-v1.1.json", "./squad_out",
                              eval_file="dev-v1.1.json"))
    ```
    """
    import keras

    from keras_electra.data.squad import read_squad
    from keras_electra.training import ElectraLearningRateSchedule
    from keras_electra.training import create_optimizer
    from keras_electra.training import get_finetuning_recipe
    from keras_electra.utils.output_files import atomic_directory

    s = settings
    version = squad_version(s.version)
    keras.utils.set_random_seed(s.seed)
    # Read (and so check) both files before any work; the eval file is read
    # again by `evaluate_squad`, which takes a path.
    train = read_squad(s.train_file, version=version, verbose=bool(verbose))
    if s.eval_file:
        read_squad(s.eval_file, version=version, verbose=False)
    qa = build_question_answerer(
        s.preset, s.sequence_length, s.max_query_length, s.doc_stride, head=s.head
    )
    recipe = get_finetuning_recipe(
        s.size or model_size_name(qa.backbone.hidden_dim), "squad2" if version == "2.0" else "squad"
    )
    epochs = recipe.num_epochs if s.epochs is None else s.epochs
    batch_size = s.batch_size or recipe.batch_size
    examples = train.examples[:s.max_train_examples] if s.max_train_examples else train.examples
    features = qa.preprocessor.featurize(examples, training=True, verbose=bool(verbose))
    if not len(features):
        raise ElectraError(f"{s.train_file}: no trainable questions.")
    steps_per_epoch = int(np.ceil(len(features) / batch_size))
    full_epochs = max(1, int(np.ceil(epochs)))
    total_steps = steps_per_epoch * full_epochs
    schedule = ElectraLearningRateSchedule(
        s.learning_rate or recipe.learning_rate,
        num_train_steps=total_steps,
        warmup_proportion=recipe.warmup_proportion,
        power=recipe.lr_decay_power,
    )
    optimizer = create_optimizer(
        schedule,
        weight_decay=recipe.weight_decay,
        epsilon=recipe.adam_epsilon,
        bias_correction=recipe.adam_bias_correction,
        global_clipnorm=recipe.global_clipnorm,
        layerwise_decay=s.layerwise_decay or recipe.layerwise_decay,
        original_off_by_one=recipe.original_off_by_one,
        model=qa,
    )
    qa.compile(optimizer=optimizer)
    # The keras-hub pipeline feeds arrays in order: shuffle the windows once here.
    order = np.random.default_rng(s.seed).permutation(len(features))
    x = {k: v[order] for k, v in features.inputs().items()}
    y = {k: v[order] for k, v in features.labels().items()}
    history = qa.fit(x, y, batch_size=batch_size, epochs=full_epochs, verbose=verbose)
    with atomic_directory(s.out) as tmp:
        qa.save_to_preset(tmp)
        metrics = {}
        if s.eval_file:
            metrics = evaluate_squad(
                qa,
                s.eval_file,
                version=version,
                out=tmp,
                max_examples=s.max_eval_examples,
                batch_size=batch_size,
                verbose=verbose,
            )
        metrics["train_loss"] = float(history.history["loss"][-1])
        metrics["train_features"] = len(features)
        metrics["train_questions_skipped"] = features.skipped
        _write_json(os.path.join(tmp, "metrics.json"), metrics)
        for name, value in (extra_files or {}).items():
            _write_json(os.path.join(tmp, name), value)
    return metrics


def _load_task(task_or_preset):
    if isinstance(task_or_preset, str):
        from keras_electra.tasks import ElectraQuestionAnswerer

        return ElectraQuestionAnswerer.from_preset(task_or_preset)
    return task_or_preset


def predict_squad(
    task_or_preset,
    input_file,
    output_file=None,
    version=None,
    null_score_threshold=None,
    n_best_size=20,
    max_answer_length=30,
    max_examples=None,
    batch_size=32,
    verbose=1,
):
    """Answers every question of a SQuAD-format file; optionally writes JSON.

    `output_file` gets `{question_id: answer}` (the official predictions
    format); beside it go `*.nbest.json` and, for v2.0, `*.null_odds.json`.

    Returns:
        `(dataset, SquadPredictions)`.

    Example:
    ```python
    predict_squad("./squad_out", "dev-v1.1.json", "predictions.json")
    ```
    """
    from keras_electra.data.squad import read_squad
    from keras_electra.tasks import decode_squad_predictions

    qa = _load_task(task_or_preset)
    if qa.preprocessor is None:
        raise ElectraError("The task has no preprocessor; load it from a task preset.")
    dataset = read_squad(input_file, version=version and squad_version(version), verbose=bool(verbose))
    examples = dataset.examples[:max_examples] if max_examples else dataset.examples
    features = qa.preprocessor.featurize(examples, verbose=bool(verbose))
    outputs = qa.predict(features.inputs(), batch_size=batch_size, verbose=verbose)
    predictions = decode_squad_predictions(
        features,
        outputs,
        version_2=dataset.is_v2,
        n_best_size=n_best_size,
        max_answer_length=max_answer_length,
        null_score_threshold=null_score_threshold,
    )
    if output_file:
        _write_json(output_file, predictions.answers)
        stem = os.path.splitext(output_file)[0]
        _write_json(stem + ".nbest.json", predictions.nbest)
        if dataset.is_v2:
            _write_json(stem + ".null_odds.json", predictions.null_scores)
    return dataset, predictions


def evaluate_squad(
    task_or_preset,
    eval_file,
    version=None,
    out=None,
    null_score_threshold=None,
    max_examples=None,
    batch_size=32,
    verbose=1,
):
    """Official SQuAD EM/F1 of a task (or task preset) on a SQuAD file.

    v1.1: `exact_match`, `f1`. v2.0: the official v2.0 script's output with
    the decoder's null scores as `na_probs` and the null threshold as
    `na_prob_thresh` (`exact`, `f1`, `HasAns_*`, `NoAns_*`, `best_exact`,
    `best_f1` and their thresholds). With `max_examples`, only the questions
    predicted are scored. Writes `predictions.json` and `metrics.json` to
    `out` when given.

    Example:
    ```python
    evaluate_squad("./squad_out", "dev-v2.0.json")["best_f1"]
    ```
    """
    from keras_electra.metrics.squad import squad_v1_evaluate
    from keras_electra.metrics.squad import squad_v2_evaluate
    from keras_electra.tasks.squad_decoding import HF_NULL_THRESHOLD
    from keras_electra.tasks.squad_decoding import ORIGINAL_NULL_THRESHOLD

    qa = _load_task(task_or_preset)
    output_file = os.path.join(out, "predictions.json") if out else None
    dataset, predictions = predict_squad(
        qa,
        eval_file,
        output_file,
        version=version,
        null_score_threshold=null_score_threshold,
        max_examples=max_examples,
        batch_size=batch_size,
        verbose=verbose,
    )
    data = _restrict(dataset.data, set(predictions.answers)) if max_examples else dataset.data
    if dataset.is_v2:
        if null_score_threshold is None:
            null_score_threshold = (
                ORIGINAL_NULL_THRESHOLD if qa.head == "original" else HF_NULL_THRESHOLD
            )
        metrics = dict(
            squad_v2_evaluate(
                data,
                predictions.best_non_null,
                na_probs=predictions.null_scores,
                na_prob_thresh=null_score_threshold,
            )
        )
    else:
        metrics = squad_v1_evaluate(data, predictions.answers)
    metrics["version"] = dataset.version
    metrics["answers_not_found"] = dataset.answers_not_found
    if verbose:
        print(json.dumps(metrics, indent=2))
    if out:
        os.makedirs(out, exist_ok=True)
        _write_json(os.path.join(out, "metrics.json"), metrics)
    return metrics


def _restrict(data, qids):
    """The SQuAD `data` list with only the questions in `qids`."""
    articles = []
    for article in data:
        paragraphs = []
        for p in article["paragraphs"]:
            qas = [qa for qa in p["qas"] if qa["id"] in qids]
            if qas:
                paragraphs.append({**p, "qas": qas})
        if paragraphs:
            articles.append({**article, "paragraphs": paragraphs})
    return articles


def _write_json(path, obj):
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
