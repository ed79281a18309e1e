"""`keras-electra vocab`: train a WordPiece vocabulary on text files."""

from keras_electra.cli.common import add_subcommand


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "vocab",
        help="train a WordPiece vocabulary (vocab.txt) on text files",
        description=(
            "Trains a WordPiece vocabulary with the tokenizers library's trainer. "
            "The vocabulary starts with [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0-4) "
            "and loads in ElectraTokenizer. Uncased (lowercased, accents "
            "stripped) unless --cased."
        ),
        examples=[
            "keras-electra vocab --input corpus/*.txt --size 30522 --out vocab.txt",
            "keras-electra vocab --input wiki.txt books.txt --size 32000 --out vocab.txt --cased",
        ],
        run=run,
    )
    parser.add_argument("--input", nargs="+", required=True, help="text files or globs")
    parser.add_argument("--size", type=int, required=True, help="vocabulary size, special tokens included")
    parser.add_argument("--out", required=True, help="vocab.txt to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument("--cased", action="store_true", help="keep case and accents")
    parser.add_argument("--min-frequency", type=int, default=2, help="least count of a merged piece (default 2)")
    return parser


def run(args):
    import sys
    import time

    from keras_electra.data.text_files import resolve_inputs
    from keras_electra.data.vocabulary import train_vocabulary
    from keras_electra.utils.output_files import atomic_file
    from keras_electra.utils.output_files import check_not_input
    from keras_electra.utils.output_files import check_output

    files = resolve_inputs(args.input)
    check_not_input(args.out, files)
    check_output(args.out, args.overwrite)
    print(f"training {'a cased' if args.cased else 'an uncased'} WordPiece vocabulary "
          f"of {args.size} on {len(files)} file(s)...", file=sys.stderr)
    start = time.time()
    tokens = train_vocabulary(files, args.size, lowercase=not args.cased,
                              min_frequency=args.min_frequency)
    with atomic_file(args.out) as f:  # replaces --out only once complete
        f.write("\n".join(tokens) + "\n")
    print(f"wrote {args.out}: {len(tokens)} tokens in {time.time() - start:.1f}s")
    return 0
