import os

import keras
import numpy as np
import pytest

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")

try:
    from hypothesis import HealthCheck
    from hypothesis import settings as hypothesis_settings
except ImportError:  # hypothesis is a dev extra; tests/fuzz skips without it
    hypothesis_settings = None
if hypothesis_settings is not None:
    # Fuzz tests (tests/fuzz): a few hundred examples by default, ten times
    # more in their `slow`-marked variants. No deadline: CI machines are slow
    # and shared. HYPOTHESIS_PROFILE=fuzz-slow raises the default as well.
    _fuzz = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    hypothesis_settings.register_profile("fuzz", max_examples=200, **_fuzz)
    hypothesis_settings.register_profile("fuzz-slow", max_examples=2000, **_fuzz)
    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz"))


def pytest_report_header(config):
    return f"keras backend: {keras.config.backend()}"


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1337)
    np.random.seed(1337)
    yield


@pytest.fixture
def shared_data():
    """Path to ../shared/data; skips the test when the folder is absent."""
    path = os.path.abspath(SHARED_DATA)
    if not os.path.isdir(path):
        pytest.skip("shared evaluation data (../shared/data) is not available")
    return path


def has_tensorflow():
    try:
        import tensorflow  # noqa: F401
        import tensorflow_text  # noqa: F401
    except ImportError:
        return False
    return True


requires_tf = pytest.mark.skipif(
    not has_tensorflow(), reason="needs tensorflow and tensorflow-text"
)
