"""Helpers shared by the subcommands."""

import argparse


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
    return parser
