import keras
import numpy as np
import pytest

from keras_electra.layers.masking import DynamicMasking
from keras_electra.layers.masking import max_predictions_for
from keras_electra.layers.masking import sample_from_logits
from keras_electra.layers.masking import scatter_positions

PAD, CLS, SEP, MASK = 0, 2, 3, 4
VOCAB_SIZE = 40


def corpus(batch=64, length=32, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, VOCAB_SIZE, (batch, length)).astype("int32")
    lengths = rng.integers(6, length + 1, batch)
    padding = (np.arange(length)[None] < lengths[:, None]).astype("int32")
    ids[:, 0] = CLS
    ids[np.arange(batch), lengths - 1] = SEP
    ids[np.arange(batch), lengths // 2] = SEP  # a pair separator
    ids[::4, 1] = MASK  # a literal [MASK] in the text is never chosen
    ids = np.where(padding == 1, ids, PAD).astype("int32")
    return ids, padding


def draws(layer, ids, padding, n):
    out = []
    for _ in range(n):
        result = layer(ids, padding)
        out.append({k: keras.ops.convert_to_numpy(v) for k, v in result.items()})
    return out


@pytest.mark.parametrize("sampling", ["without_replacement", "with_replacement"])
def test_counts_specials_and_85_15_split_over_many_draws(sampling):
    ids, padding = corpus()
    layer = DynamicMasking(VOCAB_SIZE, MASK, [CLS, SEP], mask_probability=0.15,
                           position_sampling=sampling, seed=3)
    slots = max_predictions_for(32, 0.15)
    candidates = (padding == 1) & ~np.isin(ids, [CLS, SEP, MASK])
    expected = np.clip(np.round(padding.sum(-1) * 0.15), 1, slots)
    if sampling == "without_replacement":
        expected = np.minimum(expected, candidates.sum(-1))
    chosen_counts = np.zeros(ids.shape)
    replaced_by_mask = kept = 0
    for out in draws(layer, ids, padding, 25):
        assert out["masked_lm_positions"].shape == (64, slots)
        weights = out["masked_lm_weights"]
        np.testing.assert_array_equal(weights.sum(-1), expected)
        for row in range(64):
            pos = out["masked_lm_positions"][row][weights[row] > 0]
            if sampling == "without_replacement":
                assert len(set(pos)) == len(pos)
            assert candidates[row, pos].all(), "a special or pad token was chosen"
            np.testing.assert_array_equal(out["masked_lm_ids"][row][weights[row] > 0], ids[row, pos])
            np.add.at(chosen_counts[row], pos, 1)
            # The [MASK]/kept split, on positions chosen by one slot only.
            once = [p for p in pos if (pos == p).sum() == 1]
            new = out["token_ids"][row, once]
            replaced_by_mask += (new == MASK).sum()
            kept += (new == ids[row, once]).sum()
            untouched = np.ones(32, bool)
            untouched[pos] = False
            np.testing.assert_array_equal(out["token_ids"][row, untouched], ids[row, untouched])
    total = replaced_by_mask + kept
    assert abs(replaced_by_mask / total - 0.85) < 0.03
    # Every candidate gets chosen at about the same rate within a row.
    rate = chosen_counts[candidates] / 25
    target = (expected[:, None] / candidates.sum(-1, keepdims=True) * np.ones_like(ids))[candidates]
    assert abs(rate.mean() - target.mean()) < 0.02


def test_random_token_rate_80_10_10():
    ids, padding = corpus(seed=1)
    # Distinct positions, so that each slot's outcome is visible.
    layer = DynamicMasking(VOCAB_SIZE, MASK, [CLS, SEP], mask_token_rate=0.8,
                           random_token_rate=0.1, position_sampling="without_replacement",
                           seed=5)
    outcomes = {"mask": 0, "same": 0, "random": 0}
    for out in draws(layer, ids, padding, 25):
        weights = out["masked_lm_weights"] > 0
        rows = np.nonzero(weights)[0]
        new = out["token_ids"][rows, out["masked_lm_positions"][weights]]
        old = out["masked_lm_ids"][weights]
        assert not np.isin(new[new != MASK], [PAD, CLS, SEP]).any()
        outcomes["mask"] += (new == MASK).sum()
        is_random = (new != MASK) & (new != old)
        outcomes["random"] += is_random.sum()
        outcomes["same"] += ((new == old)).sum()
    total = sum(outcomes.values())
    # A random draw equal to the original counts as "same" (1/36 of them: 36 non-special ids).
    assert abs(outcomes["mask"] / total - 0.8) < 0.03
    assert abs(outcomes["random"] / total - 0.1 * 35 / 36) < 0.02


def test_new_masks_every_call_and_static_shapes_under_jit():
    ids, padding = corpus(batch=4, length=16)
    layer = DynamicMasking(VOCAB_SIZE, MASK, [CLS, SEP], seed=0)
    a, b = draws(layer, ids, padding, 2)
    assert not np.array_equal(a["masked_lm_positions"], b["masked_lm_positions"])
    assert a["masked_lm_positions"].shape == (4, max_predictions_for(16, 0.15))


def test_max_predictions_from_final_length():
    assert max_predictions_for(128, 0.15) == 19  # the original's value
    assert max_predictions_for(512, 0.15) == 79
    assert max_predictions_for(4, 0.15) == 1


def test_bad_rates_raise():
    with pytest.raises(ValueError, match="mask_probability"):
        DynamicMasking(VOCAB_SIZE, MASK, mask_probability=1.5)
    with pytest.raises(ValueError, match="sum"):
        DynamicMasking(VOCAB_SIZE, MASK, mask_token_rate=0.9, random_token_rate=0.2)


def test_gumbel_sampling_matches_softmax_and_disallow():
    probs = np.array([0.1, 0.6, 0.3], "float32")
    logits = np.tile(np.log(probs), (4000, 1))
    seed = keras.random.SeedGenerator(0)
    sampled = keras.ops.convert_to_numpy(sample_from_logits(logits, seed))
    freq = np.bincount(sampled, minlength=3) / len(sampled)
    np.testing.assert_allclose(freq, probs, atol=0.03)
    hot = np.zeros_like(logits)
    hot[:, 1] = 1
    sampled = keras.ops.convert_to_numpy(sample_from_logits(logits, seed, disallow=hot))
    assert not (sampled == 1).any()
    # Temperature sharpens: at T=0.1 the mode wins nearly always.
    sampled = keras.ops.convert_to_numpy(sample_from_logits(logits, seed, temperature=0.1))
    assert (sampled == 1).mean() > 0.98


def test_two_level_sampling_is_the_softmax_distribution():
    # 300 ids: three blocks of 128, the last one two-thirds padding.
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(300, 0.3)).astype("float32")
    probs[[0, 127, 128, 299]] += 0.05  # block edges and the last real id
    probs /= probs.sum()
    logits = np.tile(np.log(probs + 1e-12), (40, 500, 1))  # [B, P, V]
    sampled = keras.ops.convert_to_numpy(
        sample_from_logits(logits, keras.random.SeedGenerator(1))
    )
    assert sampled.shape == (40, 500) and sampled.dtype == np.int32
    assert sampled.min() >= 0 and sampled.max() < 300
    freq = np.bincount(sampled.ravel(), minlength=300) / sampled.size
    # 20,000 draws: 4 standard errors of the most likely id at most.
    np.testing.assert_allclose(freq, probs, atol=4 * np.sqrt(probs.max() / sampled.size))
    for edge in (0, 127, 128, 299):
        assert abs(freq[edge] - probs[edge]) < 0.01
    hot = np.zeros_like(logits)
    hot[..., 299] = 1
    disallowed = keras.ops.convert_to_numpy(
        sample_from_logits(logits, keras.random.SeedGenerator(2), disallow=hot)
    )
    assert not (disallowed == 299).any()
    cold = keras.ops.convert_to_numpy(
        sample_from_logits(logits, keras.random.SeedGenerator(3), temperature=0.01)
    )
    assert (cold == np.argmax(probs)).mean() > 0.99


def test_scatter_positions_ignores_unused_slots():
    ids = np.array([[2, 5, 6, 7, 3]], "int32")
    updated, written = scatter_positions(ids, np.array([[1, 3, 0]]), np.array([[9, 8, 7]]),
                                         np.array([[1.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(updated), [[2, 9, 6, 8, 3]])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(written), [[0, 1, 0, 1, 0]])
