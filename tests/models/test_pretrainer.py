import os

import keras
import numpy as np
import pytest

from keras_electra.errors import ElectraError
from keras_electra.layers.gdes_embedding import GradientDisentangledEmbedding
from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraPretrainer
from keras_electra.models.pretrainer import electric_logits
from keras_electra.training.checkpointing import restore_checkpoint
from keras_electra.training.checkpointing import save_checkpoint
from keras_electra.training.checkpointing import set_global_rng_states

PAD, CLS, SEP, MASK = 0, 2, 3, 4
SPECIALS = dict(mask_token_id=MASK, cls_token_id=CLS, sep_token_id=SEP)
VOCAB_SIZE = 30
LENGTH = 12
CONFIG = dict(vocabulary_size=VOCAB_SIZE, num_layers=1, num_heads=2, hidden_dim=32,
              intermediate_dim=64, embedding_dim=16, max_sequence_length=LENGTH)


def batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, VOCAB_SIZE, (n, LENGTH)).astype("int32")
    padding = np.ones((n, LENGTH), "int32")
    padding[::2, LENGTH - 3:] = 0
    ids[:, 0] = CLS
    ids[::2, LENGTH - 4] = SEP
    ids[1::2, -1] = SEP
    ids = np.where(padding == 1, ids, PAD).astype("int32")
    return {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": padding}


def numpy_weights(model):
    return [keras.ops.convert_to_numpy(w) for w in model.weights]


def make(**kwargs):
    kwargs = {**SPECIALS, "seed": 1, **kwargs}
    return ElectraPretrainer.from_size(CONFIG, generator_hidden_fraction=0.5, **kwargs)


@pytest.mark.parametrize(
    "objective,sharing",
    [("electra", "tied"), ("mlm", "tied"), ("uniform", "tied"), ("electric", "tied"),
     ("electra", "gdes"), ("electra", "untied")],
)
def test_objective_trains_reports_metrics_and_saves(objective, sharing, tmp_path):
    model = make(objective=objective, embedding_sharing=sharing)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(batch(), batch_size=4, epochs=2, verbose=0)
    expected = {"loss", "masked_lm_accuracy", "masked_lm_loss"}
    if objective != "mlm":
        expected |= {"sampled_masked_lm_accuracy", "disc_loss", "disc_auc", "disc_accuracy",
                     "disc_precision", "disc_recall"}
    assert set(history.history) == expected
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    results = model.evaluate(batch(seed=1), batch_size=4, verbose=0, return_dict=True)
    assert set(results) == expected
    path = os.path.join(tmp_path, "pretrainer.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.objective == objective and loaded.embedding_sharing == sharing
    assert loaded.get_config() == model.get_config()
    for a, b in zip(numpy_weights(model), numpy_weights(loaded)):
        np.testing.assert_array_equal(a, b)
    if sharing == "tied" and loaded.generator is not None:
        assert loaded.generator.embeddings is loaded.discriminator.embeddings


def test_tied_layers_are_the_same_variables():
    model = make(embedding_sharing="tied")
    assert model.generator.embeddings is model.discriminator.embeddings
    assert model.generator.token_embedding.embeddings is model.discriminator.token_embedding.embeddings
    # The generator keeps its own projection (16 -> 16 here, so none; check widths).
    assert model.generator.hidden_dim == 16 and model.discriminator.hidden_dim == 32
    assert model.generator.embeddings_projection is not model.discriminator.embeddings_projection
    paths = [w.path for w in model.weights]
    assert len(paths) == len(set(id(w) for w in model.weights))


def test_untied_backbones_get_tied_when_asked():
    disc = ElectraBackbone(**CONFIG)
    gen = ElectraBackbone(**{**CONFIG, "hidden_dim": 16, "intermediate_dim": 64, "num_heads": 1})
    model = ElectraPretrainer(disc, gen, **SPECIALS)
    assert model.generator.embeddings is disc.embeddings


def train_one_sgd_step(model, x):
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    model.fit(x, batch_size=len(x["token_ids"]), epochs=1, verbose=0)


def test_no_gradient_flows_through_sampling():
    # Untied, generator loss off: the discriminator loss alone must leave every
    # generator weight unchanged (sampling is under stop_gradient).
    model = make(embedding_sharing="untied", generator_weight=0.0)
    gen_vars = model.generator.weights + model.generator_head.weights
    disc_vars = model.discriminator.trainable_weights
    x = batch()
    model(x)
    before_gen = [keras.ops.convert_to_numpy(v) for v in gen_vars]
    before_disc = [keras.ops.convert_to_numpy(v) for v in disc_vars]
    train_one_sgd_step(model, x)
    for a, v in zip(before_gen, gen_vars):
        np.testing.assert_array_equal(a, keras.ops.convert_to_numpy(v))
    assert any(not np.array_equal(a, keras.ops.convert_to_numpy(v)) for a, v in zip(before_disc, disc_vars))


def test_gdes_delta_starts_at_zero_and_shields_generator_table():
    model = make(embedding_sharing="gdes", generator_weight=0.0)
    gdes = model.discriminator.embeddings.token_embedding
    assert isinstance(gdes, GradientDisentangledEmbedding)
    x = batch()
    model(x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(gdes.delta), 0.0)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(gdes.embeddings),
        keras.ops.convert_to_numpy(model.generator.token_embedding.embeddings),
    )
    table = keras.ops.convert_to_numpy(model.generator.token_embedding.embeddings)
    train_one_sgd_step(model, x)
    np.testing.assert_array_equal(
        table, keras.ops.convert_to_numpy(model.generator.token_embedding.embeddings)
    )
    assert np.abs(keras.ops.convert_to_numpy(gdes.delta)).max() > 0
    # The exported discriminator has a plain table equal to source + delta.
    exported = model.export_discriminator()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(exported.token_embedding.embeddings),
        keras.ops.convert_to_numpy(gdes.embeddings), atol=1e-6,
    )
    out_a = model.discriminator(x)["sequence_output"]
    out_b = exported(x)["sequence_output"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out_a), keras.ops.convert_to_numpy(out_b), atol=1e-5)


def premasked(x):
    x = dict(x)
    positions = np.array([[1, 2, 5]] * len(x["token_ids"]), "int32")
    rows = np.arange(len(positions))[:, None]
    x["masked_lm_ids"] = x["token_ids"][rows, positions]
    x["masked_lm_weights"] = np.ones(positions.shape, "float32")
    x["masked_lm_positions"] = positions
    ids = x["token_ids"].copy()
    ids[rows, positions] = MASK
    x["token_ids"] = ids
    return x


def test_premasked_inputs_and_labels():
    model = make()
    x = premasked(batch())
    out = {k: keras.ops.convert_to_numpy(v) for k, v in model(x).items()}
    np.testing.assert_array_equal(out["masked_lm_positions"], x["masked_lm_positions"])
    original = batch()["token_ids"]
    fake = out["disc_input_ids"]
    # Only the given positions change; labels = replaced and different.
    unchanged = np.ones_like(fake, bool)
    unchanged[:, [1, 2, 5]] = False
    np.testing.assert_array_equal(fake[unchanged], original[unchanged])
    np.testing.assert_array_equal(out["disc_label"], (fake != original).astype("int32"))
    assert out["lm_outputs"].shape == (8, 3, VOCAB_SIZE)
    model.compile(optimizer="adam")
    model.fit(x, batch_size=4, epochs=1, verbose=0)


def test_disallow_correct_never_samples_original():
    model = make(disallow_correct=True, objective="uniform")
    out = model(premasked(batch()))
    sampled = keras.ops.convert_to_numpy(out["sampled_ids"])
    assert not (sampled == keras.ops.convert_to_numpy(out["masked_lm_ids"])).any()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out["disc_label"])[:, [1, 2, 5]], 1)


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_electric_logit_formula_and_cloze_never_sees_its_token():
    model = make(objective="electric", mask_probability=0.25)
    x = premasked(batch())
    original = batch()
    out = {k: keras.ops.convert_to_numpy(v) for k, v in model(x).items()}
    fake = out["disc_input_ids"]
    # Numpy reference: s + log q(x_t) + log(p / (1 - p)).
    disc_inputs = {k: keras.ops.convert_to_tensor(v) for k, v in {**original, "token_ids": fake}.items()}
    hidden = model.discriminator(disc_inputs)["sequence_output"]
    s = keras.ops.convert_to_numpy(model.discriminator_head(hidden))
    original = {k: keras.ops.convert_to_tensor(v) for k, v in original.items()}
    cloze = keras.ops.convert_to_numpy(model.cloze_logits(original["token_ids"], original))
    log_q = np.take_along_axis(log_softmax(cloze.astype("float64")), fake[..., None], -1)[..., 0]
    expected = s + log_q + np.log(0.25 / 0.75)
    np.testing.assert_allclose(out["disc_logits"], expected, atol=1e-4)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(electric_logits(keras.ops.convert_to_tensor(s), keras.ops.convert_to_tensor(log_q.astype("float32")), 0.25)), expected, atol=1e-5
    )
    # Every replaced position is labelled fake, even if the sample is the original.
    np.testing.assert_array_equal(out["disc_label"][:, [1, 2, 5]], 1)
    assert out["disc_label"].sum() == 3 * 8
    # The cloze distribution at t does not depend on token t.
    changed = keras.ops.convert_to_numpy(original["token_ids"]).copy()
    changed[:, 5] = 7
    cloze2 = keras.ops.convert_to_numpy(model.cloze_logits(keras.ops.convert_to_tensor(changed), original))
    np.testing.assert_allclose(cloze2[:, 5], cloze[:, 5], atol=1e-5)
    assert not np.allclose(cloze2[:, 6], cloze[:, 6], atol=1e-5)
    assert model.generator.attention_direction == "left_to_right"
    assert model.reverse_generator.attention_direction == "right_to_left"


def test_bad_configurations_raise():
    disc = ElectraBackbone(**CONFIG)
    with pytest.raises(ValueError, match="Vocabulary mismatch"):
        ElectraPretrainer(disc, ElectraBackbone(**{**CONFIG, "vocabulary_size": 31}), **SPECIALS)
    with pytest.raises(ValueError, match="embedding_dim"):
        ElectraPretrainer(disc, ElectraBackbone(**{**CONFIG, "embedding_dim": 8}), **SPECIALS)
    with pytest.raises(ValueError, match="Unknown `objective`"):
        ElectraPretrainer(disc, disc, objective="bert", **SPECIALS)
    with pytest.raises(ValueError, match="Unknown `embedding_sharing`"):
        ElectraPretrainer(disc, disc, embedding_sharing="shared", **SPECIALS)
    with pytest.raises(ValueError, match="needs a `generator`"):
        ElectraPretrainer(disc, **SPECIALS)
    # Untied sharing accepts unequal embedding widths.
    ElectraPretrainer(disc, ElectraBackbone(**{**CONFIG, "embedding_dim": 8}),
                      embedding_sharing="untied", **SPECIALS)


def test_generator_size_follows_the_original():
    model = ElectraPretrainer.from_size(
        {**CONFIG, "hidden_dim": 256, "num_heads": 4, "num_layers": 4},
        generator_hidden_fraction=0.25, generator_layer_fraction=0.5, **SPECIALS,
    )
    gen = model.generator
    assert (gen.hidden_dim, gen.num_heads, gen.intermediate_dim, gen.num_layers) == (64, 1, 256, 2)


def test_checkpoint_resume(tmp_path):
    model = make()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(batch(), batch_size=4, epochs=1, verbose=0)
    save_checkpoint(model, str(tmp_path), step=2)
    reference = numpy_weights(model)
    other = make()
    other.compile(optimizer=keras.optimizers.Adam(1e-3))
    other.fit(batch(), batch_size=4, epochs=1, verbose=0)
    restore_checkpoint(other, os.path.join(tmp_path, "ckpt-000000002.weights.h5"))
    for a, b in zip(reference, numpy_weights(other)):
        np.testing.assert_array_equal(a, b)
    # Masks, samples and dropout continue exactly: one more epoch matches.
    other.fit(batch(), batch_size=4, epochs=1, verbose=0, shuffle=False)
    # torch's unseeded dropout draws from the process-wide RNG, which the
    # checkpoint saved; the two models share it here, so rewind it first.
    with np.load(os.path.join(tmp_path, "ckpt-000000002.rng.npz")) as saved:
        set_global_rng_states(saved)
    model.fit(batch(), batch_size=4, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(numpy_weights(model), numpy_weights(other)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_electric_energy_init_starts_the_energies_at_log_vocabulary():
    x = batch()
    uniform = make(objective="electric", electric_energy_init="uniform")
    out = uniform(x)
    bias = keras.ops.convert_to_numpy(uniform.discriminator_head.dense_prediction.bias)
    np.testing.assert_allclose(bias, [np.log(VOCAB_SIZE)], rtol=1e-6)
    assert make(objective="electric").discriminator_head.get_config()["bias_initializer"][
        "class_name"] == "Zeros"  # the original's
    assert np.isfinite(keras.ops.convert_to_numpy(out["disc_logits"])).all()
    restored = ElectraPretrainer.from_config(uniform.get_config())
    assert restored.electric_energy_init == "uniform"
    with pytest.raises(ElectraError, match="electric_energy_init"):
        make(objective="electric", electric_energy_init="ones")
