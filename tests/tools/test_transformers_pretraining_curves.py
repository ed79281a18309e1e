"""tools/transformers_pretraining_curves.py's MLM baseline (torch only, run once)."""

import math

import keras
import numpy as np
import pytest

from tests.helpers import load_tool

pytestmark = pytest.mark.skipif(keras.config.backend() != "torch",
                                reason="the transformers side runs on torch; run once")

SENTENCES = [
    "the cat sat on the mat and looked at the door",
    "a dog ran across the park after the red ball",
    "she read the letter twice before she answered it",
    "the river was cold and the stones were smooth",
    "they built a small house near the old bridge",
    "he poured the tea and passed the cup to her",
] * 20


def test_mlm_baseline_trains_one_model_and_reports_the_unigram_floor(tmp_path):
    pytest.importorskip("transformers")
    from keras_electra.data import read_vocabulary
    from keras_electra.data import text_dataset

    tool = load_tool("transformers_pretraining_curves")
    curves = load_tool("pretraining_curves")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n")
    recipe = curves.resolve_recipe("tiny", dict(
        num_train_steps=4, batch_size=4, sequence_length=16, warmup_steps=1,
        hidden_dim=16, embedding_dim=16, num_layers=1, num_heads=1, intermediate_dim=32))
    result = tool.run_transformers([str(corpus)], recipe, intervals=2, workdir=str(tmp_path),
                                   vocabulary_size=200, verbose=False, objective="mlm")
    rows = result["rows"]
    assert [r["step"] for r in rows] == [2, 4]
    assert all("disc_auc" not in r and 0 <= r["masked_lm_accuracy"] <= 1 for r in rows)
    vocab_path = curves.vocabulary_for([str(corpus)], 200, str(tmp_path))
    vocabulary = read_vocabulary(vocab_path)
    # Untrained: near-uniform predictions over the vocabulary.
    assert abs(rows[0]["masked_lm_loss"] - math.log(len(vocabulary))) < 0.5
    # The floor is the entropy of the same batches' maskable tokens.
    special = [vocabulary.index(t) for t in ("[CLS]", "[SEP]", "[MASK]")]
    counts = np.zeros(len(vocabulary))
    batches = text_dataset([str(corpus)], vocab_path, 4, seq_len=16, seed=0).as_numpy_iterator()
    for _ in range(4):
        batch = next(batches)
        ids = batch["token_ids"]
        np.add.at(counts, ids[(batch["padding_mask"] > 0) & ~np.isin(ids, special)], 1)
    p = counts[counts > 0] / counts.sum()
    assert result["unigram_entropy"] == pytest.approx(float(-(p * np.log(p)).sum()), abs=1e-3)
    with pytest.raises(SystemExit, match="electra' or 'mlm"):
        tool.run_transformers([str(corpus)], recipe, intervals=2, workdir=str(tmp_path),
                              vocabulary_size=200, verbose=False, objective="uniform")
