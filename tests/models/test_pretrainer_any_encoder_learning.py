"""keras-hub BERT and DeBERTaV3 learn RTD on natural text as fast as an ElectraBackbone.

The same natural-English batches (tools/natural_text_corpus.py, a WordPiece
vocabulary trained on them), the same recipe and sizes, through
tools/any_encoder_learning.py: a 2-layer, 64-wide ElectraBackbone (tied, as
ELECTRA), BertBackbone (tied) and DebertaV3Backbone (GDES, as DeBERTaV3).
The check is relative: each keras-hub encoder's disc_auc over the last steps
is within `MARGIN` of the ElectraBackbone's, and clearly above chance.
Measured numbers are in guides/pretraining.md ("Pretraining any keras-hub
encoder").
"""

import pytest

from tests.helpers import load_tool

STEPS, LAST = 100, 20
MARGIN = 0.05
ABOVE_CHANCE = 0.55


@pytest.mark.slow
def test_bert_and_deberta_v3_learn_rtd_as_fast_as_electra(shared_data, tmp_path):
    results = load_tool("any_encoder_learning").run(shared_data, str(tmp_path), ("electra", "bert", "deberta_v3"),
                          steps=STEPS, last=LAST)
    for name, metrics in results.items():
        print(f"{name}: disc_auc over the last {LAST} of {STEPS} steps "
              f"{metrics['disc_auc']:.4f}, masked_lm_accuracy {metrics['masked_lm_accuracy']:.4f}")
    electra = results["electra"]["disc_auc"]
    assert electra > ABOVE_CHANCE, results
    for name in ("bert", "deberta_v3"):
        auc = results[name]["disc_auc"]
        assert auc > ABOVE_CHANCE, (name, results)
        assert auc > electra - MARGIN, (name, results)
