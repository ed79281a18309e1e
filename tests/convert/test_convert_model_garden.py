"""Model Garden ElectraPretrainer checkpoints in and out, against Model Garden's own classes."""

import json
import os

import keras
import numpy as np
import pytest

from keras_electra.cli.main import main
from tests.convert import tf2_helpers as h

pytestmark = h.one_pass

VOCAB_SIZE = 120  # the original special ids (101-103) fit
FORCED_TOKEN = 7


def model_garden_pretrainer(tie, seed=0):
    """Model Garden's ElectraPretrainer as its ELECTRA task builds it, with the exact GELU.

    `tie`: Model Garden's `tie_embeddings` (the generator reuses the
    discriminator's word-embedding layer).
    """
    tf, tf_keras, networks, models, tf_utils = h.import_model_garden()
    gelu = h.exact_gelu()
    discriminator = h.bert_encoder(networks, tf_utils, hidden=16, embedding=8, heads=2,
                                   vocab_size=VOCAB_SIZE)
    generator = h.bert_encoder(networks, tf_utils, hidden=8, embedding=8, heads=1, vocab_size=VOCAB_SIZE,
                               embedding_layer=discriminator.get_embedding_layer() if tie else None)
    pretrainer = models.ElectraPretrainer(
        generator_network=generator, discriminator_network=discriminator, vocab_size=VOCAB_SIZE,
        num_classes=2, num_token_predictions=3, mlm_activation=gelu,
        mlm_initializer=tf_keras.initializers.TruncatedNormal(stddev=0.02))
    pretrainer(batch()[0])
    h.randomize(pretrainer.variables, seed)
    # A large output bias on one token makes both models' Gumbel sampling pick it,
    # so the discriminators see the same replaced tokens.
    bias = pretrainer.masked_lm.bias.numpy()
    bias[FORCED_TOKEN] += 40.0
    pretrainer.masked_lm.bias.assign(bias)
    return pretrainer


def batch():
    """A pre-masked batch: Model Garden's inputs and ours (same masked positions)."""
    ids, mask, segments = h.inputs(length=10, vocab_size=VOCAB_SIZE)
    ids[:, 0] = 101
    positions = np.array([[1, 4, 6], [2, 3, 5]], "int32")
    targets = np.take_along_axis(ids, positions, 1)
    masked = ids.copy()
    np.put_along_axis(masked, positions, 103, 1)
    theirs = dict(input_word_ids=masked, input_mask=mask, input_type_ids=segments,
                  masked_lm_positions=positions, masked_lm_ids=targets)
    ours = {"token_ids": masked, "segment_ids": segments, "padding_mask": mask,
            "masked_lm_positions": positions, "masked_lm_ids": targets}
    return theirs, ours


def compare(ours_model, theirs_outputs):
    out = ours_model(batch()[1])
    disc_label = keras.ops.convert_to_numpy(out["disc_label"])
    np.testing.assert_array_equal(disc_label, theirs_outputs["disc_label"].numpy())
    assert disc_label.sum() == 6  # every masked position was replaced by the forced token
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["lm_outputs"]),
                               theirs_outputs["lm_outputs"].numpy(), atol=1e-4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["disc_logits"]),
                               theirs_outputs["disc_logits"].numpy(), atol=1e-4)


@pytest.mark.parametrize("tie", [False, True], ids=["untied", "tied"])
def test_model_garden_checkpoint_in_and_out(tmp_path, tie):
    import tensorflow as tf

    from keras_electra.convert import load_model_garden_pretrainer
    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraMaskedLM

    garden = model_garden_pretrainer(tie)
    theirs_batch = batch()[0]
    reference = garden(theirs_batch)
    # How Model Garden's trainer checkpoints: the model plus its checkpoint_items.
    tf.train.Checkpoint(model=garden, **garden.checkpoint_items).save(str(tmp_path / "mg" / "ckpt"))

    ours = load_model_garden_pretrainer(str(tmp_path / "mg"))
    compare(ours, reference)

    # Into presets: discriminator backbone (+ RTD head), generator ElectraMaskedLM, pretrainer.
    out = str(tmp_path / "keras")
    assert main(["convert", "--from", "model-garden", str(tmp_path / "mg"), "--out", out]) == 0
    ids, mask, segments = (theirs_batch[k] for k in ("input_word_ids", "input_mask", "input_type_ids"))
    x = {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}
    keep = mask.astype(bool)
    discriminator = ElectraBackbone.from_preset(os.path.join(out, "discriminator"))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(discriminator(x)["sequence_output"])[keep],
        garden.discriminator_network([ids, mask, segments])["sequence_output"].numpy()[keep], atol=1e-4)
    generator = ElectraMaskedLM.from_preset(os.path.join(out, "generator"))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(generator.backbone(x)["sequence_output"])[keep],
        garden.generator_network([ids, mask, segments])["sequence_output"].numpy()[keep], atol=1e-4)
    from keras_electra.convert import load_pretrainer

    compare(load_pretrainer(os.path.join(out, "pretrainer")), reference)

    # And back out: Model Garden's own class, built independently from the written
    # config, restores the checkpoint and gives the same outputs.
    back = str(tmp_path / "mg_again")
    assert main(["convert", "--from", "keras", os.path.join(out, "pretrainer"), "--to", "model-garden",
                 "--out", back]) == 0
    config = json.load(open(os.path.join(back, "model_garden_config.json")))
    _, _, networks, models, tf_utils = h.import_model_garden()
    gelu = h.exact_gelu()
    disc = networks.BertEncoder(**config["discriminator"], inner_activation=gelu, dict_outputs=True)
    gen = networks.BertEncoder(**config["generator"], inner_activation=gelu, dict_outputs=True,
                               embedding_layer=disc.get_embedding_layer() if config["tie_embeddings"] else None)
    restored = models.ElectraPretrainer(generator_network=gen, discriminator_network=disc,
                                        vocab_size=VOCAB_SIZE, num_classes=2, num_token_predictions=3,
                                        mlm_activation=gelu)
    restored(theirs_batch)
    status = tf.train.Checkpoint(model=restored).read(tf.train.latest_checkpoint(back))
    status.assert_existing_objects_matched()
    again = restored(theirs_batch)
    np.testing.assert_allclose(again["lm_outputs"].numpy(), reference["lm_outputs"].numpy(), atol=1e-4)
    np.testing.assert_allclose(again["disc_logits"].numpy(), reference["disc_logits"].numpy(), atol=1e-4)


def test_not_a_pretrainer_checkpoint(tmp_path):
    import tensorflow as tf

    from keras_electra.convert import load_model_garden_pretrainer
    from keras_electra.convert.weights import ConversionError

    _, _, networks, _, tf_utils = h.import_model_garden()
    encoder = h.bert_encoder(networks, tf_utils)
    tf.train.Checkpoint(encoder=encoder).save(str(tmp_path / "enc" / "ckpt"))
    with pytest.raises(ConversionError, match="not a Model Garden ElectraPretrainer checkpoint"):
        load_model_garden_pretrainer(str(tmp_path / "enc"))
    with pytest.raises(ConversionError, match="does not exist"):
        load_model_garden_pretrainer(str(tmp_path / "missing" / "ckpt-1"))


def test_training_checkpoint_with_optimizer_and_without_encoder_alias(tmp_path):
    """A checkpoint saved as Checkpoint(model=..., optimizer=...) after a training step."""
    import tensorflow as tf
    import tf_keras

    from keras_electra.convert import load_model_garden_pretrainer

    garden = model_garden_pretrainer(tie=False, seed=3)
    optimizer = tf_keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:
        outputs = garden(batch()[0])
        loss = tf.reduce_sum(outputs["lm_outputs"]) + tf.reduce_sum(outputs["disc_logits"])
    variables = garden.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    reference = garden(batch()[0])
    tf.train.Checkpoint(model=garden, optimizer=optimizer).save(str(tmp_path / "mg" / "ckpt"))
    compare(load_model_garden_pretrainer(str(tmp_path / "mg")), reference)
