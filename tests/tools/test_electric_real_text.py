"""Electric learns on real text: held-out sentences rank above their two-word swaps.

Pretrains a small Electric model on natural English from the shared data
(tools/natural_text_corpus.py: SST-2 train, CoLA, CoNLL-2000, SQuAD) and
scores held-out SST-2 dev sentences against the same sentence with two words
swapped, through `keras-electra score` (tools/electric_swap_ranking.py). The
threshold and the measurements are in guides/pretraining.md ("Electric on
real text"): at the demo's scale the rate is not yet above chance, so the test is
an expected failure (strict: it fails once Electric reaches the threshold, and the
marker must go).
"""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Measured rates are in guides/pretraining.md; chance is 50%.
MIN_RANKING_RATE = 0.6
PAIRS = 300


def _tool(name):
    path = os.path.join(ROOT, "tools", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured 31.7% of 300 pairs after the demo's 100 steps (41% exact ties: the "
           "energies are not yet context dependent); see guides/pretraining.md",
)
def test_electric_ranks_real_heldout_sentences_above_word_swaps(shared_data, tmp_path):
    corpus = _tool("natural_text_corpus")
    curves = _tool("pretraining_curves")
    ranking = _tool("electric_swap_ranking")
    pretrain, heldout = corpus.write_corpus(str(tmp_path / "corpus"), shared_data)
    with open(pretrain, encoding="utf-8") as f:
        seen = {line.strip() for line in f}
    with open(heldout, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    assert not seen & set(sentences)  # held out of the pretraining text
    pairs = ranking.swap_pairs(sentences, PAIRS, seed=0)
    # The demo recipe at temperature 1: Electric's logit adds log q of the cloze
    # model, which is the noise distribution only when sampling from q itself.
    recipe = curves.resolve_recipe("demo", dict(temperature=1.0))
    scorer = str(tmp_path / "electric_scorer")
    result = curves.run([pretrain], recipe, objective="electric", intervals=10,
                        workdir=str(tmp_path), scorer_dir=scorer, verbose=False)
    rate = ranking.ranking_rate(scorer, pairs)
    print(f"Electric, {recipe.num_train_steps} steps: originals above two-word swaps in "
          f"{rate:.1%} of {len(pairs)} held-out pairs")
    for row in result["rows"]:
        print(row)
    assert rate > MIN_RANKING_RATE
