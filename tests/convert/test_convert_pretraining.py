"""Pretraining heads: ElectraForPreTraining / ElectraForMaskedLM <-> discriminator + RTD head /
ElectraMaskedLM, and TF1 checkpoints -> discriminator, generator and a full ElectraPretrainer."""

import os

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.cli.main import main  # noqa: E402
from keras_electra.convert import ConversionError  # noqa: E402
from keras_electra.convert import export_to_transformers  # noqa: E402
from keras_electra.convert import load_discriminator_head  # noqa: E402
from keras_electra.convert import load_pretrainer  # noqa: E402
from keras_electra.convert import tf1  # noqa: E402
from keras_electra.convert import transformers as hf  # noqa: E402
from keras_electra.utils.safetensors_io import read_safetensors  # noqa: E402
from keras_electra.utils.safetensors_io import write_safetensors  # noqa: E402
from keras_electra.models import ElectraBackbone  # noqa: E402
from keras_electra.tasks import ElectraMaskedLM  # noqa: E402
from tests.conftest import requires_tf  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(h.VOCAB_SIZE - 5)]


def save(model, path, vocab=False):
    model.save_pretrained(str(path))
    if vocab:
        with open(os.path.join(str(path), "vocab.txt"), "w") as f:
            f.write("\n".join(VOCAB) + "\n")
    return str(path)


def rtd_logits(backbone, head, x):
    return keras.ops.convert_to_numpy(head(backbone(x)["sequence_output"]))


def mlm_inputs(x):
    """Every position is a prediction slot; one segment, as ElectraMaskedLM takes it."""
    positions = np.tile(np.arange(x["token_ids"].shape[1], dtype="int32"), (len(x["token_ids"]), 1))
    return {"token_ids": x["token_ids"], "padding_mask": x["padding_mask"], "mask_positions": positions}


def single_segment(x):
    return dict(x, segment_ids=np.zeros_like(x["segment_ids"]))


def hf_logits(model, x):
    with torch.no_grad():
        return model(**h.torch_inputs(x)).logits.numpy()


def test_electra_for_pretraining_to_discriminator_and_head_and_back(tmp_path):
    torch.manual_seed(0)
    model = transformers.ElectraForPreTraining(h.electra_config()).eval()
    path = save(model, tmp_path / "hf", vocab=True)
    out = str(tmp_path / "keras")
    hf.convert_checkpoint(path, out)
    backbone = ElectraBackbone.from_preset(out)  # still a plain backbone preset
    head = load_discriminator_head(out, backbone)
    x = h.inputs()
    expected = hf_logits(model, x)
    h.assert_close_on_tokens(rtd_logits(backbone, head, x), expected, x["padding_mask"])

    back = str(tmp_path / "back")
    assert main(["convert", "--from", "keras", out, "--to", "transformers", "--out", back]) == 0
    reloaded = transformers.ElectraForPreTraining.from_pretrained(back).eval()
    h.assert_close_on_tokens(hf_logits(reloaded, x), expected, x["padding_mask"])
    assert open(os.path.join(back, "vocab.txt")).read().split() == VOCAB


def test_electra_for_masked_lm_to_masked_lm_task_and_back(tmp_path):
    torch.manual_seed(0)
    model = transformers.ElectraForMaskedLM(h.electra_config()).eval()
    path = save(model, tmp_path / "hf", vocab=True)
    out = str(tmp_path / "keras")
    assert main(["convert", "--from", "transformers", path, "--out", out]) == 0
    masked_lm = ElectraMaskedLM.from_preset(out)
    assert masked_lm.preprocessor.tokenizer.get_vocabulary() == VOCAB
    x = single_segment(h.inputs())
    expected = hf_logits(model, x)
    ours = keras.ops.convert_to_numpy(masked_lm(mlm_inputs(x)))
    h.assert_close_on_tokens(ours, expected, x["padding_mask"])

    back = str(tmp_path / "back")
    export_to_transformers(masked_lm, back)
    reloaded = transformers.ElectraForMaskedLM.from_pretrained(back).eval()
    h.assert_close_on_tokens(hf_logits(reloaded, x), expected, x["padding_mask"])


def test_pretraining_heads_are_strict(tmp_path):
    torch.manual_seed(0)
    path = save(transformers.ElectraForMaskedLM(h.electra_config()).eval(), tmp_path / "mlm")
    file = os.path.join(path, "model.safetensors")
    tensors = read_safetensors(file)
    untied = dict(tensors, **{"generator_lm_head.weight": tensors["electra.embeddings.word_embeddings.weight"] + 1})
    write_safetensors(file, untied)
    with pytest.raises(ConversionError, match="generator_lm_head.weight differs"):
        hf.load_masked_lm(path)
    broken = dict(tensors)
    del broken["generator_predictions.dense.bias"]
    write_safetensors(file, broken)
    with pytest.raises(ConversionError, match="generator_predictions.dense.bias"):
        hf.load_masked_lm(path)
    torch.manual_seed(0)
    path = save(transformers.ElectraForPreTraining(h.electra_config()).eval(), tmp_path / "disc")
    file = os.path.join(path, "model.safetensors")
    tensors = read_safetensors(file)
    tensors["discriminator_predictions.dense_prediction.weight"] = np.zeros((2, h.HIDDEN), "float32")
    write_safetensors(file, tensors)
    with pytest.raises(ConversionError, match=r"discriminator_predictions/dense_1/kernel \(checkpoint"):
        hf.load_discriminator(path)


@requires_tf
def test_tf1_discriminator_generator_and_full_pretrainer(tmp_path):
    from tests.convert.test_convert_tf1 import gelu
    from tests.convert.test_convert_tf1 import layer_norm
    from tests.convert.test_convert_tf1 import original_forward
    from tests.convert.test_convert_tf1 import original_variables
    from tests.convert.test_convert_tf1 import write_checkpoint

    variables = original_variables(np.random.default_rng(0))
    prefix = write_checkpoint(variables, str(tmp_path / "model.ckpt"))
    with open(str(tmp_path / "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    out = str(tmp_path / "out")
    assert main(["convert", "--from", "tf1", prefix, "--out", out, "--num-heads", "2"]) == 0
    v = variables
    x = single_segment(h.inputs())

    # Discriminator + RTD head, against the original graph in numpy.
    disc_hidden = original_forward(v, "electra", 2, x)
    d = "discriminator_predictions/"
    expected_rtd = (gelu(disc_hidden @ v[d + "dense/kernel"] + v[d + "dense/bias"])
                    @ v[d + "dense_1/kernel"] + v[d + "dense_1/bias"])[..., 0]
    disc_dir = os.path.join(out, "discriminator")
    backbone = ElectraBackbone.from_preset(disc_dir)
    head = load_discriminator_head(disc_dir, backbone)
    h.assert_close_on_tokens(rtd_logits(backbone, head, x), expected_rtd, x["padding_mask"])

    # Generator as ElectraMaskedLM: tied output matrix is electra/embeddings/word_embeddings.
    gen_hidden = original_forward(v, "generator", 1, x)
    g = "generator_predictions/"
    z = layer_norm(gelu(gen_hidden @ v[g + "dense/kernel"] + v[g + "dense/bias"]),
                   v[g + "LayerNorm/gamma"], v[g + "LayerNorm/beta"])
    expected_mlm = z @ v["electra/embeddings/word_embeddings"].T + v[g + "output_bias"]
    masked_lm = ElectraMaskedLM.from_preset(os.path.join(out, "generator"))
    ours = keras.ops.convert_to_numpy(masked_lm(mlm_inputs(x)))
    h.assert_close_on_tokens(ours, expected_mlm, x["padding_mask"])

    # The full pretrainer: same towers and heads, shared embeddings, and it trains on.
    pretrainer = load_pretrainer(os.path.join(out, "pretrainer"))
    assert pretrainer.generator.embeddings is pretrainer.discriminator.embeddings
    assert pretrainer.mask_token_id == VOCAB.index("[MASK]")
    hidden = pretrainer.discriminator(x)["sequence_output"]
    h.assert_close_on_tokens(keras.ops.convert_to_numpy(pretrainer.discriminator_head(hidden)),
                             expected_rtd, x["padding_mask"])
    gen = pretrainer.generator(x)["sequence_output"]
    h.assert_close_on_tokens(keras.ops.convert_to_numpy(pretrainer.generator_head(gen)),
                             expected_mlm, x["padding_mask"])


@requires_tf
@pytest.mark.slow
def test_tf1_pretrainer_continues_pretraining(tmp_path):
    from tests.convert.test_convert_tf1 import original_variables
    from tests.convert.test_convert_tf1 import write_checkpoint

    prefix = write_checkpoint(original_variables(np.random.default_rng(0)), str(tmp_path / "model.ckpt"))
    with open(str(tmp_path / "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    tf1.convert_checkpoint(prefix, str(tmp_path / "out"), num_heads=2)
    pretrainer = load_pretrainer(str(tmp_path / "out" / "pretrainer"))
    before = keras.ops.convert_to_numpy(pretrainer.discriminator_head.dense.kernel)
    pretrainer.compile(optimizer=keras.optimizers.Adam(1e-3))
    ids = np.random.default_rng(1).integers(5, h.VOCAB_SIZE, (4, 16)).astype("int32")
    ids[:, 0], ids[:, -1] = 2, 3
    batch = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}
    history = pretrainer.fit(batch, batch_size=4, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    after = keras.ops.convert_to_numpy(pretrainer.discriminator_head.dense.kernel)
    assert not np.allclose(before, after)  # the converted weights are what trains


@requires_tf
def test_tf1_partial_head_is_named(tmp_path):
    from tests.convert.test_convert_tf1 import original_variables
    from tests.convert.test_convert_tf1 import write_checkpoint

    variables = original_variables(np.random.default_rng(0))
    del variables["discriminator_predictions/dense_1/bias"]
    prefix = write_checkpoint(variables, str(tmp_path / "model.ckpt"))
    with pytest.raises(ConversionError, match="discriminator_predictions/dense_1/bias"):
        tf1.convert_checkpoint(prefix, str(tmp_path / "out"), num_heads=2)
    assert not os.path.exists(str(tmp_path / "out"))  # nothing half-written
