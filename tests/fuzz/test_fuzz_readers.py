"""Fuzzing the GLUE, CoNLL and SQuAD readers with random and mutated files.

Each reader must return consistent data or raise an `ElectraError` that names
the file; no other exception, and no hang.
"""

import json
import os

import pytest
from hypothesis import example
from hypothesis import given
from hypothesis import strategies as st

from keras_electra.data.conll import read_conll
from keras_electra.data.glue import GLUE_LAYOUTS
from keras_electra.data.glue import GLUE_TASKS
from keras_electra.data.glue import GLUE_TEST_TEXT_COLUMNS
from keras_electra.data.glue import read_glue
from keras_electra.data.nbest import read_score_records
from keras_electra.data.squad import read_squad
from tests.fuzz.fuzz_helpers import file_contents
from tests.fuzz.fuzz_helpers import fuzz_profiles
from tests.fuzz.fuzz_helpers import mutated
from tests.fuzz.fuzz_helpers import mutated_json
from tests.fuzz.fuzz_helpers import profile_settings
from tests.fuzz.fuzz_helpers import temporary_file
from tests.fuzz.fuzz_helpers import works_or_clear_error

SENTENCES = ["the quick brown fox .", "a cat sat on the mat", "the dog was lazy"]


def valid_glue_file(task, split):
    """A small well-formed GLUE TSV file of `task` and `split`, as bytes."""
    text_columns, label_column, header, names = GLUE_LAYOUTS[task]
    if split == "test":
        text_columns, label_column, header = GLUE_TEST_TEXT_COLUMNS[task], None, True
    width = max(max(text_columns), label_column if label_column is not None else 0) + 1
    if label_column is not None and label_column < 0:
        width += 1
    rows = [[f"column{i}" for i in range(width)]] if header else []
    for number in range(4):
        row = [str(number)] * width
        for k, column in enumerate(text_columns):
            row[column] = SENTENCES[(number + k) % len(SENTENCES)]
        if label_column is not None:
            row[label_column] = names[number % len(names)] if names else f"{number * 1.25}"
        rows.append(row)
    return "".join("\t".join(row) + "\n" for row in rows).encode("utf-8")


def check_glue_data(data):
    lengths = {len(texts) for texts in data.texts}
    assert len(lengths) == 1
    assert all(isinstance(t, str) for texts in data.texts for t in texts)
    if data.labels is not None:
        assert len(data.labels) == len(data)
        if data.label_names is None:
            assert data.y.dtype == "float32"
        else:
            assert all(0 <= label < len(data.label_names) for label in data.labels)


GLUE_FILES = {
    (task, split): valid_glue_file(task, split)
    for task in GLUE_TASKS
    for split in ("train", "dev", "test")
}


def test_valid_glue_files_read():
    for (task, split), content in GLUE_FILES.items():
        with temporary_file(content, ".tsv") as path:
            data = read_glue(path, task, split=split)
        check_glue_data(data)
        # MRPC and STS-B training pairs are read in both orders, as the original.
        doubled = split == "train" and task in ("mrpc", "stsb")
        assert len(data) == (8 if doubled else 4), (task, split)


@st.composite
def glue_cases(draw):
    task = draw(st.sampled_from(GLUE_TASKS))
    split = draw(st.sampled_from(["train", "dev", "test"]))
    content = draw(file_contents(GLUE_FILES[(task, split)]))
    return task, split, content


@fuzz_profiles
def test_fuzz_read_glue(profile):
    @profile_settings(profile)
    @given(glue_cases(), st.booleans())
    # Regressions: bytes that are not UTF-8 (UnicodeDecodeError), a field over
    # csv's 131072-character limit (_csv.Error).
    @example(("cola", "train", b"\x80"), False)
    @example(("sst2", "train", b"sentence\tlabel\n" + b"a" * 200_000 + b"\t1\n"), False)
    def check(case, double_unordered):
        task, split, content = case
        if double_unordered and len(GLUE_LAYOUTS[task][0]) != 2:
            double_unordered = False
        with temporary_file(content, ".tsv") as path:
            data, _ = works_or_clear_error(
                read_glue, path, task, split=split,
                double_unordered=double_unordered, names=[os.path.basename(path)],
            )
        if data is not None:
            check_glue_data(data)

    check()


VALID_CONLL = (
    "-DOCSTART- -X- -O-\n\n"
    "Confidence NN B-NP\nin IN B-PP\nthe DT B-NP\npound NN I-NP\n\n"
    "Chancellor NNP O\nspoke VBD B-VP\n. . O\n"
).encode("utf-8")


@fuzz_profiles
def test_fuzz_read_conll(profile):
    @profile_settings(profile)
    @given(file_contents(VALID_CONLL), st.sampled_from([None, "\t", " "]))
    # Regressions: bytes that are not UTF-8; an empty tag column with an
    # explicit separator was read as the tag "".
    @example(b"\x80", None)
    @example(VALID_CONLL + b". ", " ")
    @example(b"Confidence NN B-NP\n NN B-NP\n", " ")
    def check(content, separator):
        with temporary_file(content, ".txt") as path:
            data, _ = works_or_clear_error(
                read_conll, path, separator=separator,
                names=[os.path.basename(path)],
            )
        if data is not None:
            assert len(data.words) == len(data.tags)
            for words, tags in zip(data.words, data.tags):
                assert len(words) == len(tags) > 0
                assert all(isinstance(w, str) and w for w in words)
                assert all(isinstance(t, str) and t for t in tags)

    check()


VALID_SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Foxes",
            "paragraphs": [
                {
                    "context": "The quick brown fox jumped over the lazy dog.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "What jumped?",
                            "answers": [{"text": "brown fox", "answer_start": 10}],
                            "is_impossible": False,
                        },
                        {
                            "id": "q2",
                            "question": "What sat?",
                            "answers": [],
                            "plausible_answers": [{"text": "dog", "answer_start": 40}],
                            "is_impossible": True,
                        },
                    ],
                }
            ],
        }
    ],
}

SQUAD_BYTES = json.dumps(VALID_SQUAD, indent=1).encode("utf-8")


def test_valid_squad_file_reads():
    with temporary_file(SQUAD_BYTES, ".json") as path:
        dataset = read_squad(path, verbose=False)
    assert len(dataset) == 2 and dataset.is_v2
    assert dataset.examples[0].start_position == 2


@pytest.mark.filterwarnings("ignore:.*answer_start:UserWarning")  # mutated offsets
@fuzz_profiles
def test_fuzz_read_squad(profile):
    @profile_settings(profile)
    @given(
        st.one_of(file_contents(SQUAD_BYTES), mutated_json(VALID_SQUAD)),
        st.sampled_from([None, "1.1", "2.0"]),
    )
    # Regressions: null where a list belongs was a TypeError.
    @example(b'{"version": "v2.0", "data": [{"title": "Foxes", "paragraphs": null}]}', None)
    @example(b'{"data": [{"paragraphs": [{"context": "a b", "qas": null}]}]}', "1.1")
    @example(b'{"data": [null]}', None)
    def check(content, version):
        with temporary_file(content, ".json") as path:
            dataset, _ = works_or_clear_error(
                read_squad, path, version=version, verbose=False,
                names=[os.path.basename(path)],
            )
        if dataset is not None:
            for example in dataset.examples:
                assert isinstance(example.qas_id, str)
                assert isinstance(example.question_text, str)
                if example.start_position is not None:
                    assert 0 <= example.start_position <= example.end_position
                    assert example.end_position < len(example.doc_tokens)

    check()


SCORE_RECORDS = [
    {"id": 1, "hypotheses": ["the cat sat", "cat the sat"]},
    {"id": "b", "text": "the quick brown fox ."},
    {"hypotheses": ["a dog", "the dog", "dog"], "extra": [1, 2]},
]
SCORE_BYTES = "".join(json.dumps(r) + "\n" for r in SCORE_RECORDS).encode("utf-8")


@st.composite
def score_files(draw):
    """Random or mutated JSON-lines files, or one record edited as JSON."""
    if draw(st.booleans()):
        return draw(file_contents(SCORE_BYTES))
    lines = SCORE_BYTES.splitlines()
    index = draw(st.integers(0, len(lines) - 1))
    lines[index] = draw(mutated_json(SCORE_RECORDS[index]))
    return b"\n".join(lines) + b"\n"


def test_valid_score_file_reads():
    with temporary_file(SCORE_BYTES, ".jsonl") as path:
        records = read_score_records(path)
    assert [r.texts for r in records] == [
        ["the cat sat", "cat the sat"], ["the quick brown fox ."], ["a dog", "the dog", "dog"]
    ]


@fuzz_profiles
def test_fuzz_read_score_records(profile):
    @profile_settings(profile)
    @given(score_files())
    def check(content):
        with temporary_file(content, ".jsonl") as path:
            records, _ = works_or_clear_error(
                read_score_records, path, names=[os.path.basename(path)]
            )
        if records is not None:
            assert records
            lines = [r.line for r in records]
            assert lines == sorted(set(lines)) and lines[0] >= 1
            assert lines[-1] <= content.count(b"\n") + 1
            for record in records:
                assert isinstance(record.data, dict)
                assert record.texts and all(isinstance(t, str) for t in record.texts)

    check()


def test_mutation_strategy_changes_files():
    """The mutation strategy really edits: most drawn files differ from the input."""
    seen = set()

    @profile_settings("fuzz", max_examples=50)
    @given(mutated(VALID_CONLL))
    def collect(content):
        seen.add(content)

    collect()
    assert len(seen - {VALID_CONLL}) >= 10
