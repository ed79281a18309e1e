"""`keras-electra predict`: run a fine-tuned task preset over a file."""

import sys

from keras_electra.cli.common import add_subcommand
from keras_electra.cli.finetune import add_data_arguments


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "predict",
        help="predict with a task preset written by `finetune`",
        description=(
            "Loads a task preset written by `keras-electra finetune` and "
            "writes one prediction per example (a label name or a score; for "
            "chunking `word<TAB>tag` lines). GLUE inputs are read as test "
            "files (no label column) unless --label-column is given."
        ),
        examples=[
            "keras-electra predict --model ./sst2_model --input glue/SST-2/test.tsv --output preds.tsv",
            "keras-electra predict --model ./chunker --input conll2000/test.txt",
        ],
        run=run,
    )
    parser.add_argument("--model", required=True, help="task preset directory")
    parser.add_argument("--input", required=True, help="data file")
    parser.add_argument("--output", help="output TSV (default: standard output)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    add_data_arguments(parser)
    return parser


def run(args):
    from keras_electra.cli.evaluate import load
    from keras_electra.utils.output_files import atomic_file
    from keras_electra.utils.output_files import check_not_input
    from keras_electra.utils.output_files import check_output

    if args.output:
        check_not_input(args.output, [args.model, args.input], option="--output")
        check_output(args.output, args.overwrite, option="--output")
    explicit_label = args.label_column is not None
    task, model, info = load(args)
    split = "dev" if explicit_label or task.name == "chunk" else "test"
    if split == "test":
        args.label_column = None
    data = task.read(args.input, args, split)
    rows = task.predict(model, data, info, args)
    if not args.output:
        for row in rows:
            sys.stdout.write("\t".join(row) + "\n")
        return 0
    with atomic_file(args.output) as out:  # replaces --output only once complete
        for row in rows:
            out.write("\t".join(row) + "\n")
    print(f"wrote {len(data)} predictions to {args.output}")
    return 0
