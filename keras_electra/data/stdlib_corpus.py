"""A text corpus every Python install has: the docstrings of the standard library."""

import ast
import os
import re
import sysconfig
import tempfile

from keras_electra.errors import ElectraError
from keras_electra.errors import InputFileError

# Folders of the standard library that hold tests, third-party code or tools.
_SKIPPED_DIRS = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_MIN_WORDS = 3


def _docstrings(source):
    """Docstrings of a module and of its classes and functions, in source order."""
    tree = ast.parse(source)
    nodes = [tree] + [
        node for node in ast.walk(tree)
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    for node in nodes:
        docstring = ast.get_docstring(node)
        if docstring:
            yield docstring


def _sentences(docstring):
    """Splits a docstring into one-line sentences; drops code and short fragments."""
    sentences = []
    for paragraph in re.split(r"\n\s*\n", docstring):
        lines = [line.strip() for line in paragraph.splitlines()]
        lines = [line for line in lines if line and not line.startswith((">>>", "..."))]
        text = " ".join(lines)
        for sentence in _SENTENCE_END.split(text):
            if len(sentence.split()) >= _MIN_WORDS:
                sentences.append(sentence)
    return sentences


def stdlib_source_files():
    """Sorted paths of the standard library's `.py` files, tests excluded."""
    root = sysconfig.get_paths()["stdlib"]
    paths = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
        paths += [os.path.join(directory, f) for f in sorted(files) if f.endswith(".py")]
    return paths


def stdlib_docstring_corpus(path=None, max_files=None):
    """Writes the Python standard library's docstrings as a pretraining corpus.

    The sources are parsed with `ast` (nothing is imported or downloaded), so the
    corpus is the same on every run of a given Python version. Each docstring
    becomes a document: one sentence per line, a blank line after it, the format
    `build-data` and the streaming dataset read. Doctest lines and fragments of
    fewer than three words are left out.

    Args:
        path: str. File to write. Defaults to `stdlib_docstrings.txt` in a new
            temporary folder.
        max_files: int or None. Read only the first `max_files` source files
            (sorted by path), for small demos and tests.

    Returns:
        The path of the written file.

    Example:
    ```python
    path = stdlib_docstring_corpus(max_files=20)
    print(open(path).read()[:200])
    ```
    """
    if max_files is not None and (
        not isinstance(max_files, int) or isinstance(max_files, bool) or max_files < 1
    ):
        raise ElectraError(f"max_files must be a positive integer; received {max_files!r}.")
    if path is None:
        path = os.path.join(tempfile.mkdtemp(), "stdlib_docstrings.txt")
    files = stdlib_source_files()[:max_files]
    if not files:
        raise ElectraError(f"No Python sources found under {sysconfig.get_paths()['stdlib']}.")
    try:
        out = open(path, "w", encoding="utf-8", errors="replace")
    except OSError as e:
        raise InputFileError(f"cannot be written: {e.strerror or e}", path=path) from None
    with out:
        for source_path in files:
            try:
                with open(source_path, encoding="utf-8") as f:
                    docstrings = list(_docstrings(f.read()))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                continue  # a few stdlib files are templates or other encodings
            for docstring in docstrings:
                sentences = _sentences(docstring)
                if sentences:
                    out.write("\n".join(sentences) + "\n\n")
    return path
