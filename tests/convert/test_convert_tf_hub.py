"""TF Hub ELECTRA SavedModels in and out, against Model Garden's BertEncoder and tensorflow_hub."""

import os

import keras
import numpy as np
import pytest

from keras_electra.cli.main import main
from keras_electra.convert.weights import ConversionError
from keras_electra.models.preset_loading import POOLER_HEAD_FILE
from tests.convert import tf2_helpers as h

pytestmark = h.one_pass


def hub_saved_model(path, tmp_path, lowercase=False, identity=True, seed=0, model_garden_gelu=False,
                    scale=0.1):
    """A SavedModel built as Model Garden's export_tfhub_lib builds the TF Hub ELECTRAs.

    BertEncoder with the identity pooler (ELECTRA has none), the vocabulary as
    an Asset and do_lower_case as a Variable, saved by tf-keras in the TF format.
    """
    tf, tf_keras, networks, _, tf_utils = h.import_model_garden()
    encoder = h.bert_encoder(networks, tf_utils, model_garden_gelu=model_garden_gelu)
    h.randomize(encoder.variables, seed, scale)
    if identity:
        encoder.pooler_layer.kernel.assign(np.eye(16, dtype="float32"))
        encoder.pooler_layer.bias.assign(np.zeros(16, "float32"))
    # export_tfhub_lib._create_model: a dict of the encoder's named inputs.
    encoder_inputs = {x.name: x for x in encoder.inputs}
    core = tf_keras.Model(inputs=encoder_inputs, outputs=encoder(encoder_inputs))
    vocab = os.path.join(str(tmp_path), "vocab_for_hub.txt")
    with open(vocab, "w") as f:
        f.write("\n".join(h.VOCAB) + "\n")
    core.vocab_file = tf.saved_model.Asset(vocab)
    core.do_lower_case = tf.Variable(lowercase, trainable=False)
    core.save(path, include_optimizer=False, save_format="tf")
    return core


def reference_outputs(core, x):
    ids, mask, segments = x
    out = core(dict(input_word_ids=ids, input_mask=mask, input_type_ids=segments))
    return out["sequence_output"].numpy(), out["pooled_output"].numpy()


def our_outputs(backbone, x):
    ids, mask, segments = x
    out = backbone({"token_ids": ids, "segment_ids": segments, "padding_mask": mask})
    return (keras.ops.convert_to_numpy(out["sequence_output"]),
            keras.ops.convert_to_numpy(out["pooled_output"]))


def test_tf_hub_in_and_out(tmp_path, capsys):
    hub = pytest.importorskip("tensorflow_hub")
    import tensorflow as tf

    from keras_electra.models import ElectraBackbone
    from keras_electra.models import ElectraTokenizer

    source = str(tmp_path / "hub")
    core = hub_saved_model(source, tmp_path, lowercase=False)
    keras_dir = str(tmp_path / "keras")
    assert main(["convert", "--from", "tf-hub", source, "--out", keras_dir]) == 0
    log = capsys.readouterr().out
    assert "pooler_transform dropped" in log and "(cased)" in log
    backbone = ElectraBackbone.from_preset(keras_dir)
    tokenizer = ElectraTokenizer.from_preset(keras_dir)
    assert tokenizer.get_vocabulary() == h.VOCAB
    assert not tokenizer.lowercase  # do_lower_case=False recorded in the SavedModel
    x = h.inputs()
    keep = x[1].astype(bool)
    sequence, pooled = reference_outputs(core, x)
    ours_sequence, ours_pooled = our_outputs(backbone, x)
    np.testing.assert_allclose(ours_sequence[keep], sequence[keep], atol=1e-4)
    # The identity pooler is dropped: theirs is tanh([CLS]), ours the [CLS] vector.
    np.testing.assert_allclose(np.tanh(ours_pooled), pooled, atol=1e-4)

    # Out again, loaded by tensorflow_hub as a fine-tunable Keras layer.
    exported = str(tmp_path / "hub_again")
    assert main(["convert", "--from", "keras", keras_dir, "--to", "tf-hub", "--out", exported]) == 0
    layer = hub.KerasLayer(exported, trainable=True)
    ids, mask, segments = x
    out = layer([ids, mask, segments])
    np.testing.assert_allclose(out["sequence_output"].numpy()[keep], ours_sequence[keep], atol=1e-4)
    np.testing.assert_allclose(out["pooled_output"].numpy(), np.tanh(ours_pooled), atol=1e-4)
    loaded = tf.saved_model.load(exported)
    assert not bool(loaded.do_lower_case.numpy())
    with open(loaded.vocab_file.asset_path.numpy().decode()) as f:
        assert f.read().split() == h.VOCAB
    # Same variable names as Model Garden's BertEncoder (the format round-trips).
    reference_names = {v.name for v in core.variables if v is not core.do_lower_case}
    assert {v.name for v in layer.trainable_variables} == reference_names

    # One gradient step through the hub layer changes its variables.
    before = [v.numpy().copy() for v in layer.trainable_variables]
    with tf.GradientTape() as tape:
        out = layer([ids, mask, segments], training=True)
        loss = tf.reduce_sum(out["sequence_output"] ** 2) + tf.reduce_sum(out["pooled_output"])
    grads = tape.gradient(loss, layer.trainable_variables)
    assert all(g is not None for g in grads)
    for variable, grad in zip(layer.trainable_variables, grads):
        variable.assign_sub(0.1 * tf.convert_to_tensor(grad))
    unchanged = [v.name for b, v in zip(before, layer.trainable_variables) if np.allclose(b, v.numpy())]
    # Key biases shift every score of a query equally: softmax gives them no gradient.
    assert sorted(unchanged) == [f"transformer/layer_{i}/self_attention/key/bias:0" for i in range(2)]

    # The export converts back to the same backbone.
    again = str(tmp_path / "keras_again")
    assert main(["convert", "--from", "tf-hub", exported, "--out", again]) == 0
    np.testing.assert_allclose(our_outputs(ElectraBackbone.from_preset(again), x)[0][keep],
                               ours_sequence[keep], atol=1e-5)


def test_model_garden_tanh_gelu_is_recognised(tmp_path, caplog):
    """A SavedModel with Model Garden's own "gelu" (tanh approximation), as the TF Hub ELECTRAs.

    The variables convert exactly: ours matches the same Model Garden BertEncoder
    with the exact GELU within 1e-4, and the conversion logs the GELU difference.
    """
    import logging

    from keras_electra.convert import tf_hub

    _, _, networks, _, tf_utils = h.import_model_garden()
    source = str(tmp_path / "hub")
    core = hub_saved_model(source, tmp_path, model_garden_gelu=True, seed=1, scale=0.3)
    with caplog.at_level(logging.INFO, logger="keras_electra.convert"):
        backbone = tf_hub.load_backbone(source)["backbone"]
    assert "tanh approximation of GELU" in caplog.text
    exact = h.bert_encoder(networks, tf_utils)
    x = h.inputs()
    exact([x[0], x[1], x[2]])
    named = {v.name: v for v in core.variables}
    for variable in exact.variables:
        variable.assign(named[variable.name])
    keep = x[1].astype(bool)
    reference = exact([x[0], x[1], x[2]])["sequence_output"].numpy()
    tanh_reference = reference_outputs(core, x)[0]
    ours = our_outputs(backbone, x)[0]
    np.testing.assert_allclose(ours[keep], reference[keep], atol=1e-4)
    assert np.abs(tanh_reference - reference)[keep].max() > 1e-4  # the two GELUs do differ here


def test_non_identity_pooler_is_refused_unless_kept(tmp_path, capsys):
    from keras_electra.convert import tf_hub
    from keras_electra.utils.safetensors_io import read_safetensors

    source = str(tmp_path / "hub")
    core = hub_saved_model(source, tmp_path, lowercase=True, identity=False)
    with pytest.raises(ConversionError, match="not the identity"):
        tf_hub.convert_saved_model(source, str(tmp_path / "refused"))
    assert not os.path.exists(tmp_path / "refused")
    out = str(tmp_path / "kept")
    assert main(["convert", "--from", "tf-hub", source, "--out", out, "--keep-pooler"]) == 0
    pooler = read_safetensors(os.path.join(out, POOLER_HEAD_FILE))
    kernel, bias = _pooler(core)
    np.testing.assert_array_equal(pooler["pooler/kernel"], kernel)
    np.testing.assert_array_equal(pooler["pooler/bias"], bias)
    # Refuses to overwrite without --overwrite, and leaves the output as it was.
    assert main(["convert", "--from", "tf-hub", source, "--out", out, "--keep-pooler"]) == 2
    assert "--overwrite" in capsys.readouterr().err


def _pooler(core):
    named = {v.name: v.numpy() for v in core.variables}
    return named["pooler_transform/kernel:0"], named["pooler_transform/bias:0"]


def test_strict_about_unknown_variables(tmp_path):
    from keras_electra.convert import model_garden

    with pytest.raises(ConversionError, match="not part of a Model Garden BertEncoder: extra/kernel"):
        model_garden.encoder_weights({"extra/kernel": np.zeros(2),
                                      "transformer/layer_0/output/kernel": np.zeros((2, 2))}, "The test")


def test_cli_refuses_mismatched_formats(tmp_path, capsys):
    assert main(["convert", "--from", "transformers", "x", "--to", "tf-hub", "--out", str(tmp_path / "o")]) == 2
    assert "--to tf-hub needs --from keras" in capsys.readouterr().err
    source = tmp_path / "not_a_pretrainer"
    source.mkdir()
    assert main(["convert", "--from", "keras", str(source), "--to", "model-garden",
                 "--out", str(tmp_path / "o")]) == 2
    assert "pretrainer.json" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "o")
