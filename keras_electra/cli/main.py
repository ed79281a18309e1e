"""`keras-electra`: the command line tool. One module per subcommand."""

import argparse
import importlib
import sys

# Subcommand modules in keras_electra/cli/. Each defines `add_parser(subparsers)`,
# which registers the subcommand and sets `func=run`, with `run(args) -> int`.
COMMANDS = [
    "quickstart",
    "score",
]

EPILOG = """examples:
  keras-electra quickstart                 # build, save, reload and run a tiny model
  keras-electra score --preset DIR --input nbest.jsonl   # Electric re-ranking
  keras-electra <command> --help           # help and examples for one command

The Keras backend comes from KERAS_BACKEND (jax, tensorflow or torch).
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-electra",
        description="ELECTRA and Electric for Keras 3: pretrain, fine-tune, convert and score.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from keras_electra.version import __version__

    parser.add_argument("--version", action="version", version=f"keras-electra {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMANDS:
        importlib.import_module(f"keras_electra.cli.{name}").add_parser(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
