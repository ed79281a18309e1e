"""tools/electric_swap_ranking.py: the swap pairs and the three reference rankers."""

import math

import keras
import pytest

from tests.helpers import load_tool


def test_swap_pairs_exchange_two_different_words():
    tool = load_tool("electric_swap_ranking")
    sentences = ["the cat sat on the mat", "a a a a", "too short", "one two three four five"]
    pairs = tool.swap_pairs(sentences, 10, seed=0)
    assert len(pairs) == 2  # "a a a a" has one word type, "too short" fewer than 4 words
    for original, swapped in pairs:
        a, b = original.split(), swapped.split()
        assert sorted(a) == sorted(b) and a != b
        assert sum(x != y for x, y in zip(a, b)) == 2


def test_bigram_ranker_knows_the_word_order_of_its_corpus(tmp_path):
    tool = load_tool("electric_swap_ranking")
    corpus = tmp_path / "corpus.txt"
    sentences = ["the film is a delight", "my dog likes long walks", "rain fell on the town"]
    corpus.write_text("\n".join(sentences * 3) + "\n\n", encoding="utf-8")
    pairs = tool.swap_pairs(sentences, 3, seed=1)
    assert tool.bigram_ranking_rate(str(corpus), pairs) == 1.0
    assert tool.bigram_ranking_rate(str(corpus), [(b, a) for a, b in pairs]) == 0.0
    # Ties lose: a sentence against itself.
    assert tool.bigram_ranking_rate(str(corpus), [(a, a) for a, _ in pairs]) == 0.0


@pytest.mark.skipif(keras.config.backend() != "torch", reason="backend-independent tool; run once")
def test_discriminator_score_is_the_sum_of_log_not_replaced():
    from keras_electra.cli.quickstart import replaced_token_probabilities
    from keras_electra.models.demo_presets import demo_preset

    tool = load_tool("electric_swap_ranking")
    preset = demo_preset("discriminator")
    sentences = ["the movie was witty and warm .", "warm the movie was and witty ."]
    scores = tool.discriminator_scores(preset, sentences)
    for sentence, score in zip(sentences, scores):
        expected = sum(math.log1p(-p) for _, p in replaced_token_probabilities(sentence, preset))
        assert score == pytest.approx(expected, abs=1e-4)
    rate = tool.discriminator_ranking_rate(preset, [tuple(sentences)])
    assert rate == float(scores[0] > scores[1])


@pytest.mark.skipif(keras.config.backend() != "torch", reason="backend-independent tool; run once")
def test_masked_lm_score_sums_fill_mask_probabilities_of_the_original_wordpieces():
    import numpy as np

    from keras_electra.models.demo_presets import demo_preset
    from keras_electra.tasks import ElectraMaskedLM

    tool = load_tool("electric_swap_ranking")
    preset = demo_preset("generator")
    masked_lm = ElectraMaskedLM.from_preset(preset)
    tokenizer = masked_lm.preprocessor.tokenizer
    vocabulary_size = masked_lm.backbone.vocabulary_size
    sentences = ["the movie was witty and warm .", "warm the movie was and witty ."]
    scores = tool.masked_lm_scores(preset, sentences, batch_size=5)  # batches cross sentences
    for sentence, score in zip(sentences, scores):
        pieces = [int(t) for t in np.asarray(tokenizer(sentence))]
        expected = 0.0
        for position, original in enumerate(pieces):
            masked = list(pieces)
            masked[position] = tokenizer.mask_token_id
            ids = np.array([[tokenizer.cls_token_id, *masked, tokenizer.sep_token_id]], "int32")
            [[candidates]] = masked_lm.fill_mask(
                {"token_ids": ids, "padding_mask": np.ones_like(ids)}, top_k=vocabulary_size)
            probability = dict(candidates)[tokenizer.id_to_token(original)]
            expected += math.log(probability)
        assert score == pytest.approx(expected, abs=1e-4)
    rate = tool.masked_lm_ranking_rate(preset, [tuple(sentences)])
    assert rate == float(scores[0] > scores[1])
