"""Shared pieces of the property-based fuzz tests.

Every fuzzed call must either return normally or raise the library's clear error
type, `keras_electra.errors.ElectraError`; any other exception (a bare
`ValueError` included) fails the test, and so does a call that runs longer than
`HANG_SECONDS`. Each test runs twice: with the `fuzz` profile (a few hundred
examples, in the default suite) and with `fuzz-slow` (ten times more, marked
`slow`); both are registered in `tests/conftest.py`.
"""

import contextlib
import json
import os
import signal
import tempfile

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from keras_electra.errors import ElectraError  # noqa: E402

HANG_SECONDS = 20

# Parametrize a test over the two profiles; the second is `slow`.
fuzz_profiles = pytest.mark.parametrize(
    "profile",
    [
        pytest.param("fuzz", id="fuzz"),
        pytest.param("fuzz-slow", id="fuzz-slow", marks=pytest.mark.slow),
    ],
)


def profile_settings(profile, scale=1.0, **kwargs):
    """`hypothesis.settings` of a registered profile, with `max_examples` scaled."""
    parent = settings.get_profile(profile)
    kwargs.setdefault("max_examples", max(1, int(parent.max_examples * scale)))
    return settings(parent, **kwargs)


class Hang(AssertionError):
    """A fuzzed call ran longer than `HANG_SECONDS`."""


@contextlib.contextmanager
def no_hang(seconds=HANG_SECONDS):
    """Fails (raises `Hang`) when the block runs longer than `seconds`."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def alarm(signum, frame):
        raise Hang(f"the call did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def works_or_clear_error(function, *args, names=None, **kwargs):
    """Calls `function`; returns `(result, None)` or `(None, ElectraError)`.

    Any other exception propagates (and fails the fuzz test). `names`: strings
    that an `ElectraError` message must contain (such as the file name).
    """
    try:
        with no_hang():
            return function(*args, **kwargs), None
    except ElectraError as error:
        for name in names or ():
            assert name in str(error), f"{name!r} not named in: {error}"
        return None, error


@contextlib.contextmanager
def temporary_file(content, suffix=""):
    """Writes `content` (bytes) to a fresh file; yields its path."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "input" + suffix)
        with open(path, "wb") as f:
            f.write(content)
        yield path


# Bytes that are interesting to splice into text files.
SPECIAL_BYTES = [
    b"\t", b"\n", b"\r", b"\r\n", b"\x00", b" ", b"\xef\xbb\xbf", b"\xff",
    b"\xc3", b"\xed\xa0\x80", b'"', b"'", b"\\", b"{", b"}", b"[", b"]",
    b",", b":", b"\xe2\x80\xa8", b"\xc2\x85", b"\x0b", b"\x0c", b"-DOCSTART-",
    b"NaN", b"Infinity", b"-1", b"1e999", b"null", b"true",
]
_chunks = st.one_of(
    st.sampled_from(SPECIAL_BYTES),
    st.binary(min_size=1, max_size=8),
    st.text(max_size=8).map(lambda s: s.encode("utf-8")),
)


@st.composite
def mutated(draw, valid):
    """Bytes of `valid` after a few random edits.

    Edits: insert, delete or replace bytes, split or join lines, duplicate,
    drop or swap lines, swap two tab/space separated columns of a line,
    truncate, and a UTF-8 BOM in front.
    """
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from([
            "insert", "delete", "replace", "split", "join", "duplicate_line",
            "drop_line", "swap_lines", "swap_columns", "truncate", "bom",
        ]))
        position = draw(st.integers(0, len(data)))
        if edit == "insert":
            data[position:position] = draw(_chunks)
        elif edit == "delete":
            data[position : position + draw(st.integers(1, 16))] = b""
        elif edit == "replace":
            data[position : position + 1] = draw(_chunks)
        elif edit == "split":
            data[position:position] = b"\n"
        elif edit == "truncate":
            del data[position:]
        elif edit == "bom":
            data[0:0] = b"\xef\xbb\xbf"
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if edit == "join" and i + 1 < len(lines):
                lines[i : i + 2] = [lines[i] + lines[i + 1]]
            elif edit == "duplicate_line":
                lines.insert(i, lines[i])
            elif edit == "drop_line":
                del lines[i]
            elif edit == "swap_lines":
                lines[i], lines[j] = lines[j], lines[i]
            elif edit == "swap_columns":
                separator = b"\t" if b"\t" in lines[i] else b" "
                columns = lines[i].split(separator)
                a = draw(st.integers(0, len(columns) - 1))
                b = draw(st.integers(0, len(columns) - 1))
                columns[a], columns[b] = columns[b], columns[a]
                lines[i] = separator.join(columns)
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def file_contents(valid, max_size=2000):
    """Random bytes, arbitrary Unicode text, or mutations of `valid` bytes."""
    return st.one_of(
        st.binary(max_size=max_size),
        st.text(max_size=max_size // 4).map(lambda s: s.encode("utf-8", "surrogatepass")),
        mutated(valid),
        mutated(valid),
    )


def json_values(integers=st.integers(-(10**20), 10**20)):
    """Random JSON values: scalars (NaN and infinities included), lists, objects.

    `integers`: the strategy for integers (bounded where a value could size a
    model, such as a preset config).
    """
    scalars = (
        st.none() | st.booleans() | integers | st.floats() | st.text(max_size=10)
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=10), children, max_size=3),
        max_leaves=8,
    )


def _paths(value, prefix=()):
    """Every path (tuple of keys/indices) inside a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


@st.composite
def mutated_json(draw, valid, values=None):
    """`valid` (a JSON value) after a few edits, as UTF-8 bytes.

    Edits: replace a subtree with a random value (from `values`, default
    `json_values()`), delete a key or item, or add a key to an object.
    """
    values = json_values() if values is None else values
    value = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(value) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        edit = draw(st.sampled_from(["replace", "delete", "add"]))
        if edit == "replace":
            parent[path[-1]] = draw(values)
        elif edit == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(values)
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    return json.dumps(value).encode("utf-8")
