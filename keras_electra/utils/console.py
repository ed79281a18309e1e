"""A quiet console for the `keras-electra` command: no TensorFlow, absl or CUDA log lines.

`keras_electra/__init__.py` imports Keras, and keras-hub imports TensorFlow
whenever it is installed, before any code of `keras_electra.cli` runs. So the
package's first statement calls `quiet_if_command_line()`: in the process of
the `keras-electra` command (its console script, or `python -m
keras_electra.cli.main`) without `--verbose`, it sets the log levels before
TensorFlow, absl or JAX are imported. A program that imports `keras_electra`
is left alone.

TensorFlow 2.21 writes its first lines (oneDNN, "Could not find cuda
drivers", "All log messages before absl::InitializeLog() ...") from its
shared libraries while they load, before absl's logging is set up; no
environment variable turns them off. Those lines are silenced by pointing
file descriptor 2 at /dev/null for the duration of `import tensorflow` only;
`TF_CPP_MIN_LOG_LEVEL=3` silences the C++ lines that come later (cuInit
errors, CPU feature notes).
"""

import contextlib
import importlib.util
import logging
import os
import sys

COMMAND = "keras-electra"
MODULE = "keras_electra.cli.main"
VERBOSE_FLAG = "--verbose"
# Python loggers that report accelerator probing (CUDA, TPU) rather than the command's work.
_NOISY_LOGGERS = ("jax._src.xla_bridge", "absl")


def command_line_arguments(argv=None, orig_argv=None):
    """The arguments of a `keras-electra` process, or None in any other process.

    Args:
        argv: list of str. Defaults to `sys.argv`.
        orig_argv: list of str. The interpreter's command line; defaults to
            `sys.orig_argv`.
    """
    argv = sys.argv if argv is None else argv
    orig_argv = getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv
    script = os.path.basename(argv[0]) if argv else ""
    if script in (COMMAND, f"{COMMAND}.exe", f"{COMMAND}-script.py"):
        return list(argv[1:])
    if "-m" in orig_argv:
        at = orig_argv.index("-m")
        if orig_argv[at + 1:at + 2] == [MODULE]:
            return list(orig_argv[at + 2:])
    return None


def quiet_if_command_line(argv=None, orig_argv=None):
    """Silences TensorFlow, absl and CUDA logs in a `keras-electra` process without `--verbose`.

    Returns:
        True when it silenced them.
    """
    arguments = command_line_arguments(argv, orig_argv)
    if arguments is None or VERBOSE_FLAG in arguments:
        return False
    quiet()
    return True


def quiet():
    """Turns TensorFlow's, absl's and JAX's accelerator logs off for this process.

    Call it before TensorFlow is imported; an explicit `TF_CPP_MIN_LOG_LEVEL`
    is kept.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if "tensorflow" not in sys.modules and importlib.util.find_spec("tensorflow") is not None:
        with _stderr_to_devnull():
            try:
                import tensorflow  # noqa: F401
            except Exception:  # noqa: BLE001
                pass  # the import is tried again where it is needed, and fails there visibly
    if importlib.util.find_spec("absl") is not None:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)


@contextlib.contextmanager
def _stderr_to_devnull():
    """Points file descriptor 2 at /dev/null inside the block (C++ libraries write there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
