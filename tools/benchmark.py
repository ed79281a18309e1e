"""Benchmark keras-electra (jax, tensorflow, torch) against transformers in one run.

Same as `keras-electra benchmark`; see `python tools/benchmark.py --help`.
"""

import sys

from keras_electra.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
