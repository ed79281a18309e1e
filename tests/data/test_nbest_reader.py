import json

import pytest

from keras_electra.data.nbest import read_score_records
from keras_electra.errors import ElectraError
from keras_electra.errors import InputFileError


def write(tmp_path, content, name="nbest.jsonl"):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def test_reads_records_keeps_other_keys_and_file_line_numbers(tmp_path):
    path = write(tmp_path, (
        '{"id": "a", "hypotheses": ["the cat", "cat the"], "extra": 1}\n'
        "\n"
        '   \n'
        '{"id": 2, "text": "one sentence"}\r\n'
    ))
    records = read_score_records(path)
    assert [r.line for r in records] == [1, 4]
    assert records[0].texts == ["the cat", "cat the"]
    assert records[0].data == {"id": "a", "hypotheses": ["the cat", "cat the"], "extra": 1}
    assert records[1].texts == ["one sentence"] and records[1].data["id"] == 2


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + b'{"id": 1, "hypotheses": ["a", "b"]}\n')
    assert read_score_records(path)[0].data == {"id": 1, "hypotheses": ["a", "b"]}


def error(tmp_path, content):
    path = write(tmp_path, content)
    with pytest.raises(InputFileError) as info:
        read_score_records(path)
    assert isinstance(info.value, ElectraError) and info.value.path == path
    return info.value


GOOD = '{"id": 0, "hypotheses": ["fine"]}\n'


@pytest.mark.parametrize(
    "bad, line, field, words",
    [
        ('{"id": 1, "hypotheses": ["a", "b"]', 3, None, "not valid JSON"),
        ('{"id": 1, "hypotheses": []}', 3, "hypotheses", "empty"),
        ('["a", "b"]', 3, None, "found a JSON array"),
        ('"just a string"', 3, None, "found a JSON string"),
        ('{"id": 1}', 3, None, "needs 'hypotheses'"),
        ('{}', 3, None, "empty object"),
        ('{"hypotheses": "a b"}', 3, "hypotheses", "list of strings"),
        ('{"hypotheses": ["a", 3]}', 3, "hypotheses[1]", "must be a string"),
        ('{"hypotheses": ["a", null]}', 3, "hypotheses[1]", "null"),
        ('{"text": ["a"]}', 3, "text", "must be a string"),
        ('{"text": "a", "hypotheses": ["b"]}', 3, None, "both"),
        ('{"text": "\\ud800"}', 3, "text", "not valid Unicode"),
        ("[" * 100000 + "]" * 100000, 3, None, "JSON"),
        ('{"id": ' + "9" * 5000 + ', "text": "a"}', 3, None, "JSON"),
    ],
)
def test_bad_records_name_the_file_line_and_field(tmp_path, bad, line, field, words):
    # Two good lines and a blank one first: the line is the file's, not the record's.
    e = error(tmp_path, GOOD + "\n" + bad + "\n" + GOOD)
    assert (e.line, e.field) == (line, field)
    assert words in str(e) and f":{line}:" in str(e)


def test_malformed_json_names_the_file_line_not_the_column_as_line(tmp_path):
    e = error(tmp_path, GOOD * 499 + '{"id": 500, "hypotheses": ["a", "b",]}\n')
    assert e.line == 500
    assert "column" in str(e)


def test_bytes_that_are_not_utf8_are_a_clear_error(tmp_path):
    e = error(tmp_path, GOOD.encode() + b'{"text": "caf\xe9"}\n')
    assert e.line == 2 and "UTF-8" in str(e)
    utf16 = '{"text": "a"}\n'.encode("utf-16")
    e = error(tmp_path, utf16)
    assert e.line == 1 and "UTF-16" in str(e)


def test_empty_missing_and_directory_inputs(tmp_path):
    assert "no records" in str(error(tmp_path, "\n \n"))
    with pytest.raises(InputFileError, match="no such file"):
        read_score_records(str(tmp_path / "missing.jsonl"))
    with pytest.raises(InputFileError, match="directory"):
        read_score_records(str(tmp_path))


def test_every_line_is_checked(tmp_path):
    lines = [json.dumps({"id": i, "hypotheses": ["a b", "b a"]}) for i in range(600)]
    lines[499] = json.dumps({"id": 499, "hypotheses": []})
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match=r":500: field 'hypotheses'"):
        read_score_records(path)
