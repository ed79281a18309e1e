import pytest

from keras_electra.data import read_conll

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
    with pytest.raises(ValueError, match=r"bad\.txt:2: expected at least 2 columns"):
        read_conll(str(path))


def test_shared_conll2000_dev(shared_data):
    data = read_conll(f"{shared_data}/conll2000/dev.txt")
    assert len(data) > 1000
    assert all(len(w) == len(t) for w, t in zip(data.words, data.tags))
    assert {t.split("-")[0] for s in data.tags for t in s} <= {"B", "I", "O"}
