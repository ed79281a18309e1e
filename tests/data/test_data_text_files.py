"""Robust corpus reading: bad bytes, long lines, missing paths, work units."""

import pytest

from keras_electra.data import text_files
from keras_electra.data.stdlib_corpus import stdlib_docstring_corpus
from keras_electra.data.text_files import ReadStats
from keras_electra.data.text_files import read_lines
from keras_electra.data.text_files import resolve_inputs
from keras_electra.data.text_files import split_into_units


def test_invalid_utf8_is_replaced_and_counted_without_losing_lines(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good line\nbad \xff\xfe bytes here\nlast line\n")
    stats = ReadStats()
    lines = list(read_lines(str(path), stats=stats))
    assert [line.strip() for line in lines] == ["good line", "bad \ufffd\ufffd bytes here", "last line"]
    assert stats.invalid_utf8_lines == 1 and stats.lines == 3
    assert "invalid UTF-8" in stats.warnings()[0]


def test_overlong_line_is_cut_and_the_rest_of_the_file_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(text_files, "MAX_LINE_BYTES", 64)
    path = tmp_path / "long.txt"
    path.write_bytes(b"short\n" + "é".encode() * 500 + b"\nafter\n")
    stats = ReadStats()
    lines = [line.strip() for line in read_lines(str(path), stats=stats)]
    assert lines[0] == "short" and lines[2] == "after" and len(lines) == 3
    assert 0 < len(lines[1]) <= 32 and set(lines[1]) == {"é"}
    assert stats.truncated_lines == 1 and stats.invalid_utf8_lines == 0


def test_resolve_inputs_errors(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "a.txt").write_text("text\n")
    with pytest.raises(ValueError, match="not found: .*missing.txt"):
        resolve_inputs([str(tmp_path / "missing.txt")])
    with pytest.raises(ValueError, match="No files match"):
        resolve_inputs([str(tmp_path / "*.md")])
    with pytest.raises(ValueError, match="is a directory"):
        resolve_inputs([str(tmp_path)])
    with pytest.raises(ValueError, match="All input files are empty: .*empty.txt"):
        resolve_inputs([str(tmp_path / "empty.txt")])
    with pytest.raises(ValueError, match="No input files"):
        resolve_inputs([])
    assert resolve_inputs([str(tmp_path / "*.txt")]) == [str(tmp_path / "a.txt"), str(tmp_path / "empty.txt")]


def test_units_hold_whole_documents_and_cover_the_file(tmp_path):
    path = stdlib_docstring_corpus(str(tmp_path / "c.txt"), max_files=15)
    units = split_into_units(path, 2000)
    assert len(units) > 5
    whole = list(read_lines(path))
    pieces = [line for _, a, b in units for line in read_lines(path, a, b)]
    assert pieces == whole
    with open(path, "rb") as f:
        data = f.read()
    for _, start, end in units[1:]:
        assert data[start - 2 : start] == b"\n\n"  # each unit starts after a blank line
    assert units[-1][2] == len(data)


def test_stdlib_corpus_format_and_determinism(tmp_path):
    a = stdlib_docstring_corpus(str(tmp_path / "a.txt"), max_files=10)
    b = stdlib_docstring_corpus(str(tmp_path / "b.txt"), max_files=10)
    text = open(a, encoding="utf-8").read()
    assert text == open(b, encoding="utf-8").read()
    documents = [d for d in text.split("\n\n") if d.strip()]
    assert len(documents) > 20
    assert all(len(line.split()) >= 3 for d in documents for line in d.splitlines())
    assert ">>>" not in text
