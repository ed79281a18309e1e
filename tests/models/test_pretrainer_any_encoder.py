"""ElectraPretrainer on keras-hub BERT, RoBERTa and DeBERTaV3 backbones.

Construction and a fit step per encoder and sharing mode, what each sharing
mode shares (checked on the variables and on what one SGD step changes), the
adapter against the backbone's own call, config and `.keras` round trips, the
export as the backbone's own keras-hub preset, and the errors.
"""

import keras
import keras_hub
import numpy as np
import pytest

from keras_electra.convert import export_pretrainer_presets
from keras_electra.errors import ElectraError
from keras_electra.layers.gdes_embedding import GradientDisentangledEmbedding
from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraPretrainer
from keras_electra.models.encoder_adapter import EncoderAdapter

PAD, CLS, SEP, MASK = 0, 2, 3, 4
VOCAB, LENGTH, WIDTH = 60, 16, 16
ENCODERS = {
    "bert": keras_hub.models.BertBackbone,
    "roberta": keras_hub.models.RobertaBackbone,
    "deberta_v3": keras_hub.models.DebertaV3Backbone,
}
SPECIAL = dict(mask_token_id=MASK, cls_token_id=CLS, sep_token_id=SEP, pad_token_id=PAD)


def backbone(kind, num_layers=2, hidden_dim=WIDTH, name=None):
    return ENCODERS[kind](
        vocabulary_size=VOCAB, num_layers=num_layers, num_heads=2, hidden_dim=hidden_dim,
        intermediate_dim=2 * hidden_dim, max_sequence_length=LENGTH, name=name,
    )


def batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, VOCAB, (n, LENGTH)).astype("int32")
    ids[:, 0], ids[:, -1] = CLS, SEP
    mask = np.ones_like(ids)
    ids[1, -4:], mask[1, -4:] = PAD, 0  # one padded row
    return {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask}


def pretrainer(kind, sharing="tied", objective="electra", **kwargs):
    generator = None
    if objective == "electra" and sharing != "shared_encoder":
        generator = backbone(kind, num_layers=1, name="generator")
    return ElectraPretrainer(
        backbone(kind, name="discriminator"), generator, objective=objective,
        embedding_sharing=sharing, seed=3, **SPECIAL, **kwargs,
    )


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def sgd_step(model, data=None):
    """One plain SGD step (no momentum): a variable without gradient stays put.

    Not compiled: these tests check which variables a step moves, and one
    eager step is quicker than compiling it (test_a_fit_step compiles).
    """
    model.compile(optimizer=keras.optimizers.SGD(0.5), jit_compile=False, run_eagerly=True)
    model.fit(data or batch(), batch_size=8, epochs=1, verbose=0)


@pytest.mark.parametrize("kind", sorted(ENCODERS))
def test_the_adapter_gives_the_backbone_output(kind):
    encoder = backbone(kind)
    data = {k: keras.ops.convert_to_tensor(v) for k, v in batch().items()}
    adapter = EncoderAdapter(encoder)
    inputs = {k: data[k] for k in ("token_ids", *adapter.input_names)}
    expected = encoder(inputs)
    expected = expected["sequence_output"] if isinstance(expected, dict) else expected
    np.testing.assert_allclose(numpy(adapter(data["token_ids"], data)), numpy(expected),
                               atol=1e-5)
    assert adapter.hidden_dim == WIDTH and adapter.vocabulary_size == VOCAB


# tied, untied and gdes fit in the sharing tests below.
@pytest.mark.parametrize(
    "kind,sharing,objective",
    [("bert", "shared_encoder", "electra"), ("roberta", "tied", "mlm"),
     ("deberta_v3", "tied", "uniform"), ("deberta_v3", "shared_encoder", "electra")],
)
def test_a_fit_step(kind, sharing, objective):
    model = pretrainer(kind, sharing, objective)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(batch(16), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][-1])
    if objective != "mlm":
        assert 0.0 <= history["disc_auc"][-1] <= 1.0


@pytest.mark.parametrize("kind", sorted(ENCODERS))
def test_tied_generator_reads_the_discriminator_table(kind):
    model = pretrainer(kind, "tied", discriminator_weight=0.0)
    shared = model.discriminator.token_embedding
    assert model.token_table(model.generator) is shared
    assert model.token_table(model.discriminator) is shared
    assert model.generator_head.token_embedding is shared
    before = numpy(shared.embeddings)
    own_before = numpy(model.generator.token_embedding.embeddings)
    sgd_step(model)  # the generator's loss alone
    assert np.abs(numpy(shared.embeddings) - before).max() > 0
    np.testing.assert_array_equal(numpy(model.generator.token_embedding.embeddings), own_before)
    # The export gives the generator the table it trained.
    np.testing.assert_array_equal(
        numpy(model.export_generator().token_embedding.embeddings), numpy(shared.embeddings))


@pytest.mark.parametrize("kind", ["bert", "roberta"])
def test_untied_tables_are_separate(kind):
    model = pretrainer(kind, "untied", discriminator_weight=0.0)
    assert model.token_table(model.generator) is model.generator.token_embedding
    assert model.token_table(model.discriminator) is model.discriminator.token_embedding
    assert model.generator.token_embedding is not model.discriminator.token_embedding
    disc_before = numpy(model.discriminator.token_embedding.embeddings)
    gen_before = numpy(model.generator.token_embedding.embeddings)
    sgd_step(model)  # the generator's loss alone
    np.testing.assert_array_equal(numpy(model.discriminator.token_embedding.embeddings),
                                  disc_before)
    assert np.abs(numpy(model.generator.token_embedding.embeddings) - gen_before).max() > 0


@pytest.mark.parametrize("kind", sorted(ENCODERS))
def test_gdes_delta_learns_from_the_discriminator_loss_only(kind):
    # Discriminator loss alone: delta moves, the generator table does not.
    model = pretrainer(kind, "gdes", generator_weight=0.0)
    table = model.token_table(model.discriminator)
    assert isinstance(table, GradientDisentangledEmbedding)
    assert table is model.gdes_embedding
    assert table.source is model.generator.token_embedding
    gen_before = numpy(model.generator.token_embedding.embeddings)
    np.testing.assert_array_equal(numpy(table.embeddings), gen_before)  # delta starts at 0
    sgd_step(model)
    np.testing.assert_array_equal(numpy(model.generator.token_embedding.embeddings), gen_before)
    delta = numpy(table.delta)
    assert np.abs(delta).max() > 0
    np.testing.assert_allclose(numpy(table.embeddings), gen_before + delta, atol=1e-6)

    # Generator loss alone: the generator table moves, delta does not.
    model = pretrainer(kind, "gdes", discriminator_weight=0.0)
    gen_before = numpy(model.generator.token_embedding.embeddings)
    sgd_step(model)
    np.testing.assert_array_equal(numpy(model.gdes_embedding.delta), 0.0)
    assert np.abs(numpy(model.generator.token_embedding.embeddings) - gen_before).max() > 0


def premasked(seed=0):
    data = batch(seed=seed)
    rng = np.random.default_rng(seed + 1)
    positions = np.sort(rng.choice(np.arange(1, LENGTH - 4), (8, 3)), axis=1).astype("int32")
    ids = data["token_ids"].copy()
    targets = np.take_along_axis(ids, positions, axis=1)
    np.put_along_axis(ids, positions, MASK, axis=1)
    return dict(data, token_ids=ids, masked_lm_positions=positions, masked_lm_ids=targets,
                masked_lm_weights=np.ones_like(positions, "float32"))


@pytest.mark.parametrize("kind", ["roberta", "deberta_v3"])
def test_config_and_keras_file_round_trip(kind, tmp_path):
    model = pretrainer(kind, "gdes")
    sgd_step(model)  # delta and the tables away from their initial values
    config = model.get_config()
    rebuilt = ElectraPretrainer.from_config(config)
    assert rebuilt.get_config() == config
    assert type(rebuilt.discriminator) is ENCODERS[kind]
    path = str(tmp_path / "pretrainer.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.token_table(loaded.discriminator), GradientDisentangledEmbedding)
    data = premasked()
    for mine, theirs in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(numpy(mine), numpy(theirs), err_msg=mine.path)
    expected, got = model(data, training=False), loaded(data, training=False)
    np.testing.assert_allclose(numpy(got["lm_outputs"]), numpy(expected["lm_outputs"]),
                               atol=1e-5)
    tensors = {k: keras.ops.convert_to_tensor(v) for k, v in data.items()}
    np.testing.assert_allclose(
        numpy(loaded.encode(loaded.discriminator, tensors["token_ids"], tensors)),
        numpy(model.encode(model.discriminator, tensors["token_ids"], tensors)), atol=1e-5)


@pytest.mark.parametrize(
    "kind,sharing", [("bert", "tied"), ("roberta", "gdes"), ("deberta_v3", "gdes")]
)
def test_export_as_the_backbones_own_preset(kind, sharing, tmp_path):
    model = pretrainer(kind, sharing)
    sgd_step(model)
    directory = str(tmp_path / "discriminator")
    export_pretrainer_presets(model, discriminator_dir=directory)
    restored = ENCODERS[kind].from_preset(directory)
    assert type(restored) is ENCODERS[kind]
    data = {k: keras.ops.convert_to_tensor(v) for k, v in batch(seed=5).items()}
    adapter = EncoderAdapter(restored)
    inputs = {k: data[k] for k in ("token_ids", *adapter.input_names)}
    output = restored(inputs)
    output = output["sequence_output"] if isinstance(output, dict) else output
    expected = model.encode(model.discriminator, data["token_ids"], data)
    np.testing.assert_allclose(numpy(output), numpy(expected), atol=1e-5)
    table = numpy(model.token_table(model.discriminator).embeddings)
    np.testing.assert_array_equal(numpy(restored.token_embedding.embeddings), table)
    if sharing == "gdes":  # generator table + delta, folded in
        np.testing.assert_allclose(
            table, numpy(model.generator.token_embedding.embeddings)
            + numpy(model.gdes_embedding.delta), atol=1e-6)
    import os

    assert os.path.exists(os.path.join(directory, "discriminator_head.safetensors"))
    with pytest.raises(ElectraError, match="ElectraMaskedLM"):
        export_pretrainer_presets(model, generator_dir=str(tmp_path / "generator"))


def test_a_bert_discriminator_with_a_deberta_generator():
    generator = keras_hub.models.DebertaV3Backbone(
        vocabulary_size=VOCAB, num_layers=1, num_heads=2, hidden_dim=WIDTH,
        intermediate_dim=32, max_sequence_length=LENGTH)
    model = ElectraPretrainer(backbone("bert"), generator, embedding_sharing="gdes", **SPECIAL)
    assert model.gdes_embedding.source is generator.token_embedding
    sgd_step(model)


def test_a_narrower_generator_cannot_share_the_table():
    with pytest.raises(ElectraError, match=r"\(60, 8\).*\(60, 16\)"):
        ElectraPretrainer(backbone("bert"), backbone("bert", 1, hidden_dim=8), **SPECIAL)
    model = ElectraPretrainer(backbone("bert"), backbone("bert", 1, hidden_dim=8),
                              embedding_sharing="untied", **SPECIAL)
    sgd_step(model)


def test_a_vocabulary_mismatch_is_an_error():
    generator = keras_hub.models.BertBackbone(
        vocabulary_size=VOCAB + 1, num_layers=1, num_heads=2, hidden_dim=WIDTH,
        intermediate_dim=32, max_sequence_length=LENGTH)
    with pytest.raises(ElectraError, match="vocabulary_size=61"):
        ElectraPretrainer(backbone("bert"), generator, embedding_sharing="untied", **SPECIAL)


def test_electric_needs_electra_backbones():
    with pytest.raises(ElectraError, match="only `ElectraBackbone`"):
        ElectraPretrainer(backbone("bert"), backbone("bert", 1), objective="electric", **SPECIAL)


def test_mixing_electra_and_other_backbones_is_an_error():
    electra = ElectraBackbone(vocabulary_size=VOCAB, num_layers=1, num_heads=2,
                              hidden_dim=WIDTH, intermediate_dim=32, max_sequence_length=LENGTH)
    with pytest.raises(ElectraError, match="ElectraBackbone"):
        ElectraPretrainer(backbone("bert"), electra, **SPECIAL)
    with pytest.raises(ValueError, match="ElectraBackbone"):
        ElectraPretrainer(electra, backbone("bert"), **SPECIAL)


def _custom_backbone(inputs, outputs):
    return keras_hub.models.Backbone(inputs=inputs, outputs=outputs)


def test_what_a_backbone_lacks_is_named():
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    padding_mask = keras.Input((None,), dtype="int32", name="padding_mask")
    table = keras.layers.ReversibleEmbedding(VOCAB, 8, name="token_embedding")
    x = table(token_ids)
    no_mask = _custom_backbone({"token_ids": token_ids}, x)
    no_mask.token_embedding = table
    with pytest.raises(ElectraError, match=r"missing \['padding_mask'\]"):
        EncoderAdapter(no_mask)
    pooled_only = _custom_backbone({"token_ids": token_ids, "padding_mask": padding_mask},
                                   {"pooled_output": x[:, 0]})
    with pytest.raises(ElectraError, match="no `sequence_output`"):
        EncoderAdapter(pooled_only)
    no_table = _custom_backbone({"token_ids": token_ids, "padding_mask": padding_mask}, x)
    with pytest.raises(ElectraError, match="no token embedding to share"):
        EncoderAdapter(no_table)
    # `token_ids` also reach the output without the table: nothing to swap in.
    side = keras.layers.Embedding(VOCAB, 8, name="side")(token_ids)
    bypass = _custom_backbone({"token_ids": token_ids, "padding_mask": padding_mask},
                              keras.layers.Add()([x, side]))
    bypass.token_embedding = table
    with pytest.raises(ElectraError, match="other than\\s+through its token embedding"):
        EncoderAdapter(bypass)
    with pytest.raises(ElectraError, match="not a keras-hub `Backbone`"):
        EncoderAdapter(keras.Model({"token_ids": token_ids, "padding_mask": padding_mask}, x))
