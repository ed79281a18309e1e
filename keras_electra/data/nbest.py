"""Reader for the JSON-lines input of `keras-electra score` (n-best lists; pure Python)."""

import dataclasses
import json
import os

from keras_electra.errors import InputFileError

BOM = b"\xef\xbb\xbf"
FORMAT = '{"id": ..., "hypotheses": ["...", ...]} or {"text": "..."}'


@dataclasses.dataclass
class ScoreRecord:
    """One record of a score input file.

    Attributes:
        line: 1-based line number in the file.
        data: the JSON object as read (written back with the scores added).
        texts: the sentences to score: the `hypotheses`, or `[text]`.
    """

    line: int
    data: dict
    texts: list


def read_score_records(path):
    """Reads and checks every record of a JSON-lines file of sentences to score.

    Each non-blank line holds one JSON object with either `hypotheses`, a
    non-empty list of strings (an n-best list), or `text`, one string. Other
    keys (such as `id`) are kept. A UTF-8 byte order mark at the start of
    the file is skipped. Blank lines are skipped but still counted, so line
    numbers are those of the file.

    Args:
        path: the file.

    Returns:
        A list of `ScoreRecord`, one per record, in file order.

    Raises:
        InputFileError: naming the file, the line and, where there is one, the
            field, for a missing or unreadable file, bytes that are not
            UTF-8, a line that is not one JSON object, a record without
            (or with both) `hypotheses` and `text`, an empty or non-string
            hypothesis list, or a file without records.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "nbest.jsonl")
    >>> _ = open(path, "w").write('{"id": 7, "hypotheses": ["a cat", "cat a"]}\\n')
    >>> [(r.line, r.data["id"], r.texts) for r in read_score_records(path)]
    [(1, 7, ['a cat', 'cat a'])]
    """
    if os.path.isdir(path):
        raise InputFileError("is a directory, not a JSON-lines file", path=path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise InputFileError("no such file", path=path) from None
    except OSError as e:
        raise InputFileError(f"cannot be read: {e.strerror or e}", path=path) from None
    records = []
    with f:
        for number, raw in enumerate(f, start=1):
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            record = parse_score_line(raw, path, number)
            if record is not None:
                records.append(record)
    if not records:
        raise InputFileError(f"has no records; expected JSON lines like {FORMAT}", path=path)
    return records


def parse_score_line(raw, path, number):
    """Parses one line (bytes) of a score file; None for a blank line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        hint = " (UTF-16? save the file as UTF-8)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise InputFileError(
            f"is not UTF-8 text: byte 0x{raw[e.start]:02x} at column {e.start + 1}{hint}",
            path=path, line=number,
        ) from None
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFileError(
            f"not valid JSON: {e.msg} at column {e.colno} "
            f"(one JSON object per line, like {FORMAT})",
            path=path, line=number,
        ) from None
    except (ValueError, RecursionError) as e:  # huge integers, deep nesting
        raise InputFileError(f"not usable JSON: {e}", path=path, line=number) from None
    if not isinstance(data, dict):
        raise InputFileError(
            f"expected a JSON object like {FORMAT}; found a JSON {_json_type(data)}",
            path=path, line=number,
        )
    if "hypotheses" in data and "text" in data:
        raise InputFileError(
            "has both 'hypotheses' and 'text'; give one", path=path, line=number
        )
    if "hypotheses" in data:
        texts = data["hypotheses"]
        if not isinstance(texts, list):
            raise InputFileError(
                f"must be a list of strings; found a JSON {_json_type(texts)}",
                path=path, line=number, field="hypotheses",
            )
        if not texts:
            raise InputFileError(
                "is empty; an n-best list needs at least one hypothesis",
                path=path, line=number, field="hypotheses",
            )
        for index, item in enumerate(texts):
            _check_text(item, path, number, f"hypotheses[{index}]")
        return ScoreRecord(number, data, list(texts))
    if "text" in data:
        _check_text(data["text"], path, number, "text")
        return ScoreRecord(number, data, [data["text"]])
    keys = sorted(data)
    shown = ", ".join(repr(k) for k in keys[:5]) + (", ..." if len(keys) > 5 else "")
    raise InputFileError(
        "needs 'hypotheses' (a list of strings) or 'text' (a string); found "
        + (f"keys {shown}" if keys else "an empty object"),
        path=path, line=number,
    )


def _check_text(value, path, number, field):
    if not isinstance(value, str):
        raise InputFileError(
            f"must be a string; found a JSON {_json_type(value)}",
            path=path, line=number, field=field,
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate escape such as "\\ud800"
        raise InputFileError(
            f"is not valid Unicode: {e.reason} at character {e.start + 1}",
            path=path, line=number, field=field,
        ) from None


def _json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", int: "number",
            float: "number"}[type(value)]
