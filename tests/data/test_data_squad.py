"""SQuAD JSON reader: v1.1 / v2.0 fields, unfound answers and malformed files."""

import json

import pytest

from keras_electra.data.squad import read_squad
from keras_electra.data.squad import split_context
from keras_electra.errors import InputFileError

CONTEXT = "The leader was John Smith (1895-1943).  He lived\tin Paris."


def _write(tmp_path, obj, name="squad.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return str(path)


def _squad(qas, version="1.1", context=CONTEXT):
    return {"version": version, "data": [{"title": "t", "paragraphs": [{"context": context, "qas": qas}]}]}


def test_split_context_offsets():
    tokens, offsets = split_context("ab  c\nd")
    assert tokens == ["ab", "c", "d"]
    assert offsets == [0, 0, 0, 0, 1, 1, 2]


def test_v1_answer_positions(tmp_path):
    qas = [
        {"id": "q1", "question": "Who?", "answers": [{"text": "John Smith", "answer_start": 15},
                                                      {"text": "Smith", "answer_start": 20}]},
        {"id": "q2", "question": "Born?", "answers": [{"text": "1895", "answer_start": 27}]},
    ]
    dataset = read_squad(_write(tmp_path, _squad(qas)), verbose=False)
    assert dataset.version == "1.1" and not dataset.is_v2 and len(dataset) == 2
    q1, q2 = dataset.examples
    assert q1.doc_tokens[q1.start_position : q1.end_position + 1] == ["John", "Smith"]
    assert q1.answers == ["John Smith", "Smith"]
    # The answer is part of the whitespace word "(1895-1943).".
    assert q2.doc_tokens[q2.start_position] == "(1895-1943)."
    assert dataset.answers_not_found == 0


def test_v2_impossible_and_plausible(tmp_path):
    qas = [
        {"id": "q1", "question": "Where?", "is_impossible": False,
         "answers": [{"text": "Paris", "answer_start": 52}]},
        {"id": "q2", "question": "When did he die in Rome?", "is_impossible": True, "answers": [],
         "plausible_answers": [{"text": "1943", "answer_start": 32}]},
    ]
    # No "version" field: is_impossible makes it v2.0.
    obj = _squad(qas)
    del obj["version"]
    dataset = read_squad(_write(tmp_path, obj), verbose=False)
    assert dataset.version == "2.0" and dataset.is_v2
    q1, q2 = dataset.examples
    assert q1.doc_tokens[q1.start_position] == "Paris."
    assert q2.is_impossible and q2.answers == [] and q2.plausible_answers == ["1943"]
    assert q2.start_position is None and q2.trainable


def test_unfound_answers_are_counted_not_raised(tmp_path, capsys):
    qas = [
        {"id": "bad_offset", "question": "?", "answers": [{"text": "Smith", "answer_start": 3}]},
        {"id": "past_end", "question": "?", "answers": [{"text": "Paris", "answer_start": 500}]},
        {"id": "ok", "question": "?", "answers": [{"text": "Paris", "answer_start": 52}]},
    ]
    path = _write(tmp_path, _squad(qas))
    with pytest.warns(UserWarning, match="2 answers could not be found"):
        dataset = read_squad(path)
    assert "2 answers not found" in capsys.readouterr().out
    assert dataset.answers_not_found == 2
    assert [e.trainable for e in dataset.examples] == [False, False, True]
    # Still there for evaluation, with their gold texts.
    assert dataset.examples[0].answers == ["Smith"]


def test_malformed_json_names_file_and_line(tmp_path):
    path = _write(tmp_path, '{"version": "1.1",\n "data": [\n  {"title": }\n]}')
    with pytest.raises(ValueError, match=r"squad\.json:3: not valid JSON"):
        read_squad(path)


def test_missing_fields_name_file_and_place(tmp_path):
    path = _write(tmp_path, _squad([{"id": "q1", "answers": []}]))
    with pytest.raises(ValueError, match=r"squad\.json: field 'data\[0\]\.paragraphs\[0\]\.qas\[0\]': has no 'question'"):
        read_squad(path)
    path = _write(tmp_path, {"version": "1.1", "articles": []}, "other.json")
    with pytest.raises(ValueError, match="other.json: not a SQuAD file"):
        read_squad(path)
    with pytest.raises(ValueError, match="absent.json: no such file"):
        read_squad(str(tmp_path / "absent.json"))


SUPER_BOWL = "The Denver Broncos defeated the Carolina Panthers 24\u201310 to earn their third title."


def test_a_wrong_answer_start_is_skipped_never_widened(tmp_path):
    start = SUPER_BOWL.index("Carolina Panthers")
    qas = [
        {"id": "exact", "question": "Who lost?", "answers": [{"text": "Carolina Panthers", "answer_start": start}]},
        # Off by 3: the words around the offset hold "Carolina Panthers 24\u201310".
        {"id": "shifted", "question": "Who lost?", "answers": [{"text": "Carolina Panthers", "answer_start": start + 3}]},
        {"id": "lower", "question": "Who won?", "answers": [{"text": "denver broncos", "answer_start": 4}]},
    ]
    obj = {"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": SUPER_BOWL, "qas": qas}]}]}
    path = _write(tmp_path, obj)
    with pytest.warns(UserWarning, match=r"squad\.json: 2 answer\(s\) have an answer_start that does not point"):
        dataset = read_squad(path, verbose=False)
    exact, shifted, lower = dataset.examples
    assert exact.trainable and " ".join(exact.doc_tokens[exact.start_position : exact.end_position + 1]) == "Carolina Panthers"
    assert not shifted.trainable and shifted.start_position is None and shifted.answer_start_mismatch
    assert not lower.trainable
    assert dataset.answer_start_mismatches == 2 and dataset.answers_not_found == 2
    assert shifted.answers == ["Carolina Panthers"]  # still there for evaluation


def test_bad_bytes_name_file_and_line(tmp_path):
    path = tmp_path / "squad.json"
    path.write_bytes(b'{"version": "1.1",\n "data": ["caf\xe9"]}')
    with pytest.raises(InputFileError, match=r"squad\.json:2: is not UTF-8 text: byte 0xe9"):
        read_squad(str(path))
