import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs


def run(backbone, inputs):
    return {k: keras.ops.convert_to_numpy(v) for k, v in backbone(inputs).items()}


def test_output_shapes_and_pooled_is_cls():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    out = run(backbone, tiny_inputs())
    assert out["sequence_output"].shape == (2, 8, 16)
    assert out["pooled_output"].shape == (2, 16)
    np.testing.assert_array_equal(out["pooled_output"], out["sequence_output"][:, 0])


def test_projection_only_when_dims_differ():
    assert ElectraBackbone(**tiny_backbone_kwargs()).embeddings_projection is not None
    same = ElectraBackbone(**tiny_backbone_kwargs(embedding_dim=None))
    assert same.embeddings_projection is None and same.embedding_dim == 16


def test_exact_gelu_and_defaults():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    layer = backbone.transformer_layers[0]
    assert layer.activation is keras.activations.gelu  # erf GELU, not tanh
    assert backbone.layer_norm_epsilon == 1e-12
    assert backbone.dropout == 0.1 and backbone.num_segments == 2


def test_config_round_trip():
    backbone = ElectraBackbone(**tiny_backbone_kwargs(
        dropout=0.0, num_segments=3, layer_norm_epsilon=1e-6,
        initializer_range=0.01, attention_direction="right_to_left"))
    config = backbone.get_config()
    restored = ElectraBackbone.from_config(config)
    assert restored.get_config() == config
    for key, value in tiny_backbone_kwargs().items():
        assert config[key] == value


def test_padding_does_not_change_real_tokens():
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    inputs = tiny_inputs(batch_size=1, sequence_length=6)
    padded = {k: np.concatenate([v, np.zeros((1, 4), "int32")], 1) for k, v in inputs.items()}
    a = run(backbone, inputs)["sequence_output"]
    b = run(backbone, padded)["sequence_output"][:, :6]
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("direction,future", [("left_to_right", True), ("right_to_left", False)])
def test_directional_attention_ignores_the_other_side(direction, future):
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0, attention_direction=direction))
    inputs = tiny_inputs(batch_size=1, sequence_length=8)
    inputs["padding_mask"][:] = 1
    changed = {k: v.copy() for k, v in inputs.items()}
    t = 4
    if future:
        changed["token_ids"][0, t + 1 :] = 7
        unaffected = slice(0, t + 1)
    else:
        changed["token_ids"][0, :t] = 7
        unaffected = slice(t, None)
    a = run(backbone, inputs)["sequence_output"][0, unaffected]
    b = run(backbone, changed)["sequence_output"][0, unaffected]
    np.testing.assert_allclose(a, b, atol=1e-5)
    full_a = run(backbone, inputs)["sequence_output"]
    full_b = run(backbone, changed)["sequence_output"]
    assert np.abs(full_a - full_b).max() > 1e-4  # the changed side does move


def test_shared_embedding_layer_ties_variables():
    first = ElectraBackbone(**tiny_backbone_kwargs())
    second = ElectraBackbone(**tiny_backbone_kwargs(hidden_dim=8, intermediate_dim=16,
                                                    num_heads=1),
                             embedding_layer=first.embeddings)
    assert second.embeddings is first.embeddings
    assert second.token_embedding.embeddings is first.token_embedding.embeddings
    assert second.embeddings_projection is not first.embeddings_projection


def test_shared_embedding_layer_must_match():
    first = ElectraBackbone(**tiny_backbone_kwargs())
    with pytest.raises(ValueError, match="embedding_dim"):
        ElectraBackbone(**tiny_backbone_kwargs(embedding_dim=4), embedding_layer=first.embeddings)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision(policy):
    if policy == "mixed_float16" and keras.config.backend() == "jax":
        pass  # float16 matmuls run on CPU under jax too
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dtype=policy))
    out = backbone(tiny_inputs())
    assert keras.backend.standardize_dtype(out["sequence_output"].dtype) == policy.split("_")[1]
    assert backbone.token_embedding.embeddings.dtype == "float32"
    assert np.isfinite(keras.ops.convert_to_numpy(keras.ops.cast(out["sequence_output"], "float32"))).all()


def test_fit_one_step_with_flash_attention_flag_off():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    inputs = tiny_inputs()
    head = keras.layers.Dense(2, name="head")
    x = head(backbone.output["pooled_output"])
    model = keras.Model(backbone.input, x)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=keras.config.backend() != "torch")
    history = model.fit(inputs, np.array([0, 1]), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


class TestBadInput:
    def setup_method(self):
        self.backbone = ElectraBackbone(**tiny_backbone_kwargs())

    def test_token_id_out_of_range(self):
        inputs = tiny_inputs()
        inputs["token_ids"][0, 3] = 999
        with pytest.raises(ValueError, match=r"token_ids.*\[0, 25\).*999"):
            self.backbone(inputs)

    def test_negative_token_id(self):
        inputs = tiny_inputs()
        inputs["token_ids"][1, 1] = -1
        with pytest.raises(ValueError, match="token_ids"):
            self.backbone(inputs)

    def test_segment_id_out_of_range(self):
        inputs = tiny_inputs()
        inputs["segment_ids"][0, 0] = 2
        with pytest.raises(ValueError, match="segment_ids"):
            self.backbone(inputs)

    def test_too_long(self):
        inputs = tiny_inputs(sequence_length=40)
        with pytest.raises(ValueError, match="max_sequence_length=32"):
            self.backbone(inputs)

    def test_mismatched_shapes(self):
        inputs = tiny_inputs()
        inputs["padding_mask"] = inputs["padding_mask"][:, :5]
        with pytest.raises(ValueError, match="sequence length"):
            self.backbone(inputs)

    def test_missing_key(self):
        inputs = tiny_inputs()
        del inputs["segment_ids"]
        with pytest.raises(ValueError, match="Missing: \\['segment_ids'\\]"):
            self.backbone(inputs)

    def test_bad_constructor_arguments(self):
        with pytest.raises(ValueError, match="divisible"):
            ElectraBackbone(**tiny_backbone_kwargs(num_heads=3))
        with pytest.raises(ValueError, match="attention_direction"):
            ElectraBackbone(**tiny_backbone_kwargs(attention_direction="up"))


CROSS_BACKEND_SCRIPT = """
import sys, numpy as np
from keras_electra.models import ElectraBackbone
import keras
inputs = dict(np.load(sys.argv[2]))
backbone = ElectraBackbone.from_preset(sys.argv[1])
np.save(sys.argv[3], keras.ops.convert_to_numpy(backbone(inputs)["sequence_output"]))
"""


def _installed(backend):
    module = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}[backend]
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(keras.config.backend() != "jax", reason="spawns every backend itself; run once")
def test_preset_gives_same_outputs_on_every_backend(tmp_path):
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    preset = str(tmp_path / "preset")
    backbone.save_to_preset(preset)
    inputs = tiny_inputs(batch_size=3, sequence_length=12)
    np.savez(tmp_path / "inputs.npz", **inputs)
    outputs = {}
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    for backend in ("jax", "tensorflow", "torch"):
        if not _installed(backend):
            continue
        out = str(tmp_path / f"{backend}.npy")
        env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=root)
        subprocess.run([sys.executable, "-c", CROSS_BACKEND_SCRIPT, preset,
                        str(tmp_path / "inputs.npz"), out], check=True, env=env)
        outputs[backend] = np.load(out)
    assert len(outputs) >= 2
    reference = run(backbone, inputs)["sequence_output"]
    for backend, value in outputs.items():
        np.testing.assert_allclose(value, reference, atol=1e-5, rtol=0, err_msg=backend)


def test_flash_attention_flag_gives_same_outputs():
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    inputs = tiny_inputs()
    reference = run(backbone, inputs)["sequence_output"]
    keras.config.enable_flash_attention()
    try:
        flash = ElectraBackbone.from_config(backbone.get_config())
        flash.set_weights(backbone.get_weights())
        out = run(flash, inputs)["sequence_output"]
    finally:
        keras.config.disable_flash_attention()
    np.testing.assert_allclose(out, reference, atol=1e-5)
