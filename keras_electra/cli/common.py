"""Helpers shared by the subcommands."""

import argparse

from keras_electra.utils.console import VERBOSE_FLAG

# Read from the command line before anything is imported (utils/console.py);
# parsed here so that it is valid before or after the subcommand.
VERBOSE_HELP = "show TensorFlow, absl and CUDA log lines (hidden by default)"


def add_subcommand(subparsers, name, help, description, examples, run):
    """Registers a subcommand whose `--help` ends with usage examples."""
    parser = subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)
    parser.add_argument(VERBOSE_FLAG, action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser
