"""The canonical weight layout, strict assignment and the numpy safetensors reader/writer."""

import keras
import numpy as np
import pytest

from keras_electra.convert import weights as w
from keras_electra.utils.safetensors_io import CheckpointFileError
from keras_electra.utils.safetensors_io import read_safetensors
from keras_electra.utils.safetensors_io import write_safetensors
from keras_electra.models import ElectraBackbone
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs


def test_get_set_round_trip_and_inference():
    source = ElectraBackbone(**tiny_backbone_kwargs())
    weights = w.get_backbone_weights(source)
    assert weights["encoder/layer_0/attention/self/query/kernel"].shape == (16, 16)
    assert weights["encoder/layer_0/attention/self/query/bias"].shape == (16,)
    kwargs = w.infer_backbone_kwargs(weights, num_heads=2)
    assert kwargs == {k: v for k, v in tiny_backbone_kwargs(num_segments=2).items()}
    assert w.infer_backbone_kwargs(weights)["num_heads"] == 1  # max(1, 16 // 64)
    target = ElectraBackbone(**tiny_backbone_kwargs())
    assigned = w.set_backbone_weights(target, weights)
    assert len(assigned) == len(target.weights)
    x = tiny_inputs()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(target(x)["sequence_output"]),
                               keras.ops.convert_to_numpy(source(x)["sequence_output"]), atol=1e-6)


def test_strict_assignment_errors():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    weights = w.get_backbone_weights(backbone)
    bad = dict(weights, extra=np.zeros(1))
    del bad["embeddings/LayerNorm/beta"]
    with pytest.raises(w.ConversionError, match="missing from the checkpoint: embeddings/LayerNorm/beta.*unexpected in the checkpoint: extra"):
        w.set_backbone_weights(backbone, bad)
    bad = dict(weights)
    bad["encoder/layer_1/attention/self/key/kernel"] = np.zeros((16, 8))
    with pytest.raises(w.ConversionError, match=r"encoder/layer_1/attention/self/key/kernel \(checkpoint \(16, 8\), model \(16, 2, 8\)\)"):
        w.set_backbone_weights(backbone, bad)


def test_variables_left_at_init_are_reported(monkeypatch):
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    weights = w.get_backbone_weights(backbone)
    full_table = w.backbone_variable_table

    def incomplete(b):  # a mapping that forgot one variable
        table = full_table(b)
        del table["encoder/layer_1/output/LayerNorm/beta"]
        return table

    monkeypatch.setattr(w, "backbone_variable_table", incomplete)
    del weights["encoder/layer_1/output/LayerNorm/beta"]
    with pytest.raises(w.ConversionError, match="left these model variables at their initial values: .*transformer_layer_1/feedforward_layer_norm/beta"):
        w.set_backbone_weights(backbone, weights)


def test_safetensors_round_trip_bf16_and_truncation(tmp_path):
    path = str(tmp_path / "t.safetensors")
    tensors = {"a": np.arange(6, dtype="float32").reshape(2, 3), "b": np.array([1, 2], "int64")}
    write_safetensors(path, tensors)
    back = read_safetensors(path)
    for k in tensors:
        np.testing.assert_array_equal(back[k], tensors[k])
    try:
        from safetensors.numpy import load_file  # the reference reader agrees
        np.testing.assert_array_equal(load_file(path)["a"], tensors["a"])
    except ImportError:
        pass
    # bfloat16: the top 16 bits of float32.
    import json, struct
    values = np.array([1.5, -2.25], "float32")
    raw = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    header = json.dumps({"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + raw)
    np.testing.assert_array_equal(read_safetensors(path)["x"], values)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + raw[:2])
    with pytest.raises(CheckpointFileError, match="t.safetensors is truncated: tensor x"):
        read_safetensors(path)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 1000) + b"{}")
    with pytest.raises(CheckpointFileError, match="t.safetensors is truncated"):
        read_safetensors(path)


def test_extract_named_strict():
    table = {"head/kernel": ("h.weight", np.transpose), "head/bias": ("h.bias", None)}
    out = w.extract_named({"h.weight": np.ones((2, 3)), "h.bias": np.zeros(2)}, table)
    assert out["head/kernel"].shape == (3, 2)
    with pytest.raises(w.ConversionError, match="h.bias"):
        w.extract_named({"h.weight": np.ones((2, 3))}, table)
    assert list(w.extract_named({"h.weight": np.ones((2, 3))}, table, strict=False)) == ["head/kernel"]
