"""`keras-electra evaluate`: score a fine-tuned task preset on labelled data."""

import json

from keras_electra.cli.common import add_subcommand
from keras_electra.cli.finetune import add_data_arguments


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "evaluate",
        help="score a task preset written by `finetune` on labelled data",
        description=(
            "Loads a task preset written by `keras-electra finetune` and "
            "prints the task's official metrics on a labelled file (the same "
            "formats as finetune; the data layout options default to those "
            "used in training)."
        ),
        examples=[
            "keras-electra evaluate --model ./sst2_model --data glue/SST-2/dev.tsv",
            "keras-electra evaluate --model ./chunker --data conll2000/test.txt --out test_metrics.json",
        ],
        run=run,
    )
    parser.add_argument("--model", required=True, help="task preset directory")
    parser.add_argument("--data", required=True, help="labelled data file")
    parser.add_argument("--out", help="also write the metrics to this JSON file")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    add_data_arguments(parser)
    return parser


def load(args):
    """The task, model and info of `args.model`, with layout options filled in."""
    from keras_electra.cli.finetune import apply_bucketing
    from keras_electra.cli.task_registry import get_task
    from keras_electra.cli.finetune_task import read_info

    apply_bucketing(args)
    info = read_info(args.model)
    for key in ("text_columns", "label_column", "header"):
        if getattr(args, key, None) is None and info.get(key) is not None:
            setattr(args, key, info[key])
    task = get_task(info["task"])
    return task, task.load(args.model), info


def run(args):
    from keras_electra.utils.output_files import atomic_file
    from keras_electra.utils.output_files import check_not_input
    from keras_electra.utils.output_files import check_output

    if args.out:
        check_not_input(args.out, [args.model, args.data])
        check_output(args.out, args.overwrite)
    task, model, info = load(args)
    data = task.read(args.data, args, "dev")
    metrics = {"task": info["task"], "examples": len(data)}
    metrics.update(task.evaluate(model, data, info, args))
    for key, value in metrics.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    if args.out:
        with atomic_file(args.out) as f:
            json.dump(metrics, f, indent=2)
    return 0
