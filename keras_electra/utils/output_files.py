"""Safe outputs: refuse to overwrite without consent, write to a sibling, rename into place.

Every command that writes uses these helpers, so that an interrupted or failed command
leaves existing files byte-identical, and a finished one leaves complete files only.
"""

import contextlib
import os
import shutil
import sys
import tempfile

from keras_electra.errors import ElectraError


def is_nonempty(path):
    """Whether `path` is an existing file or a non-empty directory."""
    if os.path.isdir(path):
        return bool(os.listdir(path))
    return os.path.lexists(path)


def check_output(path, overwrite=False, option="--out"):
    """Refuses an existing non-empty `path` unless `overwrite` is set."""
    if is_nonempty(path) and not overwrite:
        raise ElectraError(
            f"{option} {path} exists and is not empty; pass --overwrite to replace it."
        )


def check_not_input(output, inputs, option="--out"):
    """Refuses an output that is (or contains, or lies inside) one of the inputs."""
    out = os.path.realpath(output)
    for item in inputs:
        if item is None:
            continue
        source = os.path.realpath(item)
        if out == source or source.startswith(out + os.sep) or out.startswith(source + os.sep):
            raise ElectraError(
                f"{option} {output} would overwrite the input {item}; choose another path."
            )


def _default_mode(directory):
    """The mode a plain `mkdir`/`open` would give (mkdtemp/mkstemp give 0700/0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def _sibling(path, suffix):
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    return parent, f".{os.path.basename(os.path.abspath(path))}.{suffix}-"


@contextlib.contextmanager
def atomic_directory(path):
    """Yields a temporary sibling directory that replaces `path` when the block succeeds.

    On an exception the sibling is deleted and `path` is left as it was.

    Example:

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "preset")
    >>> with atomic_directory(out) as tmp:
    ...     _ = open(os.path.join(tmp, "config.json"), "w").write("{}")
    >>> os.listdir(out)
    ['config.json']
    """
    parent, prefix = _sibling(path, "tmp")
    tmp = tempfile.mkdtemp(dir=parent, prefix=prefix)
    os.chmod(tmp, _default_mode(directory=True))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_path(tmp, path)


def _exchange(a, b):
    """Swaps two paths in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`).

    Returns False where the system or file system does not support it.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def replace_path(new, path):
    """Moves `new` (file or directory) to `path`, replacing what is there.

    A directory is swapped with `new` in one atomic step where the system
    allows it (Linux), so `path` always holds either the old or the new
    contents; elsewhere the old one is first renamed aside.
    """
    if os.path.isdir(path) and not os.path.islink(path):
        if _exchange(new, path):
            shutil.rmtree(new, ignore_errors=True)  # now holds the old contents
            return
        parent, prefix = _sibling(path, "old")
        old = tempfile.mkdtemp(dir=parent, prefix=prefix)
        os.rmdir(old)
        os.rename(path, old)
        os.rename(new, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, path)


@contextlib.contextmanager
def atomic_file(path, mode="w", encoding="utf-8"):
    """Opens a temporary sibling of `path` for writing; it replaces `path` on success."""
    parent, prefix = _sibling(path, "tmp")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=prefix)
    os.close(fd)
    os.chmod(tmp, _default_mode(directory=False))
    try:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
    except BaseException:
        os.remove(tmp)
        raise
    os.replace(tmp, path)
