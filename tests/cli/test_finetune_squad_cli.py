"""`keras-electra finetune/evaluate/predict --task squad2` end to end on a tiny file."""

import json
import os

import keras
import pytest

from keras_electra.cli.main import main
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.preprocessing.demo_vocabulary import demo_vocabulary
from tests.conftest import requires_tf

CONTEXT = "the cat sat on the mat . the dog ran home ."
QUESTIONS = [
    ("q1", "where did the cat sit ?", "the mat", False),
    ("q2", "who ran home ?", "the dog", False),
    ("q3", "what did the bird eat ?", None, True),
]


def squad_file(path):
    qas = []
    for qid, question, answer, impossible in QUESTIONS:
        answers = [] if impossible else [{"text": answer, "answer_start": CONTEXT.index(answer)}]
        qas.append({"id": qid, "question": question, "answers": answers,
                    "is_impossible": impossible})
    data = {"version": "v2.0", "data": [{"title": "t", "paragraphs": [
        {"context": CONTEXT, "qas": qas}]}]}
    path.write_text(json.dumps(data))
    return str(path)


@requires_tf
@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="end-to-end CLI run; once per suite (the QA models run on every backend)")
def test_squad2_finetune_evaluate_predict(tmp_path, capsys):
    data = squad_file(tmp_path / "train.json")
    vocabulary = demo_vocabulary([CONTEXT] + [q[1] for q in QUESTIONS])
    preset = str(tmp_path / "preset")
    ElectraBackbone(vocabulary_size=len(vocabulary), num_layers=1, num_heads=2, hidden_dim=16,
                    intermediate_dim=32, embedding_dim=8, max_sequence_length=64).save_to_preset(preset)
    ElectraTextClassifierPreprocessor(ElectraTokenizer(vocabulary=vocabulary),
                                      sequence_length=64).save_to_preset(preset)
    out = str(tmp_path / "model")
    assert main(["finetune", "--preset", preset, "--task", "squad2", "--train", data,
                 "--eval", data, "--out", out, "--epochs", "1", "--batch-size", "2",
                 "--sequence-length", "64",
                 "--max-query-length", "16", "--doc-stride", "16"]) == 0
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    assert 0.0 <= metrics["best_f1"] <= 100.0 and "HasAns_exact" in metrics
    assert json.load(open(os.path.join(out, "finetune.json")))["task"] == "squad2"
    capsys.readouterr()
    assert main(["evaluate", "--model", out, "--data", data]) == 0
    assert "best_f1:" in capsys.readouterr().out
    predictions = str(tmp_path / "predictions.tsv")
    assert main(["predict", "--model", out, "--input", data, "--output", predictions]) == 0
    rows = [line.split("\t")[0] for line in open(predictions).read().splitlines()]
    assert rows == ["q1", "q2", "q3"]
