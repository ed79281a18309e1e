"""The fuzz helpers themselves: the hang alarm and the error check."""

import time

import pytest

from keras_electra.errors import InputFileError
from tests.fuzz.fuzz_helpers import Hang
from tests.fuzz.fuzz_helpers import no_hang
from tests.fuzz.fuzz_helpers import works_or_clear_error


def test_no_hang_stops_a_long_call():
    start = time.monotonic()
    with pytest.raises(Hang):
        with no_hang(0.2):
            time.sleep(5)
    assert time.monotonic() - start < 2


def test_works_or_clear_error_accepts_only_electra_errors():
    assert works_or_clear_error(int, "7") == (7, None)
    _, error = works_or_clear_error(
        lambda: (_ for _ in ()).throw(InputFileError("bad", path="f.tsv", line=2)),
        names=["f.tsv"],
    )
    assert str(error) == "f.tsv:2: bad"
    with pytest.raises(ValueError):  # a bare ValueError is not a clear error
        works_or_clear_error(int, "seven")
    with pytest.raises(AssertionError, match="other.tsv"):  # the file must be named
        works_or_clear_error(
            lambda: (_ for _ in ()).throw(InputFileError("bad", path="f.tsv")),
            names=["other.tsv"],
        )
