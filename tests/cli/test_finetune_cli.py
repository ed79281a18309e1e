"""`keras-electra finetune`, `evaluate` and `predict` end to end on tiny data."""

import json
import os

import pytest

from keras_electra.cli.main import main
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.preprocessing.demo_vocabulary import demo_vocabulary
from tests.conftest import requires_tf

SST = ["1\ta fine and funny film", "0\ta dull mess", "1\tfunny and warm", "0\tdull , dull , dull"]
CONLL = "The DT B-NP\ncat NN I-NP\nsat VBD B-VP\n\nA DT B-NP\ndog NN I-NP\nran VBD B-VP\nhome NN B-NP\n"


def make_preset(path, texts):
    vocabulary = demo_vocabulary(texts)
    ElectraBackbone(vocabulary_size=len(vocabulary), num_layers=1, num_heads=2, hidden_dim=16,
                    intermediate_dim=32, embedding_dim=8, max_sequence_length=32).save_to_preset(path)
    ElectraTextClassifierPreprocessor(ElectraTokenizer(vocabulary=vocabulary),
                                      sequence_length=16).save_to_preset(path)
    return path


def test_help_lists_examples(capsys):
    for command in ("finetune", "evaluate", "predict"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "examples:" in capsys.readouterr().out


@requires_tf
def test_glue_finetune_evaluate_predict(tmp_path, capsys):
    data = tmp_path / "sst.tsv"
    data.write_text("\n".join(SST) + "\n")
    preset = make_preset(str(tmp_path / "preset"), [line.split("\t")[1] for line in SST])
    out = str(tmp_path / "model")
    layout = ["--text-columns", "1", "--label-column", "0", "--header", "no", "--batch-size", "2"]
    assert main(["finetune", "--preset", preset, "--task", "sst2", "--train", str(data),
                 "--eval", str(data), "--out", out, "--epochs", "1", "--sequence-length", "16"] + layout) == 0
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    assert metrics["train_steps"] == 2 and 0.0 <= metrics["accuracy"] <= 100.0
    assert os.path.isfile(os.path.join(out, "task.json"))
    capsys.readouterr()
    assert main(["evaluate", "--model", out, "--data", str(data)]) == 0
    assert f"accuracy: {metrics['accuracy']:.4f}" in capsys.readouterr().out
    test = tmp_path / "test.tsv"
    test.write_text("0\ta funny film\n1\ta dull film\n")
    predictions = str(tmp_path / "predictions.tsv")
    assert main(["predict", "--model", out, "--input", str(test), "--output", predictions]) == 0
    assert [line in ("0", "1") for line in open(predictions).read().split()] == [True, True]


@requires_tf
def test_chunk_finetune_and_evaluate(tmp_path, capsys):
    data = tmp_path / "train.txt"
    data.write_text(CONLL)
    preset = make_preset(str(tmp_path / "preset"), ["The cat sat", "A dog ran home"])
    out = str(tmp_path / "chunker")
    assert main(["finetune", "--preset", preset, "--task", "chunk", "--train", str(data), "--eval",
                 str(data), "--out", out, "--epochs", "1", "--sequence-length", "16",
                 "--batch-size", "2"]) == 0
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    assert 0.0 <= metrics["f1"] <= 100.0
    info = json.load(open(os.path.join(out, "finetune.json")))
    # The original's label map: BIOES tags of the train and eval files, sorted.
    assert info["label_names"] == ["B-NP", "E-NP", "S-NP", "S-VP"]
    assert info["tag_encoding"] == "BIOES"
    assert main(["predict", "--model", out, "--input", str(data)]) == 0
    lines = [l for l in capsys.readouterr().out.splitlines() if "\t" in l]
    assert [l.split("\t")[0] for l in lines] == ["The", "cat", "sat", "A", "dog", "ran", "home"]
    # Predictions come back as BIO tags (the spans of the predicted BIOES tags).
    assert {l.split("\t")[1] for l in lines} <= {"B-NP", "I-NP", "B-VP", "O"}
    # A tag the saved label map lacks is an error naming the file and line.
    dev = tmp_path / "dev.txt"
    dev.write_text("The DT B-NP\ncat NN B-ADJP\n")
    assert main(["evaluate", "--model", out, "--data", str(dev)]) == 2
    assert "dev.txt:2: field 'tag'" in capsys.readouterr().err


def test_unknown_task_and_bad_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["finetune", "--preset", "x", "--task", "nope", "--train", "a", "--out", "b"])
    bad = tmp_path / "bad.tsv"
    bad.write_text("only-one-column\n")
    assert main(["finetune", "--preset", "x", "--task", "sst2", "--train", str(bad), "--out",
                 str(tmp_path / "o"), "--header", "no"]) == 2
    assert "bad.tsv:1: expected at least 2" in capsys.readouterr().err


@requires_tf
@pytest.mark.parametrize("task", ["sst2", "cola", "chunk"])
def test_shared_data_end_to_end(shared_data, tmp_path, task):
    """Reads the real shared files and runs a tiny model a few steps (no accuracy claim)."""
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
    from tools.evaluate_shared import TASKS
    from keras_electra.data import read_conll

    train, dev, layout = TASKS[task]
    if task == "chunk":
        texts = [" ".join(w) for w in read_conll(os.path.join(shared_data, train)).words[:100]]
    else:
        lines = open(os.path.join(shared_data, train), encoding="utf-8").read().splitlines()[:200]
        texts = [line.split("\t")[int(layout[1])] for line in lines]
    preset = make_preset(str(tmp_path / "preset"), texts)
    out = str(tmp_path / task)
    assert main(["finetune", "--preset", preset, "--task", task,
                 "--train", os.path.join(shared_data, train), "--eval", os.path.join(shared_data, dev),
                 "--out", out, "--sequence-length", "32", "--batch-size", "8", "--max-steps", "3",
                 "--max-train-examples", "64", "--max-eval-examples", "64"] + layout) == 0
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    assert metrics["eval_examples"] == 64 and metrics["train_steps"] == 3


@requires_tf
@pytest.mark.skipif(__import__("keras").config.backend() != "jax",
                    reason="DataParallel through keras.distribution: run on jax "
                    "(tf.distribute is tested in tests/distribution)")
def test_finetune_with_data_distribution(tmp_path):
    """`--distribution data` builds, compiles and trains in one distribution scope."""
    data = tmp_path / "sst.tsv"
    data.write_text("\n".join(SST) + "\n")
    preset = make_preset(str(tmp_path / "preset"), [line.split("\t")[1] for line in SST])
    out = str(tmp_path / "model")
    layout = ["--text-columns", "1", "--label-column", "0", "--header", "no", "--batch-size", "2"]
    try:
        assert main(["finetune", "--preset", preset, "--task", "sst2", "--train", str(data),
                     "--out", out, "--epochs", "1", "--sequence-length", "16",
                     "--distribution", "data"] + layout) == 0
    finally:
        import keras

        if keras.config.backend() == "jax":
            keras.distribution.set_distribution(None)
    assert os.path.isfile(os.path.join(out, "task.json"))


@pytest.mark.parametrize("columns", ["x", "1,x", "", "-1", "1,2,3", "1;2"])
def test_text_columns_must_be_indices(tmp_path, capsys, columns):
    with pytest.raises(SystemExit) as info:
        main(["finetune", "--preset", "x", "--task", "sst2", "--train", "a.tsv", "--out",
              str(tmp_path / "o"), "--text-columns", columns])
    assert info.value.code == 2
    assert "argument --text-columns: expected one or two comma-separated column indices" in (
        capsys.readouterr().err
    )


def test_an_empty_train_file_has_no_examples(tmp_path, capsys):
    empty = tmp_path / "train.tsv"
    empty.write_text("sentence\tlabel\n")
    assert main(["finetune", "--preset", "x", "--task", "sst2", "--train", str(empty), "--out",
                 str(tmp_path / "o")]) == 2
    assert f"finetune: error: no examples in {empty}\n" in capsys.readouterr().err


@requires_tf
def test_chunk_label_map_includes_the_eval_tags(tmp_path):
    train = tmp_path / "train.txt"
    train.write_text(CONLL)
    dev = tmp_path / "dev.txt"
    dev.write_text("The DT B-NP\ncat NN B-ADJP\n")
    preset = make_preset(str(tmp_path / "preset"), ["The cat sat", "A dog ran home"])
    out = str(tmp_path / "o")
    assert main(["finetune", "--preset", preset, "--task", "chunk", "--train", str(train),
                 "--eval", str(dev), "--out", out, "--epochs", "1", "--sequence-length", "16",
                 "--batch-size", "2"]) == 0
    info = json.load(open(os.path.join(out, "finetune.json")))
    assert info["label_names"] == ["B-NP", "E-NP", "S-ADJP", "S-NP", "S-VP"]


STSB_HEADER = "\t".join(["index", "genre", "filename", "year", "old_index", "source1", "source2",
                         "sentence1", "sentence2", "score"])


def stsb_rows(pairs):
    return [STSB_HEADER] + ["\t".join(["0", "g", "f", "y", "o", "s", "s", a, b, score])
                            for a, b, score in pairs]


@requires_tf
def test_stsb_trains_on_both_orders_and_score_over_five(tmp_path, capsys):
    pairs = [("a fine film", "a funny film", "4.5"), ("a dull mess", "funny and warm", "0.5"),
             ("dull , dull", "a dull mess", "3.0")]
    data = tmp_path / "sts.tsv"
    data.write_text("\n".join(stsb_rows(pairs)) + "\n")
    preset = make_preset(str(tmp_path / "preset"), [p[0] + " " + p[1] for p in pairs])
    common = ["--task", "stsb", "--preset", preset, "--train", str(data), "--eval", str(data),
              "--epochs", "1", "--sequence-length", "16", "--batch-size", "2"]
    out = str(tmp_path / "doubled")
    assert main(["finetune", "--out", out] + common) == 0
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    assert metrics["train_examples"] == 6  # the original's double_unordered
    assert list(metrics)[list(metrics).index("eval_examples") + 1] == "spearman"
    assert json.load(open(os.path.join(out, "finetune.json")))["rescaled_targets"]
    single = str(tmp_path / "single")
    assert main(["finetune", "--out", single, "--no-double-unordered"] + common) == 0
    assert json.load(open(os.path.join(single, "metrics.json")))["train_examples"] == 3
    # Predictions on the task's 0-5 scale: the model's score / 5 output times 5.
    from keras_electra.data import read_glue
    from keras_electra.tasks import ElectraTextClassifier
    import numpy as np

    model = ElectraTextClassifier.from_preset(out)
    dev = read_glue(str(data), "stsb", split="dev")
    raw = np.asarray(model.predict(dev.x, verbose=0))[:, 0]
    predictions = str(tmp_path / "predictions.tsv")
    assert main(["predict", "--model", out, "--input", str(data), "--output", predictions]) == 0
    written = [float(v) for v in open(predictions).read().split()]
    np.testing.assert_allclose(written, 5 * raw, atol=1e-4)
