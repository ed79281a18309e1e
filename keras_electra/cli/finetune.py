"""`keras-electra finetune`: fine-tune a preset on a GLUE or chunking task."""

import json
import os
import time

from keras_electra.cli.common import add_subcommand
from keras_electra.models.sizes import SIZE_NAMES
from keras_electra.models.sizes import model_size_name

EXAMPLES = [
    "keras-electra finetune --preset ./electra_small --task sst2 \\",
    "    --train glue/SST-2/train.tsv --eval glue/SST-2/dev.tsv --out ./sst2_model",
    "keras-electra finetune --preset ./electra_small --task mrpc --no-double-unordered \\",
    "    --train glue/MRPC/train.tsv --eval glue/MRPC/dev.tsv --out ./mrpc_model",
    "# files in another layout, e.g. label<TAB>sentence without a header:",
    "keras-electra finetune --preset ./electra_small --task sst2 --text-columns 1 \\",
    "    --label-column 0 --header no --train sst2/train.tsv --eval sst2/dev.tsv --out ./sst2",
    "keras-electra finetune --preset ./electra_small --task squad2 \\",
    "    --train train-v2.0.json --eval dev-v2.0.json --out ./squad2_model",
    "keras-electra finetune --preset ./electra_small --task chunk \\",
    "    --train conll2000/train.txt --eval conll2000/dev.txt --out ./chunker",
]


def text_columns_argument(text):
    """`--text-columns`: one or two comma-separated column indices >= 0, kept as text."""
    import argparse

    parts = [part.strip() for part in str(text).split(",")]
    if not 1 <= len(parts) <= 2 or not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(
            f"expected one or two comma-separated column indices >= 0, such as 1 or 3,4; "
            f"got {text!r}"
        )
    return ",".join(parts)


def add_data_arguments(parser):
    """Options describing the data files, shared with evaluate and predict."""
    parser.add_argument("--text-columns", type=text_columns_argument,
                        help="comma-separated text column indices, one or two, e.g. 1 or 3,4 "
                             "(GLUE layouts are built in)")
    parser.add_argument("--label-column", type=int, help="label column index")
    parser.add_argument("--header", choices=("yes", "no"), help="whether TSV files start with a header line")
    parser.add_argument("--batch-size", type=int, default=32, help="examples per step (default 32)")
    parser.add_argument("--no-bucketing", dest="bucketing", action="store_false",
                        help="pad every batch to --sequence-length (default: to the smallest "
                             "multiple of --bucket-multiple that fits its longest example)")
    parser.add_argument("--bucket-multiple", type=int,
                        help="bucket lengths are multiples of this (default: a multiple of 8 "
                             "giving at most 16 buckets, 8 at length 128)")
    parser.add_argument("--group-by-length", action="store_true",
                        help="training: batch examples of similar length (sorted within "
                             "windows of 50 batches, then the batches shuffled)")


def apply_bucketing(args):
    """Sets the default length bucketing of task models from the CLI options."""
    from keras_electra.data.bucketing import Bucketing
    from keras_electra.data.bucketing import set_default_bucketing

    set_default_bucketing(Bucketing(
        enabled=getattr(args, "bucketing", True),
        multiple=getattr(args, "bucket_multiple", None),
        group_by_length=getattr(args, "group_by_length", False),
    ))


def add_parser(subparsers):
    import argparse

    from keras_electra.cli.distribution_args import add_distribution_arguments

    from keras_electra.cli.task_registry import task_names

    parser = add_subcommand(
        subparsers,
        "finetune",
        help="fine-tune a preset on a GLUE, SQuAD or chunking task",
        description=(
            "Fine-tunes an ELECTRA backbone preset with the original recipe "
            "(AdamW, layer-wise decay, 10% warmup then linear decay), shows a "
            "progress bar, evaluates with the task's official metric, and "
            "writes the task preset plus metrics.json to --out."
        ),
        examples=EXAMPLES,
        run=run,
    )
    parser.add_argument("--preset", required=True, help="backbone preset directory (with tokenizer)")
    parser.add_argument("--task", required=True, choices=task_names())
    parser.add_argument("--train", required=True, help="training file")
    parser.add_argument("--eval", help="evaluation file (dev split, with labels)")
    parser.add_argument("--out", required=True, help="output directory for the task preset")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a non-empty --out (never allowed when --out is an input)")
    parser.add_argument("--size", choices=SIZE_NAMES,
                        help="recipe size (learning rate, decay); default from the backbone width")
    parser.add_argument("--epochs", type=float, help="epochs (default: the recipe's, e.g. 3; RTE/STS 10)")
    parser.add_argument("--learning-rate", type=float, help="peak learning rate (default: the recipe's)")
    parser.add_argument("--layerwise-decay", type=float, help="layer-wise LR decay (default: the recipe's)")
    parser.add_argument("--sequence-length", type=int, help="tokens per example (default: the recipe's)")
    parser.add_argument("--head", choices=("original", "hf", "pooler"),
                        help="task head (default: 'pooler' on a preset that keeps BERT's pooler, "
                             "else 'original'; SQuAD takes 'original' or 'hf')")
    parser.add_argument("--double-unordered", action=argparse.BooleanOptionalAction,
                        help="also train on swapped pairs (default: on for MRPC and STS-B, "
                             "as the original)")
    parser.add_argument("--max-train-examples", type=int, help="use only the first N training examples")
    parser.add_argument("--max-eval-examples", type=int, help="evaluate on only the first N examples")
    parser.add_argument("--max-steps", type=int, help="stop after N optimizer steps (quick runs)")
    parser.add_argument("--max-query-length", type=int, default=64,
                        help="SQuAD: wordpieces kept of each question (default 64)")
    parser.add_argument("--doc-stride", type=int, default=128,
                        help="SQuAD: stride between context windows (default 128)")
    parser.add_argument("--seed", type=int, default=0)
    add_data_arguments(parser)
    add_distribution_arguments(parser)
    return parser


def check_outputs(args):
    """Refuses an --out that is an input, or non-empty without --overwrite.

    Runs before anything is read or trained, so a refused command costs nothing.
    """
    from keras_electra.utils.output_files import check_not_input
    from keras_electra.utils.output_files import check_output

    check_not_input(args.out, [args.preset, args.train, args.eval])
    check_output(args.out, args.overwrite)


def run(args):
    import keras
    import numpy as np

    from keras_electra.cli.distribution_args import apply_distribution
    from keras_electra.cli.task_registry import get_task
    from keras_electra.cli.finetune_task import write_info
    from keras_electra.training.recipes import get_finetuning_recipe
    from keras_electra.utils.output_files import atomic_directory

    keras.utils.set_random_seed(args.seed)
    apply_bucketing(args)
    task = get_task(args.task)
    check_outputs(args)
    if task.runs_own_finetune:  # e.g. SQuAD: windows and n-best decoding
        with apply_distribution(args):
            return task.run_finetune(args)
    # Every line of the train and eval files is parsed before the model is built.
    train = task.read(args.train, args, "train")
    if args.max_train_examples:
        train = train.select(range(min(len(train), args.max_train_examples)))
    evaluation = task.read(args.eval, args, "dev") if args.eval else None
    if evaluation is not None and args.max_eval_examples:
        evaluation = evaluation.select(range(min(len(evaluation), args.max_eval_examples)))
    if evaluation is not None:
        task.check_evaluation(train, evaluation)  # e.g. tags the training data lacks

    from keras_electra.models import ElectraBackbone

    size = args.size or model_size_name(
        ElectraBackbone.from_preset(args.preset, load_weights=False).hidden_dim
    )
    recipe = get_finetuning_recipe(size, task.recipe_task)
    args.sequence_length = args.sequence_length or recipe.max_sequence_length
    epochs = args.epochs or recipe.num_epochs
    import contextlib

    # Build, compile and train inside one distribution scope (a no-op by default).
    scope = contextlib.ExitStack()
    scope.enter_context(apply_distribution(args))
    model, info = task.build(args, train, evaluation=evaluation)
    model_length = model.backbone.max_sequence_length
    if args.sequence_length > model_length:
        raise SystemExit(
            f"--sequence-length {args.sequence_length} exceeds the model's "
            f"{model_length} positions; pass --sequence-length {model_length}."
        )
    import dataclasses
    import math

    recipe = dataclasses.replace(
        recipe, batch_size=args.batch_size, num_epochs=epochs,
        learning_rate=args.learning_rate or recipe.learning_rate,
        layerwise_decay=args.layerwise_decay or recipe.layerwise_decay,
    )
    steps_per_epoch = math.ceil(len(train) / args.batch_size)
    total_steps = math.ceil(steps_per_epoch * epochs)
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    model.compile(optimizer=recipe.create_optimizer(model, total_steps))
    print(f"{args.task}: {len(train)} training examples, {total_steps} steps "
          f"(batch {args.batch_size}, lr {recipe.learning_rate}, layer-wise decay "
          f"{recipe.layerwise_decay}, recipe '{size}'), backend {keras.config.backend()}")
    start = time.time()
    # Keras-hub's array pipeline does not shuffle, so each epoch gets a new order.
    rng = np.random.default_rng(args.seed)
    remaining = total_steps
    epoch = 0
    while remaining > 0:
        epoch += 1
        steps = min(steps_per_epoch, remaining)
        print(f"epoch {epoch}/{math.ceil(total_steps / steps_per_epoch)}")
        order = rng.permutation(len(train))[: steps * args.batch_size]
        task.fit(model, train.select(order), info, args, epochs=1, verbose=1)
        remaining -= steps
    train_seconds = time.time() - start
    scope.close()

    info.update({"preset": args.preset, "train_file": args.train,
                 "text_columns": args.text_columns, "label_column": args.label_column,
                 "header": args.header})
    metrics = {"task": args.task, "train_examples": len(train), "train_steps": total_steps,
               "train_seconds": round(train_seconds, 2), "backend": keras.config.backend()}
    # The preset, finetune.json and metrics.json go to a sibling folder that
    # replaces --out only when all are written.
    with atomic_directory(args.out) as tmp:
        model.save_to_preset(tmp)
        write_info(tmp, info)
        if evaluation is not None:
            metrics["eval_file"] = args.eval
            metrics["eval_examples"] = len(evaluation)
            scores = task.evaluate(model, evaluation, info, args)
            metrics.update(scores)
            print(f"{args.task} eval ({len(evaluation)} examples): "
                  + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
        with open(os.path.join(tmp, "metrics.json"), "w", encoding="utf-8") as f:
            json.dump(metrics, f, indent=2)
    print(f"wrote the task preset and metrics.json to {args.out}")
    return 0
