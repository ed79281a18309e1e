"""Reading raw text corpora robustly: globs, byte-range work units, bad lines."""

import glob
import os

# Lines longer than this many bytes are cut (only the first `max_seq_length`
# tokens of a sentence can reach an example anyway) and counted.
MAX_LINE_BYTES = 1 << 20


class ReadStats:
    """Counts of what reading a corpus had to repair. Add them with `+=`."""

    FIELDS = ("lines", "invalid_utf8_lines", "truncated_lines", "bytes")

    def __init__(self, **counts):
        for name in self.FIELDS:
            setattr(self, name, counts.get(name, 0))

    def __iadd__(self, other):
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def as_dict(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def warnings(self):
        """Human-readable lines for the repairs made, or an empty list."""
        out = []
        if self.invalid_utf8_lines:
            out.append(f"{self.invalid_utf8_lines} line(s) had invalid UTF-8 bytes, "
                       "replaced with U+FFFD")
        if self.truncated_lines:
            out.append(f"{self.truncated_lines} line(s) were longer than "
                       f"{MAX_LINE_BYTES} bytes and were cut")
        return out


def resolve_inputs(patterns):
    """Expands files and globs (each glob sorted) and checks the files exist.

    Raises:
        ValueError: naming a missing path, a glob matching nothing, or a
            directory given as a file; or when every file is empty.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns:
        raise ValueError("No input files were given.")
    paths = []
    for pattern in patterns:
        pattern = os.path.expanduser(str(pattern))
        if glob.has_magic(pattern):
            matches = sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
            if not matches:
                raise ValueError(f"No files match {pattern}")
            paths += matches
        elif os.path.isdir(pattern):
            raise ValueError(f"{pattern} is a directory; pass files or a glob like {pattern}/*.txt")
        elif not os.path.exists(pattern):
            raise ValueError(f"Input file not found: {pattern}")
        else:
            paths.append(pattern)
    for path in paths:
        if not os.access(path, os.R_OK):
            raise ValueError(f"Input file is not readable: {path}")
    if all(os.path.getsize(p) == 0 for p in paths):
        raise ValueError(f"All input files are empty: {', '.join(paths)}")
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
                line = raw.decode("utf-8", "replace")
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
