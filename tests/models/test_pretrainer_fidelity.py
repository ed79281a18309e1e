"""ElectraPretrainer against numpy re-implementations of google-research/electra.

Each test re-implements the original's code (`pretrain/pretrain_helpers.py`,
`run_pretraining.py`, `model/modeling.py`) in numpy, step by step, and compares.
"""

import os

import keras
import numpy as np
import pytest

from keras_electra.convert.pretraining import assemble_pretrainer
from keras_electra.convert.pretraining import get_head_weights
from keras_electra.convert.pretraining import load_pretrainer
from keras_electra.convert.pretraining import save_pretrainer
from keras_electra.errors import ElectraError
from keras_electra.layers.heads import ElectraDiscriminatorHead
from keras_electra.layers.heads import ElectraMaskedLMHead
from keras_electra.layers.masking import DynamicMasking
from keras_electra.layers.masking import scatter_positions
from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraPretrainer
from keras_electra.convert import export_pretrainer_presets
from keras_electra.training.recipes import get_pretraining_recipe
from tests.models.test_pretrainer import CONFIG
from tests.models.test_pretrainer import SPECIALS
from tests.models.test_pretrainer import batch
from tests.models.test_pretrainer import make
from tests.models.test_pretrainer import numpy_weights

PAD, CLS, SEP, MASK = 0, 2, 3, 4


def np_(x):
    return keras.ops.convert_to_numpy(x)


# --- Numpy re-implementations of the original -------------------------------


def original_scatter_update(sequence, updates, positions):
    """`pretrain_helpers.scatter_update` for an int32 [B, L] sequence."""
    batch_size, length = sequence.shape
    summed = np.zeros((batch_size, length), np.int64)
    mask = np.zeros((batch_size, length), np.int64)
    for b in range(batch_size):
        for n in range(positions.shape[1]):
            summed[b, positions[b, n]] += updates[b, n]  # tf.scatter_nd sums
            mask[b, positions[b, n]] += 1
    mask[:, 0] = 0  # not_first_token
    summed = summed // np.maximum(1, mask)  # "account for duplicate positions"
    mask = np.minimum(mask, 1)
    return ((1 - mask) * sequence + mask * summed).astype("int32"), mask.astype("int32")


def original_mask_positions(rng, candidates, num_to_predict, slots):
    """`tf.random.categorical(log(candidates / n), N)` times the weights."""
    positions = np.zeros((len(candidates), slots), "int32")
    for b, row in enumerate(candidates):
        choices = np.flatnonzero(row)
        positions[b] = rng.choice(choices, slots, replace=True)
    weights = (np.arange(slots)[None] < num_to_predict[:, None]).astype("int32")
    return positions * weights


def original_roll(arr, direction):
    """`run_pretraining.roll`: concat([arr[:, d:], arr[:, :d]], axis=1)."""
    return np.concatenate([arr[:, direction:, :], arr[:, :direction, :]], axis=1)


def original_v1_auc(labels, predictions, num_thresholds=200):
    """`tf.compat.v1.metrics.auc` (ROC, trapezoidal), unweighted."""
    eps = 1e-7
    thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([0.0 - eps] + thresholds + [1.0 + eps])
    labels = labels.reshape(-1).astype(bool)
    above = predictions.reshape(-1)[None, :] > thresholds[:, None]
    tp = (above & labels).sum(-1)
    fp = (above & ~labels).sum(-1)
    fn = (~above & labels).sum(-1)
    tn = (~above & ~labels).sum(-1)
    tpr = (tp + eps) / (tp + fn + eps)
    fpr = fp / (fp + tn + eps)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2.0)


def full_rows(n, length, seed=0, vocabulary_size=40):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, vocabulary_size, (n, length)).astype("int32")
    ids[:, 0], ids[:, -1] = CLS, SEP
    return ids, np.ones_like(ids)


# --- 1. Masked positions with replacement -----------------------------------


def test_distinct_positions_match_the_original_on_full_128_token_rows():
    ids, padding = full_rows(512, 128)
    layer = DynamicMasking(40, MASK, [CLS, SEP], mask_probability=0.15, seed=0)
    assert layer.position_sampling == "with_replacement"
    ours = []
    for _ in range(4):
        out = layer(ids, padding)
        positions, weights = np_(out["masked_lm_positions"]), np_(out["masked_lm_weights"])
        np.testing.assert_array_equal(weights.sum(-1), 19)
        ours += [len(set(row)) for row in positions]
    candidates = (padding == 1) & ~np.isin(ids, [CLS, SEP, MASK])
    reference = original_mask_positions(
        np.random.default_rng(1), np.tile(candidates, (4, 1)), np.full(2048, 19), 19
    )
    theirs = [len(set(row)) for row in reference]
    # 126 candidates, 19 draws: E[distinct] = 126 * (1 - (125/126) ** 19) = 17.71.
    exact = 126 * (1 - (125 / 126) ** 19)
    assert abs(np.mean(theirs) - exact) < 0.1
    assert abs(np.mean(ours) - exact) < 0.1
    ours_hist = np.bincount(ours, minlength=20) / len(ours)
    theirs_hist = np.bincount(theirs, minlength=20) / len(theirs)
    assert 0.5 * np.abs(ours_hist - theirs_hist).sum() < 0.06  # total variation
    # Without replacement: always 19 distinct positions.
    distinct = DynamicMasking(40, MASK, [CLS, SEP], position_sampling="without_replacement", seed=0)
    positions = np_(distinct(ids, padding)["masked_lm_positions"])
    assert all(len(set(row)) == 19 for row in positions)


def test_scatter_matches_the_original_scatter_update_with_duplicates():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 40, (64, 10)).astype("int32")
    positions = rng.integers(1, 4, (64, 6)).astype("int32")  # many repeats
    values = rng.integers(5, 40, (64, 6)).astype("int32")
    weights = (rng.random((64, 6)) < 0.8).astype("float32")
    updated, written = scatter_positions(ids, positions, values, weights)
    expected, expected_mask = original_scatter_update(ids, values, positions * weights.astype("int32"))
    np.testing.assert_array_equal(np_(updated), expected)
    np.testing.assert_array_equal(np_(written), expected_mask)
    # All-[MASK] updates stay [MASK] at a repeated position.
    masked, _ = scatter_positions(ids, positions, np.full_like(values, MASK), np.ones_like(weights))
    hit = np.zeros(ids.shape, bool)
    hit[np.arange(64)[:, None], positions] = True
    np.testing.assert_array_equal(np_(masked)[hit], MASK)
    np.testing.assert_array_equal(np_(masked)[~hit], ids[~hit])


def test_repeated_position_is_masked_if_any_slot_masks():
    # 3 candidates and 4 slots per row: every row repeats a position.
    ids = np.array([[CLS, 7, 8, 9, SEP, SEP, SEP, SEP]] * 2000, "int32")
    padding = np.ones_like(ids)
    layer = DynamicMasking(40, MASK, [CLS, SEP], mask_probability=0.5, max_predictions=4,
                           mask_token_rate=0.5, seed=2)
    out = {k: np_(v) for k, v in layer(ids, padding).items()}
    np.testing.assert_array_equal(out["masked_lm_weights"].sum(-1), 4)
    masked = {1: [], 2: []}
    for row in range(len(ids)):
        pos = out["masked_lm_positions"][row]
        for p in (1, 2, 3):
            k = (pos == p).sum()
            new = out["token_ids"][row, p]
            if k == 0:
                assert new == ids[row, p]
            else:
                assert new in (MASK, ids[row, p])  # never a mean of ids
                if k in masked:
                    masked[k].append(new == MASK)
    # The original: P([MASK]) = 1 - (1 - 0.5) ** k for a position chosen k times.
    assert abs(np.mean(masked[1]) - 0.5) < 0.04
    assert abs(np.mean(masked[2]) - 0.75) < 0.04


def test_duplicates_count_twice_in_the_loss_and_fake_data_is_the_originals():
    model = make(discriminator_weight=0.0, seed=3)
    x = batch()
    original_ids = x["token_ids"].copy()
    positions = np.array([[1, 1, 5]] * 8, "int32")
    rows = np.arange(8)[:, None]
    x["masked_lm_positions"] = positions
    x["masked_lm_ids"] = original_ids[rows, positions]
    x["masked_lm_weights"] = np.ones(positions.shape, "float32")
    x["token_ids"] = original_ids.copy()
    x["token_ids"][:, [1, 5]] = MASK
    out = {k: np_(v) for k, v in model(x).items()}
    # The two slots of position 1 get the same logits and both count.
    np.testing.assert_allclose(out["lm_outputs"][:, 0], out["lm_outputs"][:, 1], atol=1e-6)
    logits = out["lm_outputs"].astype("float64")
    log_probs = logits - logits.max(-1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_probs, x["masked_lm_ids"][..., None], -1)[..., 0]
    expected_loss = nll.sum() / (3 * 8 + 1e-6)  # `_get_masked_lm_output`
    loss = model.compute_loss(y_pred={k: keras.ops.convert_to_tensor(v) for k, v in out.items()})
    np.testing.assert_allclose(np_(loss), expected_loss, rtol=1e-5)
    # `_get_fake_data`: scatter_update of the samples, labels = masked & changed.
    fake, masked = original_scatter_update(original_ids, out["sampled_ids"], positions)
    np.testing.assert_array_equal(out["disc_input_ids"], fake)
    np.testing.assert_array_equal(out["disc_label"], masked * (fake != original_ids))


# --- 2. Glorot-uniform embeddings_project and RTD output kernel -------------


def test_embeddings_project_and_rtd_output_are_glorot_uniform():
    small = get_pretraining_recipe("small").model.backbone_kwargs()
    small.update(num_layers=1, vocabulary_size=100, max_sequence_length=16)
    backbone = ElectraBackbone(**small)
    kernel = np_(backbone.embeddings_projection.kernel)
    assert kernel.shape == (128, 256)
    glorot = np.sqrt(2.0 / (128 + 256))  # tf.glorot_uniform: std sqrt(2/(in+out))
    assert abs(kernel.std() / glorot - 1) < 0.03
    assert np.abs(kernel).max() <= np.sqrt(6.0 / (128 + 256))
    np.testing.assert_array_equal(np_(backbone.embeddings_projection.bias), 0.0)
    head = ElectraDiscriminatorHead(256)
    head.build((None, None, 256))
    output = np_(head.dense_prediction.kernel)
    assert abs(output.std() / np.sqrt(2.0 / 257) - 1) < 0.15
    # The other kernels keep the original's truncated normal(0.02).
    assert abs(np_(head.dense.kernel).std() / 0.02 - 1) < 0.15  # truncated at 2 sigma: 0.88
    mlm_head = ElectraMaskedLMHead(backbone.token_embedding)
    mlm_head.build((None, None, 256))
    assert np.abs(np_(mlm_head.dense.kernel)).max() <= 0.04 + 1e-6


# --- 3. Electric's rolled towers --------------------------------------------


@pytest.mark.parametrize("shift", ["roll", "zeros"])
def test_electric_cloze_and_logits_match_the_original_roll(shift):
    model = make(objective="electric", mask_probability=0.25, electric_shift=shift)
    assert make(objective="electric").electric_shift == "roll"
    x = batch()
    out = {k: np_(v) for k, v in model(x).items()}
    inputs = {k: keras.ops.convert_to_tensor(v) for k, v in x.items()}
    ltr = np_(model.generator(inputs)["sequence_output"])
    rtl = np_(model.reverse_generator(inputs)["sequence_output"])
    if shift == "roll":  # TwoTowerClozeTransformer
        towers = np.concatenate([original_roll(ltr, -1), original_roll(rtl, 1)], -1)
    else:
        zero = np.zeros_like(ltr[:, :1])
        towers = np.concatenate([np.concatenate([zero, ltr[:, :-1]], 1),
                                 np.concatenate([rtl[:, 1:], zero], 1)], -1)
    cloze = np_(model.generator_head(keras.ops.convert_to_tensor(towers))).astype("float64")
    np.testing.assert_allclose(np_(model.cloze_logits(inputs["token_ids"], inputs)), cloze, atol=1e-4)
    # `_get_discriminator_output`: logits + stop_gradient(log q) + log(p / (1 - p)).
    fake = out["disc_input_ids"]
    log_q = cloze - cloze.max(-1, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(-1, keepdims=True))
    log_q = np.take_along_axis(log_q, fake[..., None], -1)[..., 0]
    hidden = model.discriminator({**inputs, "token_ids": keras.ops.convert_to_tensor(fake)})
    s = np_(model.discriminator_head(hidden["sequence_output"]))
    expected = s + log_q + np.log(0.25 / 0.75)
    for position in (0, -1):  # [CLS] and the last position
        np.testing.assert_allclose(out["disc_logits"][:, position], expected[:, position], atol=1e-4)
    np.testing.assert_allclose(out["disc_logits"], expected, atol=1e-4)
    # Roll and zeros differ only at the first and last positions.
    zeros = np.concatenate([np.concatenate([np.zeros_like(ltr[:, :1]), ltr[:, :-1]], 1),
                            np.concatenate([rtl[:, 1:], np.zeros_like(rtl[:, :1])], 1)], -1)
    other = np_(model.generator_head(keras.ops.convert_to_tensor(zeros)))
    np.testing.assert_allclose(other[:, 1:-1], cloze[:, 1:-1], atol=1e-4)
    if shift == "roll":
        assert not np.allclose(other[:, 0], cloze[:, 0], atol=1e-4)
        assert not np.allclose(other[:, -1], cloze[:, -1], atol=1e-4)


# --- 4. The MLM baseline's masking ------------------------------------------


def test_mlm_baseline_masks_85_15_by_default_and_80_10_10_on_request():
    model = make(objective="mlm", seed=4)
    assert (model.masking.mask_token_rate, model.masking.random_token_rate) == (0.85, 0.0)
    assert model.masking.position_sampling == "with_replacement"
    ids, padding = full_rows(400, 12, vocabulary_size=30)
    masked_ids = np_(model.masking(ids, padding)["token_ids"])
    changed = masked_ids != ids
    assert changed.sum() > 300
    assert (masked_ids[changed] == MASK).all(), "no random replacement in the original"
    bert = make(objective="mlm", mask_token_rate=0.8, random_token_rate=0.1)
    assert (bert.masking.mask_token_rate, bert.masking.random_token_rate) == (0.8, 0.1)
    assert bert.get_config()["mask_token_rate"] == 0.8
    masked_ids = np_(bert.masking(ids, padding)["token_ids"])
    changed = masked_ids != ids
    assert (masked_ids[changed] != MASK).any(), "80/10/10 draws random tokens"


# --- 5. The fully tied (shared-encoder) generator ---------------------------


def test_shared_encoder_generator_is_the_discriminator():
    model = make(embedding_sharing="shared_encoder")
    assert model.generator is model.discriminator and model.reverse_generator is None
    x = batch()
    model(x)
    # Only the heads are extra: no variable counted twice.
    expected = len(model.discriminator.weights) + len(model.generator_head.weights) - 1
    expected += len(model.discriminator_head.weights)
    assert len(model.weights) == expected
    assert len({id(w) for w in model.weights}) == len(model.weights)
    assert model.generator_head.token_embedding is model.discriminator.token_embedding
    config = model.get_config()
    assert config["generator"] is None and config["embedding_sharing"] == "shared_encoder"
    assert config["position_sampling"] == "with_replacement"
    revived = ElectraPretrainer.from_config(config)
    assert revived.generator is revived.discriminator
    assert revived.get_config() == config
    # The generator's encoder output is the discriminator's.
    np.testing.assert_array_equal(np_(model.generator(x)["sequence_output"]),
                                  np_(model.discriminator(x)["sequence_output"]))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    if keras.config.backend() == "torch":  # every variable trained, once
        from keras_electra.fast_paths.torch_parameters import missing_torch_parameters

        assert missing_torch_parameters(model) == []
        registered = list(model._torch_params.values())  # UniqueTorchParameters' dict
        assert len(registered) == len({id(p) for p in registered}), "a variable registered twice"


def test_shared_encoder_saves_exports_and_assembles(tmp_path):
    model = make(embedding_sharing="shared_encoder")
    x = batch()
    model(x)
    path = os.path.join(tmp_path, "shared.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.generator is loaded.discriminator
    for a, b in zip(numpy_weights(model), numpy_weights(loaded)):
        np.testing.assert_array_equal(a, b)
    save_pretrainer(model, str(tmp_path / "pretrainer"))
    reread = load_pretrainer(str(tmp_path / "pretrainer"))
    assert reread.generator is reread.discriminator
    for a, b in zip(numpy_weights(model), numpy_weights(reread)):
        np.testing.assert_array_equal(a, b)
    # Exports: the generator preset is the discriminator encoder + MLM head.
    export_pretrainer_presets(model, discriminator_dir=str(tmp_path / "d"), generator_dir=str(tmp_path / "g"))
    from keras_electra.tasks import ElectraMaskedLM

    masked_lm = ElectraMaskedLM.from_preset(str(tmp_path / "g"))
    positions = np.array([[1, 2]] * 8, "int32")
    logits = masked_lm.predict_on_batch({"token_ids": x["token_ids"], "padding_mask": x["padding_mask"],
                                         "mask_positions": positions})
    hidden = model.discriminator(x)["sequence_output"]
    np.testing.assert_allclose(np_(logits), np_(model.generator_head(hidden, positions)), atol=1e-4)
    # A converted untied_generator=False checkpoint assembles the same way.
    assembled = assemble_pretrainer(
        loaded.discriminator, loaded.discriminator,
        get_head_weights(loaded.discriminator_head), get_head_weights(loaded.generator_head),
        embedding_sharing="shared_encoder", **SPECIALS,
    )
    assert assembled.generator is assembled.discriminator


def test_shared_encoder_errors():
    disc = ElectraBackbone(**CONFIG)
    other = ElectraBackbone(**CONFIG)
    with pytest.raises(ElectraError, match="the generator is the discriminator itself"):
        ElectraPretrainer(disc, other, embedding_sharing="shared_encoder", **SPECIALS)
    with pytest.raises(ElectraError, match="needs the 'electra' objective"):
        ElectraPretrainer(disc, objective="electric", embedding_sharing="shared_encoder", **SPECIALS)
    with pytest.raises(ElectraError, match="electric_shift"):
        ElectraPretrainer(disc, disc, electric_shift="wrap", **SPECIALS)
    with pytest.raises(ElectraError, match="position_sampling"):
        DynamicMasking(40, MASK, position_sampling="bernoulli")
    ElectraPretrainer(disc, disc, embedding_sharing="shared_encoder", **SPECIALS)


# --- 6. disc_auc, ours and the original's -----------------------------------


def test_original_disc_auc_counts_pads_as_negatives():
    model = make(original_disc_auc=True, seed=5)
    x = batch(n=16)  # half the rows end in pads
    out = model(x)
    model.compute_metrics(x, None, out)
    result = {k: float(np_(v)) for k, v in model.get_metrics_result().items()}
    labels = np_(out["disc_label"]).astype("float64")
    probs = 1 / (1 + np.exp(-np_(out["disc_logits"]).astype("float64")))
    mask = np_(out["padding_mask"])
    # run_pretraining.py: tf.metrics.auc(disc_labels * input_mask, disc_probs * input_mask).
    np.testing.assert_allclose(result["original_disc_auc"], original_v1_auc(labels * mask, probs * mask), atol=1e-5)
    real = mask > 0
    np.testing.assert_allclose(result["disc_auc"], original_v1_auc(labels[real], probs[real]), atol=1e-5)
    assert result["original_disc_auc"] != result["disc_auc"]
    assert "original_disc_auc" not in make().get_metrics_result()


def test_recipe_pretrainer_kwargs_are_the_originals():
    recipe = get_pretraining_recipe("small")
    kwargs = recipe.pretrainer_kwargs()
    assert kwargs["position_sampling"] == "with_replacement"
    assert (kwargs["mask_token_rate"], kwargs["random_token_rate"]) == (0.85, 0.0)
    model = ElectraPretrainer.from_size(CONFIG, 0.5, **{**kwargs, **SPECIALS})
    assert model.masking.position_sampling == "with_replacement"
    assert model.get_config()["position_sampling"] == "with_replacement"
