"""Evidence that the pretrainer learns: loss, disc_auc, and Electric's scores."""

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraPretrainer
from keras_electra.convert import export_pretrainer_presets
from keras_electra.tasks import ElectricScorer

PAD, CLS, SEP, MASK = 0, 2, 3, 4
FIRST = 5  # first ordinary token id
VOCAB_SIZE = 40
LENGTH = 16
CONFIG = dict(vocabulary_size=VOCAB_SIZE, num_layers=2, num_heads=4, hidden_dim=128,
              intermediate_dim=256, embedding_dim=32, max_sequence_length=LENGTH)


def progressions(n, seed):
    """[CLS] a b a b ... [SEP]: two random different tokens, alternating.

    Each token is fixed by its neighbours, so a generator can learn to fill
    masks and a discriminator can spot tokens that break the alternation.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(FIRST, VOCAB_SIZE, (n, 1))
    b = FIRST + (a - FIRST + rng.integers(1, VOCAB_SIZE - FIRST, (n, 1))) % (VOCAB_SIZE - FIRST)
    body = np.where(np.arange(LENGTH - 2)[None, :] % 2 == 0, a, b)
    ids = np.concatenate([np.full((n, 1), CLS), body, np.full((n, 1), SEP)], axis=1).astype("int32")
    return {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}


WORDS_PER_SLOT = 4
SLOT_VOCAB_SIZE = FIRST + (LENGTH - 2) * WORDS_PER_SLOT


def slot_sentences(n, seed):
    """[CLS] w_1 ... w_14 [SEP], where w_t is one of the 4 words of slot t.

    A toy template grammar (determiner, adjective, noun, verb, ...): a word
    is only ever seen in its own slot, and which of its slot's words comes
    is random, so a cloze model stays uncertain and its samples keep
    covering the alternatives that Electric's energies are learned on.
    """
    rng = np.random.default_rng(seed)
    slots = np.arange(LENGTH - 2)[None, :] * WORDS_PER_SLOT
    body = FIRST + slots + rng.integers(0, WORDS_PER_SLOT, (n, LENGTH - 2))
    ids = np.concatenate([np.full((n, 1), CLS), body, np.full((n, 1), SEP)], axis=1).astype("int32")
    return {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}


def pretrainer(objective="electra", config=CONFIG, **kwargs):
    return ElectraPretrainer.from_size(
        config, generator_hidden_fraction=0.5, objective=objective, mask_token_id=MASK,
        cls_token_id=CLS, sep_token_id=SEP, pad_token_id=PAD, seed=7, **kwargs)


def train(model, steps, learning_rate=1e-3, batch_size=64, corpus=progressions):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    data = corpus(batch_size * steps, seed=0)
    return model.fit(data, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)


def test_loss_falls_on_a_structured_corpus():
    model = pretrainer()
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    held_out = progressions(64, seed=1)
    before = model.evaluate(held_out, batch_size=32, verbose=0, return_dict=True)
    train(model, steps=40)
    after = model.evaluate(held_out, batch_size=32, verbose=0, return_dict=True)
    assert after["loss"] < 0.8 * before["loss"], (before, after)
    assert after["masked_lm_loss"] < before["masked_lm_loss"], (before, after)


def test_disc_auc_passes_0_9_within_a_few_hundred_steps():
    model = pretrainer()
    train(model, steps=400)
    result = model.evaluate(progressions(256, seed=1), batch_size=64, verbose=0, return_dict=True)
    print(f"held-out after 400 steps: disc_auc {result['disc_auc']:.4f}, "
          f"masked_lm_accuracy {result['masked_lm_accuracy']:.4f}")
    assert result["disc_auc"] > 0.9, result
    assert result["masked_lm_accuracy"] > 0.9, result


def swap_two_words(data, seed):
    """The same sentences with two different tokens swapped in each."""
    rng = np.random.default_rng(seed)
    ids = data["token_ids"].copy()
    for row in ids:
        while True:
            i, j = rng.choice(np.arange(1, LENGTH - 1), 2, replace=False)
            if row[i] != row[j]:
                row[i], row[j] = row[j], row[i]
                break
    return dict(data, token_ids=ids)


def electric_ranking(model, directory):
    """Share of held-out sentences the model scores above their 2-word swaps."""
    export_pretrainer_presets(model, scorer_dir=str(directory))
    scorer = ElectricScorer.from_preset(str(directory), cls_token_id=CLS, sep_token_id=SEP)
    originals = slot_sentences(200, seed=2)  # held out: another seed than training
    swapped = swap_two_words(originals, seed=3)
    return np.mean(scorer.score(originals)["scores"] > scorer.score(swapped)["scores"])


def test_electric_scores_originals_above_two_word_swaps(tmp_path):
    model = pretrainer("electric", config=dict(CONFIG, vocabulary_size=SLOT_VOCAB_SIZE))
    model(slot_sentences(2, seed=9))  # builds the heads
    untrained = electric_ranking(model, tmp_path / "untrained")
    train(model, steps=300, corpus=slot_sentences)
    trained = electric_ranking(model, tmp_path / "trained")
    print(f"Electric: originals scored above 2-word swaps in {trained:.1%} of 200 pairs "
          f"({untrained:.1%} untrained)")
    assert untrained < 0.75
    assert trained > 0.75
