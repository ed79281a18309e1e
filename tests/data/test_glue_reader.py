import numpy as np
import pytest

from keras_electra.data import read_glue
from keras_electra.data.glue import GLUE_TASKS
from keras_electra.errors import InputFileError


def write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_nine_tasks():
    assert set(GLUE_TASKS) == {"cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"}


def test_cola_has_no_header(tmp_path):
    path = write(tmp_path, "cola.tsv", ["gj04\t1\t\tThe boy left.", "gj04\t0\t*\tLeft boy the."])
    data = read_glue(path, "cola")
    assert data.x == ["The boy left.", "Left boy the."] and data.y.tolist() == [1, 0]


def test_sst2_header_and_test_split(tmp_path):
    data = read_glue(write(tmp_path, "sst.tsv", ["sentence\tlabel", "a fine film \t1"]), "SST-2")
    assert data.task == "sst2" and data.x == ["a fine film "] and data.y.tolist() == [1]
    test = read_glue(write(tmp_path, "t.tsv", ["index\tsentence", "0\tdull"]), "sst2", split="test")
    assert test.x == ["dull"] and test.labels is None


def test_mrpc_double_unordered(tmp_path):
    path = write(tmp_path, "mrpc.tsv", ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String",
                                        "1\t1\t2\tA cat.\tThe cat.", "0\t3\t4\tRain.\tSun."])
    data = read_glue(path, "mrpc", double_unordered=True)
    first, second = data.x
    assert first == ["A cat.", "Rain.", "The cat.", "Sun."]
    assert second == ["The cat.", "Sun.", "A cat.", "Rain."]
    assert data.y.tolist() == [1, 0, 1, 0]


def original_double_unordered(rows, task, split):
    """classification_tasks.py: MRPC/STS `_create_examples` with the default
    `double_unordered=True`: the pairs, then (train only) the pairs swapped."""
    examples = [(a, b, label) for a, b, label in rows]
    if task in ("mrpc", "sts") and split == "train":
        examples += [(b, a, label) for a, b, label in rows]
    return examples


@pytest.mark.parametrize("task", ["mrpc", "stsb", "qqp", "rte"])
@pytest.mark.parametrize("split", ["train", "dev"])
def test_double_unordered_defaults_to_the_originals(tmp_path, task, split):
    from keras_electra.data.glue import GLUE_LAYOUTS

    (first, second), label_column, _, names = GLUE_LAYOUTS[task]
    width = max(first, second, label_column) + 1 if label_column >= 0 else max(first, second) + 2
    pairs = [("A cat.", "The cat.", "1"), ("Rain.", "Sun.", "0"), ("Go.", "Went.", "1")]
    lines = ["\t".join(["h"] * width)]
    for a, b, label in pairs:
        row = ["x"] * width
        row[first], row[second], row[label_column] = a, b, label
        if names is not None and names[0] != "0":
            row[label_column] = names[int(label)]
        lines.append("\t".join(row))
    data = read_glue(write(tmp_path, f"{task}.tsv", lines), task, split=split)
    original = {"stsb": "sts"}.get(task, task)
    expected = original_double_unordered(pairs, original, split)
    assert list(zip(*data.x)) == [(a, b) for a, b, _ in expected]
    assert len(data.y) == len(expected)


def test_stsb_targets_are_the_originals_score_over_five(tmp_path):
    scores = ["0", "1.4", "2.5", "3.75", "5.000"]
    lines = [STSB_HEADER] + [stsb_row(score) for score in scores]
    data = read_glue(write(tmp_path, "sts.tsv", lines), "stsb", split="dev")
    # RegressionTask._add_features: (label - min_value) / max_value, min 0, max 5.
    expected = [(float(score) - 0.0) / 5.0 for score in scores]
    np.testing.assert_allclose(data.targets, expected, rtol=0, atol=1e-7)
    np.testing.assert_allclose(data.scores_from_targets(data.targets), data.y, atol=1e-6)
    sst = read_glue(write(tmp_path, "sst.tsv", ["sentence\tlabel", "fine\t1"]), "sst2")
    assert sst.targets.tolist() == [1]


def test_stsb_scores_are_floats(tmp_path):
    row = "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane.\tAn air plane.\t5.000"
    header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"
    data = read_glue(write(tmp_path, "sts.tsv", [header, row]), "stsb", split="dev")
    assert data.num_classes == 1 and data.y.dtype == np.float32 and data.y.tolist() == [5.0]


def test_mnli_matched_and_mismatched_labels(tmp_path):
    header = "\t".join(["index", "promptID", "pairID", "genre", "b1", "b2", "p1", "p2",
                        "sentence1", "sentence2", "label1", "gold_label"])
    rows = ["\t".join(["0", "1", "2", "fiction", "x", "x", "x", "x", "He ran.", "He moved.",
                       "entailment", "entailment"]),
            "\t".join(["1", "1", "2", "travel", "x", "x", "x", "x", "It rains.", "It is dry.",
                       "contradiction", "contradiction"])]
    for name in ("dev_matched.tsv", "dev_mismatched.tsv"):
        data = read_glue(write(tmp_path, name, [header] + rows), "mnli", split="dev")
        assert data.label_names == ["contradiction", "entailment", "neutral"]
        assert data.y.tolist() == [1, 0] and data.x[1] == ["He moved.", "It is dry."]


def test_qnli_rte_qqp_wnli_layouts(tmp_path):
    nli = write(tmp_path, "rte.tsv", ["index\tsentence1\tsentence2\tlabel", "0\tA.\tB.\tnot_entailment"])
    for task in ("qnli", "rte"):
        assert read_glue(nli, task).y.tolist() == [1]
    qqp = write(tmp_path, "qqp.tsv", ["id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate", "0\t1\t2\tWhy?\tHow?\t0"])
    assert read_glue(qqp, "qqp").x == (["Why?"], ["How?"])
    wnli = write(tmp_path, "wnli.tsv", ["index\tsentence1\tsentence2\tlabel", "0\tA.\tB.\t1"])
    assert read_glue(wnli, "wnli").y.tolist() == [1]


def test_custom_layout(tmp_path):
    path = write(tmp_path, "sst.tsv", ["1\ta fine film", "0\ta dull film"])
    data = read_glue(path, "sst2", text_columns=(1,), label_column=0, header=False)
    assert data.x == ["a fine film", "a dull film"] and data.y.tolist() == [1, 0]


def test_malformed_lines_name_file_and_line(tmp_path):
    path = write(tmp_path, "bad.tsv", ["sentence\tlabel", "good\t1", "no label here"])
    with pytest.raises(ValueError, match=r"bad\.tsv:3: expected at least 2"):
        read_glue(path, "sst2")
    path = write(tmp_path, "bad2.tsv", ["sentence\tlabel", "good\t7"])
    with pytest.raises(ValueError, match=r"bad2\.tsv:2: field 'label': '7' is not one of"):
        read_glue(path, "sst2")
    path = write(tmp_path, "bad3.tsv", ["h\th\th\th\th\th\th\th\th\th", "0\tg\tf\ty\to\ts\ts\tA\tB\tfive"])
    with pytest.raises(ValueError, match=r"bad3\.tsv:2: field 'score': 'five' is not a number"):
        read_glue(path, "stsb")
    with pytest.raises(ValueError, match="Unknown GLUE task"):
        read_glue(path, "squad")


def test_reader_needs_no_tensorflow(tmp_path):
    import os
    import subprocess
    import sys

    # The readers import `keras_electra.errors` (so the package, so keras): run them
    # on a backend that needs no TensorFlow, with TensorFlow blocked.
    path = write(tmp_path, "sst.tsv", ["sentence\tlabel", "a fine film\t1"])
    code = ("import sys; sys.modules['tensorflow'] = None\n"
            "from keras_electra.data.glue import read_glue\n"
            "import keras_electra.data.conll, keras_electra.data.text_files\n"
            f"assert read_glue({path!r}, 'sst2').y.tolist() == [1]\n")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


STSB_HEADER = "\t".join(["index", "genre", "filename", "year", "old_index", "source1", "source2",
                         "sentence1", "sentence2", "score"])


def stsb_row(score):
    return "\t".join(["0", "g", "f", "y", "o", "s", "s", "A cat.", "A dog.", score])


@pytest.mark.parametrize("score", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_stsb_rejects_scores_that_are_not_finite(tmp_path, score):
    path = write(tmp_path, "sts.tsv", [STSB_HEADER, stsb_row("3.2"), stsb_row(score)])
    with pytest.raises(InputFileError, match=r"sts\.tsv:3: field 'score': .* is not a finite number") as info:
        read_glue(path, "stsb")
    assert (info.value.line, info.value.field) == (3, "score")


def test_stsb_warns_about_scores_outside_zero_to_five(tmp_path):
    path = write(tmp_path, "sts.tsv", [STSB_HEADER, stsb_row("3.2"), stsb_row("7"), stsb_row("-1")])
    with pytest.warns(UserWarning, match=r"sts\.tsv: 2 score\(s\) outside \[0, 5\].*first on line 3"):
        data = read_glue(path, "stsb", double_unordered=False)
    np.testing.assert_allclose(data.y, [3.2, 7.0, -1.0])


def test_an_empty_file_has_no_examples(tmp_path):
    for lines in ([], ["sentence\tlabel"], ["sentence\tlabel", "", ""]):
        path = tmp_path / "empty.tsv"
        path.write_text("\n".join(lines), encoding="utf-8")
        with pytest.raises(InputFileError, match=r"no examples in .*empty\.tsv"):
            read_glue(str(path), "sst2")


def test_invalid_utf8_and_binary_files_name_the_line(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("sentence\tlabel\ngood\t1\ncaf\u00e9\t0\n".encode("latin-1"))
    with pytest.raises(InputFileError, match=r"latin1\.tsv:3: is not UTF-8 text: byte 0xe9"):
        read_glue(str(path), "sst2")
    path = tmp_path / "binary.tsv"
    path.write_bytes(b"sentence\tlabel\n\x00\x01\x02\t1\n")
    with pytest.raises(InputFileError, match=r"binary\.tsv:2: is binary"):
        read_glue(str(path), "sst2")
    path = tmp_path / "utf16.tsv"
    path.write_bytes("sentence\tlabel\ngood\t1\n".encode("utf-16"))
    with pytest.raises(InputFileError, match=r"utf16\.tsv:1: .*UTF-16"):
        read_glue(str(path), "sst2")


def test_a_field_over_the_csv_limit_names_the_line(tmp_path):
    import csv

    path = write(tmp_path, "long.tsv", ["sentence\tlabel", "good\t1", "x" * (csv.field_size_limit() + 1) + "\t0"])
    with pytest.raises(InputFileError, match=r"long\.tsv:3: cannot be read as TSV: field larger than field limit"):
        read_glue(path, "sst2")


def test_a_missing_file_is_an_input_file_error(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        read_glue(str(tmp_path / "missing.tsv"), "sst2")
    with pytest.raises(InputFileError, match="is a directory"):
        read_glue(str(tmp_path), "sst2")


def test_select_keeps_pairs_and_labels_aligned(tmp_path):
    path = write(tmp_path, "mrpc.tsv", ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String",
                                        "1\t1\t2\tA cat.\tThe cat.", "0\t3\t4\tRain.\tSun."])
    data = read_glue(path, "mrpc", split="dev")
    picked = data.select([1, 0, 1])
    assert picked.x == (["Rain.", "A cat.", "Rain."], ["Sun.", "The cat.", "Sun."])
    assert picked.y.tolist() == [0, 1, 0] and picked.label_names == data.label_names
    assert len(data) == 2  # the original is untouched
