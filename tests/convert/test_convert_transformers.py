"""transformers ELECTRA/BERT checkpoints -> ElectraBackbone, against transformers itself."""

import json
import math
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.convert import transformers as hf  # noqa: E402
from keras_electra.utils.safetensors_io import CheckpointFileError  # noqa: E402
from keras_electra.utils.safetensors_io import read_safetensors  # noqa: E402
from keras_electra.utils.safetensors_io import write_safetensors  # noqa: E402
from keras_electra.convert.weights import ConversionError  # noqa: E402
from keras_electra.models import ElectraBackbone  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402


def save(model, path):
    model.save_pretrained(str(path))
    return str(path)


def gelu(z):
    return 0.5 * z * (1 + np.vectorize(math.erf)(z / np.sqrt(2)))


def layer_norm(z, gamma, beta):
    mu, var = z.mean(-1, keepdims=True), z.var(-1, keepdims=True)
    return (z - mu) / np.sqrt(var + 1e-12) * gamma + beta


def reference_hidden(model, x):
    with torch.no_grad():
        out = model(**h.torch_inputs(x), output_hidden_states=True)
    return out.hidden_states[-1].numpy()


@pytest.mark.parametrize("embedding_size", [h.EMBED, h.HIDDEN])
def test_electra_model_matches_transformers(tmp_path, embedding_size):
    torch.manual_seed(0)
    model = transformers.ElectraModel(h.electra_config(embedding_size)).eval()
    backbone = ElectraBackbone.from_preset(save(model, tmp_path / "m"))
    assert backbone.embedding_dim == embedding_size
    assert (backbone.embeddings_projection is None) == (embedding_size == h.HIDDEN)
    x = h.inputs()
    np.testing.assert_allclose(h.sequence_output(backbone, x), reference_hidden(model, x), atol=1e-4)


def test_electra_for_pretraining_and_heads(tmp_path, caplog):
    torch.manual_seed(0)
    model = transformers.ElectraForPreTraining(h.electra_config()).eval()
    path = save(model, tmp_path / "m")
    with caplog.at_level("INFO", logger="keras_electra.convert"):
        backbone = hf.load_backbone(path)
    assert "discriminator_predictions.dense.weight" in caplog.text  # reported, not loaded
    x = h.inputs()
    hidden = reference_hidden(model, x)
    np.testing.assert_allclose(h.sequence_output(backbone, x), hidden, atol=1e-4)
    # The numpy head weights reproduce transformers' discriminator logits.
    heads = hf.extract_head_weights(read_safetensors(os.path.join(path, "model.safetensors")),
                                    "discriminator_predictions")
    d = lambda n: heads[f"discriminator_predictions/{n}"]  # noqa: E731
    z = hidden @ d("dense/kernel") + d("dense/bias")
    z = gelu(z)
    logits = (z @ d("dense_1/kernel") + d("dense_1/bias"))[..., 0]
    with torch.no_grad():
        expected = model(**h.torch_inputs(x)).logits.numpy()
    np.testing.assert_allclose(logits, expected, atol=1e-4)


def test_electra_for_masked_lm_generator_head(tmp_path):
    torch.manual_seed(0)
    model = transformers.ElectraForMaskedLM(h.electra_config()).eval()
    path = save(model, tmp_path / "m")
    backbone = hf.load_backbone(path)
    x = h.inputs()
    hidden = reference_hidden(model, x)
    np.testing.assert_allclose(h.sequence_output(backbone, x), hidden, atol=1e-4)
    tensors = read_safetensors(os.path.join(path, "model.safetensors"))
    heads = hf.extract_head_weights(tensors, "generator_predictions")
    g = lambda n: heads[f"generator_predictions/{n}"]  # noqa: E731
    z = hidden @ g("dense/kernel") + g("dense/bias")
    z = layer_norm(gelu(z), g("LayerNorm/gamma"), g("LayerNorm/beta"))
    table = tensors["electra.embeddings.word_embeddings.weight"]
    logits = z @ table.T + g("output_bias")
    with torch.no_grad():
        expected = model(**h.torch_inputs(x)).logits.numpy()
    np.testing.assert_allclose(logits, expected, atol=1e-4)


@pytest.mark.parametrize("cls", ["BertModel", "BertForPreTraining"])
def test_bert_matches_transformers(tmp_path, cls):
    config = transformers.BertConfig(
        vocab_size=h.VOCAB_SIZE, hidden_size=h.HIDDEN, num_hidden_layers=h.LAYERS,
        num_attention_heads=h.HEADS, intermediate_size=h.INTER, max_position_embeddings=h.MAX_LEN,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.2,
    )
    torch.manual_seed(0)
    model = getattr(transformers, cls)(config).eval()
    path = save(model, tmp_path / "m")
    backbone = ElectraBackbone.from_preset(path)
    assert backbone.embedding_dim == backbone.hidden_dim
    x = h.inputs()
    hidden = reference_hidden(model, x)
    np.testing.assert_allclose(h.sequence_output(backbone, x), hidden, atol=1e-4)
    if cls == "BertForPreTraining":  # BERT's MLM head, extracted as the generator head layout
        tensors = read_safetensors(os.path.join(path, "model.safetensors"))
        g = hf.extract_head_weights(tensors, "bert_mlm")
        z = gelu(hidden @ g["generator_predictions/dense/kernel"] + g["generator_predictions/dense/bias"])
        z = layer_norm(z, g["generator_predictions/LayerNorm/gamma"], g["generator_predictions/LayerNorm/beta"])
        logits = z @ tensors["bert.embeddings.word_embeddings.weight"].T + g["generator_predictions/output_bias"]
        with torch.no_grad():
            expected = model(**h.torch_inputs(x)).prediction_logits.numpy()
        np.testing.assert_allclose(logits, expected, atol=1e-4)


def test_pytorch_bin_and_combined_layout(tmp_path):
    torch.manual_seed(0)
    model = transformers.ElectraModel(h.electra_config()).eval()
    path = tmp_path / "bin"
    path.mkdir()
    model.config.to_json_file(str(path / "config.json"))
    torch.save(model.state_dict(), str(path / "pytorch_model.bin"))  # the legacy format
    path = str(path)
    x = h.inputs()
    reference = reference_hidden(model, x)
    np.testing.assert_allclose(h.sequence_output(hf.load_backbone(path), x), reference, atol=1e-4)
    # A combined checkpoint: discriminator.* and generator.* side by side.
    combined = tmp_path / "combined"
    combined.mkdir()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    other = {f"generator.electra.{k}": np.zeros_like(v) for k, v in state.items()}
    write_safetensors(str(combined / "model.safetensors"),
                      {**{f"discriminator.electra.{k}": v for k, v in state.items()}, **other})
    model.config.to_json_file(str(combined / "config.json"))
    with pytest.raises(ConversionError, match="role="):
        hf.load_backbone(str(combined))
    backbone = hf.load_backbone(str(combined), role="discriminator")
    np.testing.assert_allclose(h.sequence_output(backbone, x), reference, atol=1e-4)


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = transformers.ElectraModel(h.electra_config())
    path = save(model, tmp_path / "m")
    return path, read_safetensors(os.path.join(path, "model.safetensors"))


def test_missing_unexpected_and_mismatched_names(checkpoint):
    path, tensors = checkpoint
    file = os.path.join(path, "model.safetensors")
    broken = dict(tensors)
    del broken["encoder.layer.1.output.dense.bias"]
    broken["encoder.layer.0.attention.self.rotary.weight"] = np.zeros(3, "float32")
    write_safetensors(file, broken)
    with pytest.raises(ConversionError) as e:
        hf.load_backbone(path)
    assert "encoder.layer.1.output.dense.bias" in str(e.value)
    assert "encoder.layer.0.attention.self.rotary.weight" in str(e.value)
    broken = dict(tensors)
    broken["encoder.layer.0.intermediate.dense.bias"] = np.zeros(31, "float32")
    write_safetensors(file, broken)
    with pytest.raises(ConversionError, match=r"encoder/layer_0/intermediate/dense/bias \(checkpoint \(31,\)"):
        hf.load_backbone(path)


def test_truncated_file_names_it(checkpoint):
    path, _ = checkpoint
    file = os.path.join(path, "model.safetensors")
    data = open(file, "rb").read()
    open(file, "wb").write(data[: len(data) // 2])
    with pytest.raises(CheckpointFileError, match="model.safetensors is truncated"):
        hf.load_backbone(path)


def test_unknown_model_type_and_architecture(checkpoint):
    path, _ = checkpoint
    config_path = os.path.join(path, "config.json")
    config = json.load(open(config_path))
    json.dump(dict(config, model_type="gpt2"), open(config_path, "w"))
    with pytest.raises(ConversionError, match="model_type='gpt2'"):
        ElectraBackbone.from_preset(path)
    json.dump(dict(config, architectures=["ElectraForCausalLM"]), open(config_path, "w"))
    with pytest.raises(ConversionError, match="ElectraForCausalLM"):
        ElectraBackbone.from_preset(path)
    json.dump(dict(config, hidden_act="gelu_new"), open(config_path, "w"))
    with pytest.raises(ConversionError, match="gelu_new"):
        ElectraBackbone.from_preset(path)


def test_hf_handle_offline_error_is_clear(monkeypatch, tmp_path):
    import socket

    from huggingface_hub import constants

    from keras_electra.models.preset_loading import PresetError

    with socket.socket() as s:  # a local port nobody listens on
        s.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE",
        endpoint + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with pytest.raises(PresetError, match="could not be reached.*keras-electra convert"):
        ElectraBackbone.from_preset("hf://google/electra-small-discriminator")
