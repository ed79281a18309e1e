"""Reading raw text corpora robustly: globs, byte-range work units, bad lines."""

import glob
import os

from keras_electra.errors import InputFileError

BOM = b"\xef\xbb\xbf"
# Lines longer than this many bytes are cut (only the first `max_seq_length`
# tokens of a sentence can reach an example anyway) and counted.
MAX_LINE_BYTES = 1 << 20


class ReadStats:
    """Counts of what reading a corpus had to repair. Add them with `+=`.

    `first_invalid_utf8` is `(path, byte offset)` of the first line with
    invalid UTF-8, or None; the warning names its file and line.
    """

    FIELDS = ("lines", "invalid_utf8_lines", "truncated_lines", "bytes")

    def __init__(self, **counts):
        for name in self.FIELDS:
            setattr(self, name, counts.get(name, 0))
        self.first_invalid_utf8 = counts.get("first_invalid_utf8")

    def __iadd__(self, other):
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if self.first_invalid_utf8 is None:
            self.first_invalid_utf8 = getattr(other, "first_invalid_utf8", None)
        return self

    def as_dict(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def warnings(self):
        """Human-readable lines for the repairs made, or an empty list."""
        out = []
        if self.invalid_utf8_lines:
            where = ""
            if self.first_invalid_utf8 is not None:
                path, offset = self.first_invalid_utf8
                where = f" (the first in {path}:{_line_at(path, offset)})"
            out.append(f"{self.invalid_utf8_lines} line(s) had invalid UTF-8 bytes, "
                       f"replaced with U+FFFD{where}")
        if self.truncated_lines:
            out.append(f"{self.truncated_lines} line(s) were longer than "
                       f"{MAX_LINE_BYTES} bytes and were cut")
        return out


def _line_at(path, offset):
    """The 1-based line number of byte `offset` of `path`."""
    with open(path, "rb") as f:
        return f.read(offset).count(b"\n") + 1


def _not_utf8(raw, error, path, line):
    utf16 = line == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    hint = " (UTF-16? save the file as UTF-8)" if utf16 else ""
    return InputFileError(
        f"is not UTF-8 text: byte 0x{raw[error.start]:02x} at column {error.start + 1}{hint}",
        path=path, line=line,
    )


def _binary(raw, path, line):
    column = raw.index(b"\0") + 1
    return InputFileError(f"is binary, not text: NUL byte at column {column}", path=path, line=line)


def no_examples(path):
    """The `InputFileError` "no examples in PATH" for a file without examples."""
    error = InputFileError(f"no examples in {path}")
    error.path = path
    return error


def open_text_file(path):
    """Opens `path` for binary reading; a missing or unreadable file is an `InputFileError`."""
    if os.path.isdir(path):
        raise InputFileError("is a directory, not a file", path=path)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputFileError("no such file", path=path) from None
    except OSError as e:
        raise InputFileError(f"cannot be read: {e.strerror or e}", path=path) from None


def text_lines(path):
    """Yields `(line number, line)` of a UTF-8 text file, line endings kept.

    A leading byte-order mark is dropped. Bytes that are not UTF-8 and NUL
    bytes (a binary file) raise `InputFileError` naming the file and line.

    Example:

    >>> import tempfile
    >>> path = tempfile.mktemp()
    >>> _ = open(path, "wb").write(b"ok\\n\\xff\\n")
    >>> list(text_lines(path))
    Traceback (most recent call last):
    ...
    keras_electra.errors.InputFileError: ...:2: is not UTF-8 text: byte 0xff at column 1
    """
    with open_text_file(path) as f:
        for number, raw in enumerate(f, start=1):
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            yield from text_lines_of(raw, path, number)


def check_text_file(path, chunk_bytes=1 << 24):
    """Raises `InputFileError` (file and line) unless `path` is UTF-8 text without NUL bytes.

    Decodes in large chunks cut at line ends, so checking costs about as
    much as reading the file.
    """
    lines_before = 0
    with open_text_file(path) as f:
        while True:
            chunk = f.read(chunk_bytes)
            if not chunk:
                return
            if not chunk.endswith(b"\n"):
                chunk += f.readline()
            problem = None
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError as e:
                problem = e.start
            if b"\0" in chunk:
                nul = chunk.index(b"\0")
                problem = nul if problem is None else min(problem, nul)
            if problem is not None:
                start = chunk.rfind(b"\n", 0, problem) + 1
                end = chunk.find(b"\n", problem)
                raw = chunk[start : len(chunk) if end < 0 else end + 1]
                number = lines_before + chunk.count(b"\n", 0, start) + 1
                list(text_lines_of(raw, path, number))
            lines_before += chunk.count(b"\n")


def text_lines_of(raw, path, number):
    """Decodes one raw line as `text_lines` does; yields `(number, line)`."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _not_utf8(raw, e, path, number) from None
    if "\0" in line:
        raise _binary(raw, path, number)
    yield number, line


def resolve_inputs(patterns):
    """Expands files and globs (each glob sorted) and checks the files exist.

    Raises:
        InputFileError: naming a missing path, a glob matching nothing, or a
            directory given as a file; or when every file is empty.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns:
        raise InputFileError("No input files were given.")
    paths = []
    for pattern in patterns:
        pattern = os.path.expanduser(str(pattern))
        if glob.has_magic(pattern):
            matches = sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
            if not matches:
                raise InputFileError(f"No files match {pattern}")
            paths += matches
        elif os.path.isdir(pattern):
            raise InputFileError(f"{pattern} is a directory; pass files or a glob like {pattern}/*.txt")
        elif not os.path.exists(pattern):
            raise InputFileError(f"Input file not found: {pattern}")
        else:
            paths.append(pattern)
    for path in paths:
        if not os.access(path, os.R_OK):
            raise InputFileError(f"Input file is not readable: {path}")
    if all(os.path.getsize(p) == 0 for p in paths):
        raise InputFileError(f"All input files are empty: {', '.join(paths)}")
    return paths


def read_lines(path, start=0, end=None, stats=None):
    """Yields the decoded lines of `path` that start in bytes [start, end).

    `start` must be the start of a line. Invalid UTF-8 is replaced (the rest
    of the line is kept) and overlong lines are cut; both are counted in
    `stats`. Lines are split on "\\n" only.
    """
    stats = stats if stats is not None else ReadStats()
    with open(path, "rb") as f:
        f.seek(start)
        position = start
        while end is None or position < end:
            raw = f.readline(MAX_LINE_BYTES)
            if not raw:
                break
            errors = "strict"
            if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
                stats.truncated_lines += 1
                errors = "ignore"  # the cut may split a character
                while True:
                    rest = f.readline(MAX_LINE_BYTES)
                    if not rest or rest.endswith(b"\n"):
                        break
            position = f.tell()
            try:
                line = raw.decode("utf-8", errors)
            except UnicodeDecodeError:
                stats.invalid_utf8_lines += 1
                if stats.first_invalid_utf8 is None:
                    stats.first_invalid_utf8 = (path, f.tell() - len(raw))
                line = raw.decode("utf-8", "replace")
            if "\0" in line:
                raise _binary(raw, path, _line_at(path, f.tell() - len(raw)))
            stats.lines += 1
            yield line
        stats.bytes += position - start


def split_into_units(path, unit_bytes):
    """Splits a file into byte ranges that start after a blank line.

    Ranges hold whole documents (a blank line ends a document), so examples
    built from them never cross documents. A file without blank lines is one
    range. Returns a list of `(path, start, end)`.
    """
    size = os.path.getsize(path)
    if size == 0:
        return []
    cuts = [0]
    with open(path, "rb") as f:
        target = unit_bytes
        while target < size:
            f.seek(target)
            f.readline(MAX_LINE_BYTES)  # finish the current line
            cut = None
            while True:
                raw = f.readline(MAX_LINE_BYTES)
                if not raw:
                    break
                if raw.endswith(b"\n") and not raw.strip():
                    cut = f.tell()
                    break
            if cut is None or cut >= size:
                break
            if cut > cuts[-1]:
                cuts.append(cut)
            target = cut + unit_bytes
    cuts.append(size)
    return [(path, a, b) for a, b in zip(cuts[:-1], cuts[1:])]
