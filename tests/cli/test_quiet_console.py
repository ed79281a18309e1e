"""The `keras-electra` command prints its own output only; `--verbose` brings back the logs."""

import os
import re
import subprocess
import sys

import keras
import pytest

from keras_electra.utils.console import command_line_arguments
from keras_electra.utils.console import quiet_if_command_line

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# absl/glog lines ("I0000 00:00:... file.cc:12] ..."), and TensorFlow's and CUDA's own words.
NOISE = re.compile(r"^[IWEF]\d{4} |absl|InitializeLog|oneDNN|cuda|CUDA|TensorFlow binary|cpu_feature_guard")


def _run(args):
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND=keras.config.backend())
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def _messages(stderr):
    """The noise lines without their timestamp and thread id."""
    return [line.split("] ", 1)[-1] for line in stderr.splitlines() if NOISE.search(line)]


def test_command_line_is_recognised():
    assert command_line_arguments(["/venv/bin/keras-electra", "pretrain", "--verbose"], []) == [
        "pretrain", "--verbose"]
    assert command_line_arguments(["-m"], ["python", "-X", "importtime", "-m",
                                           "keras_electra.cli.main", "quickstart"]) == ["quickstart"]
    assert command_line_arguments(["/usr/bin/pytest", "-q"], ["python", "-m", "pytest", "-q"]) is None
    assert command_line_arguments(["script.py"], ["python", "script.py"]) is None
    assert not quiet_if_command_line(["/venv/bin/keras-electra", "--verbose", "quickstart"], [])
    assert not quiet_if_command_line(["/usr/bin/pytest"], ["python", "-m", "pytest"])


def test_command_prints_only_its_own_output():
    # quickstart imports everything and runs a model: TensorFlow loads and
    # probes for CUDA on every backend (keras-hub imports it).
    result = _run(["-m", "keras_electra.cli.main", "quickstart"])
    assert result.returncode == 0, result.stderr
    assert "electric: no scorer shipped" in result.stdout
    assert not NOISE.search(result.stdout)
    assert result.stderr == ""


@pytest.mark.slow
def test_verbose_shows_what_the_library_shows():
    pytest.importorskip("tensorflow")
    # A program importing the library is left alone: TensorFlow logs as it likes.
    library = _run(["-c", "import os, keras_electra; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"])
    assert library.returncode == 0, library.stderr
    assert library.stdout.strip() != "3"  # TensorFlow itself sets "1" when unset
    expected = _messages(library.stderr)
    if not expected:
        pytest.skip("this TensorFlow prints nothing while it loads")
    verbose = _run(["-m", "keras_electra.cli.main", "--verbose", "--version"])
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stdout.startswith("keras-electra ")
    assert _messages(verbose.stderr) == expected
