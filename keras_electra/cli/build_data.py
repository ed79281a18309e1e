"""`keras-electra build-data`: raw text to sharded TFRecords of pretraining examples."""

import os

from keras_electra.cli.common import add_subcommand


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "build-data",
        help="build sharded TFRecords of pretraining examples from text",
        description=(
            "Tokenizes text (one sentence per line, a blank line between documents) "
            "and packs it into ELECTRA pretraining examples as the original "
            "build_pretraining_dataset.py does, written as TFRecord shards with "
            "token_ids, segment_ids and padding_mask. Runs on several processes; "
            "the shards are identical for a seed whatever --workers is."
        ),
        examples=[
            "keras-electra build-data --input corpus/*.txt --vocab vocab.txt --out shards/",
            "keras-electra build-data --input 'wiki/*.txt' --vocab vocab.txt --out shards/ "
            "--seq-len 512 --num-shards 256 --workers 16 --seed 1",
        ],
        run=run,
    )
    parser.add_argument("--input", nargs="+", required=True, help="text files or globs")
    parser.add_argument("--vocab", required=True, help="vocab.txt (see `keras-electra vocab`)")
    parser.add_argument("--out", required=True, help="output folder for the shards")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a non-empty --out (the old folder stays until the new "
                             "shards are complete)")
    parser.add_argument("--seq-len", type=int, default=128, help="tokens per example (default 128)")
    parser.add_argument("--num-shards", type=int, default=16, help="TFRecord files (default 16)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes (default: all cores)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--cased", action="store_true", help="cased tokenization (for a cased vocab)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args):
    import sys

    from keras_electra.data.text_files import resolve_inputs
    from keras_electra.data.tfrecords import write_pretraining_shards
    from keras_electra.utils.output_files import check_not_input
    from keras_electra.utils.output_files import check_output

    inputs = resolve_inputs(args.input)
    check_not_input(args.out, inputs + [args.vocab])
    check_output(args.out, args.overwrite)
    metadata = write_pretraining_shards(
        inputs, args.vocab, args.out, seq_len=args.seq_len,
        num_shards=args.num_shards, workers=args.workers, seed=args.seed,
        lowercase=not args.cased, progress=not args.no_progress,
    )
    print(f"wrote {metadata['num_examples']} examples ({metadata['num_tokens']} tokens) "
          f"to {metadata['num_shards']} shards in {args.out} in {metadata['seconds']:.1f}s")
    return 0
