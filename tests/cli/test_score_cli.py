"""`keras-electra score` end to end: real sentences in, ranked JSON lines out."""

import json
import os

import keras
import numpy as np
import pytest

from keras_electra.cli import score as score_cli
from keras_electra.cli.main import main
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectricScorer
from keras_electra.models.preset_loading import PresetError
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from tests.conftest import requires_tf
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs

LENGTH = 12
SENTENCES = [
    "the cat sat on the mat .",
    "the mat sat on the cat .",
    "mat the . on sat cat the",
    "the quick brown fox jumped over the lazy dog .",
    "a dog was on the mat .",
]
LONG = "the cat sat on the mat . the dog sat on the mat"
ALL_TEXTS = SENTENCES + [LONG + " .", LONG + " , a cat", "the cat sat ."]
REFERENCE = {}


@pytest.fixture(scope="module")
def scorer_preset(tmp_path_factory):
    """A tiny `ElectricScorer` preset with its preprocessor, and the scorer it was saved from."""
    tmp_path = tmp_path_factory.mktemp("score")
    backbone = ElectraBackbone(**tiny_backbone_kwargs(max_sequence_length=LENGTH))
    preprocessor = ElectraTextClassifierPreprocessor(
        ElectraTokenizer(vocabulary=VOCAB), sequence_length=LENGTH
    )
    scorer = ElectricScorer(backbone, preprocessor=preprocessor)
    path = str(tmp_path / "electric_scorer")
    scorer.save_to_preset(path)
    return path, scorer


def reference_scores(scorer, texts, normalize=False):
    """-sum of the discriminator energies over real tokens, packed by hand, layers called.

    Computed once per scorer for all the test sentences (eager calls compile
    per shape on JAX), then looked up.
    """
    cache = REFERENCE.setdefault(id(scorer), {})
    if any(text not in cache for text in texts):
        everything = sorted(set(ALL_TEXTS) | set(texts))
        tokenizer = ElectraTokenizer(vocabulary=VOCAB)
        token_ids = np.zeros((len(everything), LENGTH), "int32")
        for row, text in enumerate(everything):
            ids = [2] + [int(i) for i in tokenizer(text)][: LENGTH - 2] + [3]
            token_ids[row, : len(ids)] = ids
        padding_mask = (token_ids != 0).astype("int32")
        x = {"token_ids": token_ids, "segment_ids": np.zeros_like(token_ids),
             "padding_mask": padding_mask}
        hidden = scorer.backbone(x)["sequence_output"]
        energies = keras.ops.convert_to_numpy(scorer.discriminator_head(hidden))
        real = padding_mask.astype(bool) & (token_ids != 2) & (token_ids != 3)
        for text, row_energies, row_real in zip(everything, energies, real):
            cache[text] = (-(row_energies * row_real).sum(), row_real.sum())
    scores = np.array([cache[text][0] for text in texts])
    return scores / np.array([cache[text][1] for text in texts]) if normalize else scores


def write_input(tmp_path, lines, name="nbest.jsonl", bom=False):
    path = tmp_path / name
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (text + "\n").encode("utf-8"))
    return str(path)


def read_output(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def check_ranked(records, inputs, saved, normalize=False):
    assert len(records) == len(inputs)
    for record, given in zip(records, inputs):
        texts = given.get("hypotheses") or [given["text"]]
        assert {k: record[k] for k in given} == given  # ids and all input keys kept
        scores = record["scores"]
        assert len(scores) == len(texts)
        assert all(isinstance(s, float) and np.isfinite(s) for s in scores)
        np.testing.assert_allclose(
            scores, reference_scores(saved, texts, normalize), rtol=1e-4, atol=1e-4
        )
        order = sorted(range(len(texts)), key=lambda i: -scores[i])
        assert record["ranked"] == [texts[i] for i in order]
        assert sorted(record["ranked"]) == sorted(texts)


def test_score_ranks_every_record_of_a_file(scorer_preset, tmp_path, capsys):
    preset, saved = scorer_preset
    inputs = [
        {"id": "a", "hypotheses": SENTENCES[:3]},
        {"id": 7, "text": SENTENCES[3]},
        {"id": None, "hypotheses": SENTENCES[3:], "source": "asr"},
        # Longer than the 10 wordpieces that fit: truncated, with a warning.
        {"id": 4, "hypotheses": [LONG + " .", LONG + " , a cat", "the cat sat ."]},
    ]
    path = write_input(tmp_path, [inputs[0], "", inputs[1], inputs[2], inputs[3]], bom=True)
    out = str(tmp_path / "ranked.jsonl")
    assert main(["score", "--preset", preset, "--input", path, "--output", out]) == 0
    records = read_output(out)
    check_ranked(records, inputs, saved)
    assert records[3]["scores"][0] == records[3]["scores"][1]  # equal up to the cut
    err = capsys.readouterr().err
    assert "warning: 2 sentence(s) are longer than 10 wordpieces" in err
    assert "line(s) 5" in err and "wrote 4 records" in err

    # --normalize divides by the number of real tokens; stdout gets the lines;
    # --quiet drops the warning.
    assert main(["score", "--preset", preset, "--input", path, "--normalize", "--quiet"]) == 0
    captured = capsys.readouterr()
    check_ranked([json.loads(line) for line in captured.out.splitlines()], inputs, saved,
                 normalize=True)
    assert captured.err == ""


def test_scorer_on_strings_and_on_packed_ids_agree(scorer_preset):
    preset, saved = scorer_preset
    scorer = ElectricScorer.from_preset(preset)
    assert scorer.preprocessor is not None and scorer.sequence_length == LENGTH
    on_strings = scorer.score(SENTENCES, batch_size=2)
    features, num_tokens = scorer.encode(SENTENCES)
    on_ids = scorer.score(features, batch_size=2)
    np.testing.assert_allclose(on_strings["scores"], on_ids["scores"], atol=1e-5)
    np.testing.assert_allclose(on_strings["scores"], reference_scores(saved, SENTENCES), atol=1e-4)
    assert not on_strings["truncated"].any()
    assert list(num_tokens) == [len(s.split()) for s in SENTENCES]
    # Task `predict` on the packed ids, with the preset's preprocessor attached.
    energies = scorer.predict(features, batch_size=2, verbose=0)
    assert np.asarray(energies).shape == (len(SENTENCES), LENGTH)
    empty = scorer.score([])
    assert empty["scores"].shape == (0,)


def test_text_longer_than_the_sequence_is_truncated_with_a_warning(scorer_preset):
    _, scorer = scorer_preset
    texts = [LONG + " .", LONG + " , a cat", "the cat sat ."]
    with pytest.warns(UserWarning, match=r"2 of 3 sentences are longer than 10 wordpieces"):
        result = scorer.score(texts)
    assert list(result["truncated"]) == [True, True, False]
    assert result["scores"][0] == result["scores"][1]  # they differ only after the cut
    assert result["lengths"][0] == LENGTH - 2


@pytest.mark.parametrize(
    "bad, words",
    [
        ('{"id": 500, "hypotheses": ["a", "b",]}', "not valid JSON"),
        ('{"id": 500, "hypotheses": []}', "field 'hypotheses': is empty"),
        ('["the cat", "cat the"]', "found a JSON array"),
        ('{"id": 500}', "needs 'hypotheses'"),
    ],
)
def test_a_bad_line_fails_before_the_model_loads(tmp_path, capsys, monkeypatch, bad, words):
    def no_loading(*args, **kwargs):
        raise AssertionError("the saved must not load before the input is checked")

    monkeypatch.setattr(ElectricScorer, "from_preset", no_loading)
    lines = [{"id": i, "hypotheses": ["the cat", "cat the"]} for i in range(499)] + [bad]
    path = write_input(tmp_path, lines + [{"id": 501, "text": "ok"}])
    assert main(["score", "--preset", "unused", "--input", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("keras-electra score: error: ")
    assert f"{path}:500: " in err and words in err


def test_output_equal_to_input_is_refused(tmp_path, capsys):
    path = write_input(tmp_path, [{"id": 1, "hypotheses": ["the cat", "cat the"]}])
    before = open(path, "rb").read()
    same = os.path.join(os.path.dirname(path), ".", os.path.basename(path))
    assert main(["score", "--preset", "unused", "--input", path, "--output", same,
                 "--overwrite"]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert open(path, "rb").read() == before


def test_existing_output_needs_overwrite_and_a_failed_run_keeps_it(scorer_preset, tmp_path, capsys,
                                                                    monkeypatch):
    preset, saved = scorer_preset
    inputs = [{"id": 1, "hypotheses": SENTENCES[:2]}, {"id": 2, "hypotheses": SENTENCES[2:]}]
    path = write_input(tmp_path, inputs)
    out = tmp_path / "out.jsonl"
    out.write_text("old results\n")
    assert main(["score", "--preset", preset, "--input", path, "--output", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_text() == "old results\n"
    (tmp_path / "dir_out").mkdir()
    assert main(["score", "--preset", preset, "--input", path, "--output",
                 str(tmp_path / "dir_out"), "--overwrite"]) == 2
    assert "is a directory" in capsys.readouterr().err

    # A run that fails while scoring leaves the old file as it was, and no temporary files.
    def broken(self, *args, **kwargs):
        raise RuntimeError("interrupted")

    with monkeypatch.context() as patch:
        patch.setattr(ElectricScorer, "score", broken)
        with pytest.raises(RuntimeError):
            main(["score", "--preset", preset, "--input", path, "--output", str(out),
                  "--overwrite"])
    assert out.read_text() == "old results\n"
    assert sorted(os.listdir(tmp_path)) == ["dir_out", "nbest.jsonl", "out.jsonl"]

    # With --overwrite it is replaced; long inputs show progress per chunk.
    monkeypatch.setattr(score_cli, "CHUNK_BATCHES", 1)
    assert main(["score", "--preset", preset, "--input", path, "--output", str(out),
                 "--overwrite", "--batch-size", "2"]) == 0
    assert "scored 4/5 sentences" in capsys.readouterr().err
    check_ranked(read_output(out), inputs, saved)


def test_a_backbone_preset_is_not_a_scorer(scorer_preset, tmp_path, capsys):
    _, scorer = scorer_preset
    disc = str(tmp_path / "discriminator")
    scorer.backbone.save_to_preset(disc)
    scorer.preprocessor.save_to_preset(disc)
    with pytest.raises(PresetError, match="not an ElectricScorer preset"):
        ElectricScorer.from_preset(disc)
    path = write_input(tmp_path, [{"text": "the cat ."}])
    assert main(["score", "--preset", disc, "--input", path]) == 2
    assert "head would be random" in capsys.readouterr().err
    assert main(["score", "--preset", disc, "--input", path, "--batch-size", "0"]) == 2
    assert "--batch-size" in capsys.readouterr().err


# The CLI from pretraining to ranking: `pretrain --objective electric`, then `score`.
@pytest.mark.slow
@requires_tf
def test_pretrain_electric_then_score_real_sentences(tmp_path, capsys):
    from tests.cli.test_pretrain_cli import TINY
    from tests.cli.test_pretrain_cli import write_corpus

    config = tmp_path / "model.json"
    config.write_text(json.dumps(TINY))
    corpus = write_corpus(tmp_path / "corpus.txt")
    run = tmp_path / "electric"
    assert main(["pretrain", "--objective", "electric", "--data", corpus, "--model", str(config),
                 "--out", str(run), "--steps", "2", "--batch-size", "4", "--seq-len", "32",
                 "--vocab-size", "80", "--quiet"]) == 0
    inputs = [
        {"id": 1, "hypotheses": ["the cat sat on a mat .", "cat the sat a on mat .",
                                 "the big dog ran under the tree ."]},
        {"id": "two", "text": "a small red house ."},
        {"id": 3, "hypotheses": ["the blue tree is over the house .", "the tree ."]},
    ]
    path = write_input(tmp_path, inputs)
    out = str(tmp_path / "ranked.jsonl")
    preset = str(run / "electric_scorer")
    assert main(["score", "--preset", preset, "--input", path, "--output", out]) == 0
    assert "warning" not in capsys.readouterr().err  # every sentence fits
    records = read_output(out)
    assert len(records) == len(inputs)
    expected = ElectricScorer.from_preset(preset).score(
        [t for r in inputs for t in r.get("hypotheses") or [r["text"]]]
    )["scores"]
    position = 0
    for record, given in zip(records, inputs):
        texts = given.get("hypotheses") or [given["text"]]
        assert record["id"] == given["id"]
        assert all(isinstance(s, float) and np.isfinite(s) for s in record["scores"])
        np.testing.assert_allclose(
            record["scores"], expected[position : position + len(texts)], atol=1e-5
        )
        position += len(texts)
        order = sorted(range(len(texts)), key=lambda i: -record["scores"][i])
        assert record["ranked"] == [texts[i] for i in order]
