import pytest

from keras_electra.data import read_conll
from keras_electra.errors import InputFileError

TEXT = """-DOCSTART- -X- O

Confidence NN B-NP
in IN B-PP
the DT B-NP
pound NN I-NP

He PRP B-NP
reckons VBZ B-VP
"""


def test_reads_sentences(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(TEXT)
    data = read_conll(str(path))
    assert data.words == [["Confidence", "in", "the", "pound"], ["He", "reckons"]]
    assert data.tags == [["B-NP", "B-PP", "B-NP", "I-NP"], ["B-NP", "B-VP"]]
    assert data.tag_vocabulary() == ["B-NP", "B-PP", "B-VP", "I-NP"]
    assert data.tag_ids(data.tag_vocabulary())[1] == [0, 2]
    with pytest.raises(ValueError, match="not in the tag vocabulary"):
        data.tag_ids(["B-NP"])


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("The DT B-NP\nlonely\n")
    with pytest.raises(ValueError, match=r"bad\.txt:2: expected 3 columns"):
        read_conll(str(path))


def test_shared_conll2000_dev(shared_data):
    data = read_conll(f"{shared_data}/conll2000/dev.txt")
    assert len(data) > 1000
    assert all(len(w) == len(t) for w, t in zip(data.words, data.tags))
    assert {t.split("-")[0] for s in data.tags for t in s} <= {"B", "I", "O"}


@pytest.mark.parametrize("bad_line", ["pound NN", "pound NN I-NP extra"])
def test_every_line_has_the_declared_columns(tmp_path, bad_line):
    path = tmp_path / "train.txt"
    path.write_text("Confidence NN B-NP\nin IN B-PP\n" + bad_line + "\n\nHe PRP B-NP\n")
    with pytest.raises(InputFileError, match=r"train\.txt:3: expected 3 columns.*found") as info:
        read_conll(str(path))
    assert info.value.line == 3
    # The declared layout also catches a file whose first line is off.
    path.write_text("Confidence B-NP\nin IN B-PP\n")
    with pytest.raises(InputFileError, match=r"train\.txt:1: expected 3 columns"):
        read_conll(str(path), num_columns=3)


def test_unknown_tags_name_file_and_line(tmp_path):
    train = tmp_path / "train.txt"
    train.write_text(TEXT)
    dev = tmp_path / "dev.txt"
    dev.write_text("The DT B-NP\ncat NN I-NP\n\nran VBD B-XYZ\n")
    vocabulary = read_conll(str(train)).tag_vocabulary()
    with pytest.raises(InputFileError, match=r"dev\.txt:4: field 'tag': tag 'B-XYZ' is not in the tag vocabulary"):
        read_conll(str(dev)).tag_ids(vocabulary)


def test_bad_files(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("The DT B-NP\ncaf\u00e9 NN I-NP\n".encode("latin-1"))
    with pytest.raises(InputFileError, match=r"latin1\.txt:2: is not UTF-8"):
        read_conll(str(path))
    path = tmp_path / "empty.txt"
    path.write_text("-DOCSTART- -X- O\n\n")
    with pytest.raises(InputFileError, match=r"no examples in .*empty\.txt"):
        read_conll(str(path))


def test_select_keeps_words_tags_and_lines_aligned(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(TEXT)
    data = read_conll(str(path))
    picked = data.select([1, 0])
    assert picked.words == [data.words[1], data.words[0]]
    assert picked.tags == [data.tags[1], data.tags[0]]
    assert picked.lines == [data.lines[1], data.lines[0]] and picked.path == data.path
