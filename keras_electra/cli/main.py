"""`keras-electra`: the command line tool. One module per subcommand."""

import argparse
import importlib
import sys

from keras_electra.cli.common import VERBOSE_FLAG
from keras_electra.cli.common import VERBOSE_HELP

# Subcommands are the modules of keras_electra/cli/ that define `add_parser(subparsers)`,
# which registers the subcommand and sets `func=run`, with `run(args) -> int`.
# Helper modules (no `add_parser`) are skipped. Heavy imports belong inside `run`.
def subcommand_modules():
    """The subcommand modules, in a stable order (quickstart first)."""
    import pkgutil

    import keras_electra.cli as cli

    names = sorted(m.name for m in pkgutil.iter_modules(cli.__path__) if m.name != "main")
    names.sort(key=lambda name: name != "quickstart")
    modules = [importlib.import_module(f"keras_electra.cli.{name}") for name in names]
    return [module for module in modules if hasattr(module, "add_parser")]

EPILOG = """examples:
  keras-electra quickstart                 # build, save, reload and run a tiny model
  keras-electra vocab --input corpus.txt --size 30522 --out vocab.txt
  keras-electra build-data --input corpus.txt --vocab vocab.txt --out shards/
  keras-electra finetune --preset DIR --task sst2 --train train.tsv --eval dev.tsv --out OUT
  keras-electra convert --from transformers ./electra-small --out ./small_keras
  keras-electra score --preset DIR --input nbest.jsonl   # Electric re-ranking
  keras-electra <command> --help           # help and examples for one command

The Keras backend comes from KERAS_BACKEND (jax, tensorflow or torch).
TensorFlow, absl and CUDA log lines are hidden; --verbose (anywhere) shows them.
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
    parser.add_argument(VERBOSE_FLAG, action="store_true", help=VERBOSE_HELP)
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for module in subcommand_modules():
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from keras_electra.errors import ElectraError

    try:
        return args.func(args)
    except (ElectraError, FileNotFoundError, IsADirectoryError, PermissionError) as e:
        # A bad input: one line that names the file, line or field, no traceback.
        print(f"keras-electra {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
