"""The library's error types.

Every error that a user's input can cause (a file, a line in it, a config field, a
command-line argument, a preset) is an `ElectraError` whose message names what is wrong
and where. The command line prints it as one line and exits with status 2. Anything else
escaping the library is a bug.
"""


class ElectraError(ValueError):
    """Bad input: a file, a field, an argument or a preset. The message says where."""


class InputFileError(ElectraError):
    """A data or text file that cannot be used as given.

    Args:
        message: what is wrong.
        path: the file.
        line: the 1-based line number in the file, if known.
        field: the field, column or key, if known.

    Example:

    >>> str(InputFileError("score is NaN", path="train.tsv", line=3, field="score"))
    "train.tsv:3: field 'score': score is NaN"
    """

    def __init__(self, message, path=None, line=None, field=None):
        self.path, self.line, self.field = path, line, field
        where = "".join(
            part for part in (
                str(path) if path is not None else "",
                f":{line}" if line is not None else "",
            )
        )
        prefix = f"{where}: " if where else ""
        if field is not None:
            prefix += f"field {field!r}: "
        super().__init__(prefix + message)


class PresetError(InputFileError):
    """A preset is missing, unreadable or inconsistent.

    An `ElectraError`; like `InputFileError` it may name the file (`path`)
    and the config field (`field`) at fault.
    """
