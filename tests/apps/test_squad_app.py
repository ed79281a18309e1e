"""The SQuAD application (train_squad / evaluate_squad / predict_squad) on a tiny preset and tiny files."""

import json
import os

import pytest

from keras_electra.apps.squad import SquadSettings
from keras_electra.apps.squad import evaluate_squad
from keras_electra.apps.squad import predict_squad
from keras_electra.apps.squad import squad_version
from keras_electra.apps.squad import train_squad
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraQuestionAnswerer
from tests.tasks.qa_helpers import VOCAB, WORDS, squad_file, tokenizer


def _paragraphs(with_impossible):
    context = " ".join(WORDS[:20])
    questions = [(f"q{i}", f"who {WORDS[i]}", f"{WORDS[i + 1]}") for i in range(0, 18, 3)]
    if with_impossible:
        questions.append(("none", "what did the fox", None))
    return [(context, questions)]


def test_train_evaluate_predict_squad2(tmp_path, capsys):
    preset = str(tmp_path / "backbone")
    ElectraBackbone(vocabulary_size=len(VOCAB), num_layers=1, num_heads=2, hidden_dim=16,
                    intermediate_dim=32, max_sequence_length=24).save_to_preset(preset)
    tokenizer().save_to_preset(preset)
    train = squad_file(tmp_path, _paragraphs(True), "2.0", "train.json")
    out = str(tmp_path / "out")
    settings = SquadSettings(preset, train, out, eval_file=train, version="squad2", sequence_length=24,
                             max_query_length=6, doc_stride=8, epochs=1, batch_size=8)
    metrics = train_squad(settings, verbose=1, extra_files={"info.json": {"task": "squad2"}})
    assert set(os.listdir(out)) >= {"metrics.json", "predictions.json", "config.json", "task.json",
                                    "info.json"}
    with open(os.path.join(out, "metrics.json")) as f:
        written = json.load(f)
    assert written == pytest.approx(metrics)
    for key in ("exact", "f1", "HasAns_exact", "NoAns_exact", "best_f1", "best_f1_thresh", "train_loss"):
        assert key in metrics
    assert metrics["total"] == 7 and metrics["version"] == "2.0"

    # The saved task preset evaluates to the same numbers and predicts to JSON.
    again = evaluate_squad(out, train, verbose=0)
    assert again["exact"] == pytest.approx(metrics["exact"])
    assert again["best_f1"] == pytest.approx(metrics["best_f1"])
    dataset, predictions = predict_squad(out, train, str(tmp_path / "preds.json"), verbose=0)
    with open(tmp_path / "preds.json") as f:
        assert json.load(f) == predictions.answers
    assert os.path.exists(tmp_path / "preds.null_odds.json")
    assert os.path.exists(tmp_path / "preds.nbest.json")
    assert len(predictions.answers) == len(dataset) == 7
    assert isinstance(ElectraQuestionAnswerer.from_preset(out), ElectraQuestionAnswerer)


def test_evaluate_squad_v1_subset(tmp_path):
    preset = str(tmp_path / "backbone")
    ElectraBackbone(vocabulary_size=len(VOCAB), num_layers=1, num_heads=2, hidden_dim=16,
                    intermediate_dim=32, max_sequence_length=24).save_to_preset(preset)
    tokenizer().save_to_preset(preset)
    from keras_electra.apps.squad import build_question_answerer

    qa = build_question_answerer(preset, sequence_length=24, max_query_length=6, doc_stride=8, head="hf")
    data = squad_file(tmp_path, _paragraphs(False), "1.1")
    metrics = evaluate_squad(qa, data, out=str(tmp_path / "eval"), max_examples=3, verbose=0)
    assert metrics["total"] == 3 and set(metrics) >= {"exact_match", "f1"}
    assert os.path.exists(tmp_path / "eval" / "metrics.json")
    with pytest.raises(ValueError, match="exceeds"):
        build_question_answerer(preset, sequence_length=384)
    # The default is the recipe's (configure_finetuning.py: 512 for SQuAD).
    with pytest.raises(ValueError, match="sequence_length=512 exceeds"):
        build_question_answerer(preset)


def test_squad_sequence_length_defaults_to_the_recipes_512(tmp_path):
    from keras_electra.apps.squad import build_question_answerer
    from keras_electra.training import get_finetuning_recipe

    preset = str(tmp_path / "backbone")
    ElectraBackbone(vocabulary_size=len(VOCAB), num_layers=1, num_heads=2, hidden_dim=16,
                    intermediate_dim=32, max_sequence_length=512).save_to_preset(preset)
    tokenizer().save_to_preset(preset)
    qa = build_question_answerer(preset, head="hf")
    assert qa.preprocessor.sequence_length == 512
    assert get_finetuning_recipe("base", "squad2").max_sequence_length == 512


def test_squad_version_names():
    assert squad_version("squad") == "1.1" and squad_version("squad2") == "2.0"
    with pytest.raises(ValueError, match="Unknown SQuAD"):
        squad_version("squad3")
