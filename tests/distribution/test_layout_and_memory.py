import argparse
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_electra.cli.distribution_args import add_distribution_arguments
from keras_electra.cli.distribution_args import apply_distribution
from keras_electra.distribution import check_model_parallel
from keras_electra.distribution import configure_distribution
from keras_electra.distribution import electra_layout_rules
from keras_electra.distribution import layout_for_path
from keras_electra.distribution import num_train_steps
from keras_electra.distribution import parse_mesh_shape
from keras_electra.distribution import resolve_batch_sizes
from keras_electra.distribution.memory import electra_variable_shapes
from keras_electra.distribution.memory import estimate_memory
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.models.presets import PRESETS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = dict(vocabulary_size=30, num_layers=2, num_heads=4, hidden_dim=16,
            intermediate_dim=32, embedding_dim=8, max_sequence_length=12)


def test_analytic_shapes_equal_a_real_backbone():
    for embedding_dim in (8, 16):  # with and without the projection
        config = dict(TINY, embedding_dim=embedding_dim)
        backbone = ElectraBackbone(**config)
        real = {v.path: tuple(v.shape) for v in backbone.weights}
        assert electra_variable_shapes(config) == real


def test_analytic_parameter_counts_equal_released_checkpoints():
    # (The registry's small count, 13,548,800, is 65,792 = 256 * 257 above
    # the backbone's; it is left to the presets' owners.)
    for size in ("base", "large"):
        shapes = electra_variable_shapes(size)
        params = sum(int(np.prod(s)) for s in shapes.values())
        assert params == PRESETS[f"electra_{size}_discriminator_en"]["params"]


def test_rules_shard_the_right_weights_with_any_prefix():
    backbone = ElectraBackbone(**TINY)
    sharded = {v.path: layout_for_path(v.path) for v in backbone.weights}
    assert sharded["embeddings/token_embedding/embeddings"] == (None, "model")
    assert sharded["transformer_layer_1/self_attention_layer/key/kernel"] == (None, "model", None)
    assert sharded["transformer_layer_0/self_attention_layer/attention_output/kernel"] == ("model", None, None)
    assert sharded["transformer_layer_0/feedforward_intermediate_dense/kernel"] == (None, "model")
    assert sharded["transformer_layer_0/feedforward_output_dense/kernel"] == ("model", None)
    assert sharded["transformer_layer_0/feedforward_layer_norm/gamma"] is None
    for path, axes in sharded.items():  # each layout fits its variable's rank
        assert axes is None or len(axes) == len(dict((v.path, v.shape) for v in backbone.weights)[path])
    for prefix in ("generator/", "discriminator/", "a/b/"):
        for path, axes in sharded.items():
            assert layout_for_path(prefix + path) == axes
    assert layout_for_path("classifier/kernel") is None
    assert all(k.startswith("(?:.*/)?") for k in electra_layout_rules("mp"))
    assert layout_for_path("transformer_layer_0/feedforward_output_dense/kernel", "mp") == ("mp", None)


def test_check_model_parallel_names_the_bad_weight():
    check_model_parallel(electra_variable_shapes("base"), (1, 4))
    with pytest.raises(ValueError, match="query/kernel.*12"):
        check_model_parallel(electra_variable_shapes("base"), (1, 8))


def test_batch_helpers():
    assert resolve_batch_sizes(global_batch_size=256, num_replicas=8) == (256, 32)
    assert resolve_batch_sizes(per_replica_batch_size=32, num_replicas=8) == (256, 32)
    with pytest.raises(ValueError, match="multiple"):
        resolve_batch_sizes(global_batch_size=10, num_replicas=4)
    with pytest.raises(ValueError, match="per replica"):
        resolve_batch_sizes(global_batch_size=16, per_replica_batch_size=8, num_replicas=4)
    assert num_train_steps(1000, 32, epochs=3) == 93
    assert parse_mesh_shape("2,4") == parse_mesh_shape("2x4") == (2, 4)
    with pytest.raises(ValueError, match="DATA,MODEL"):
        parse_mesh_shape("two")


def test_memory_estimate_divides_sharded_state():
    one = estimate_memory("large", (1, 1))
    four = estimate_memory("large", (2, 4))
    assert one["params"] == PRESETS["electra_large_discriminator_en"]["params"]
    assert one["state_gb"] == pytest.approx(one["params"] * 16 / 1e9)
    # Only layer norms and a few biases stay replicated.
    assert one["state_gb"] / 4 < four["state_gb"] < one["state_gb"] / 4 * 1.01
    assert four["max_batch_per_device"] > one["max_batch_per_device"]
    assert "error" in estimate_memory("base", (1, 8))
    pretrain = estimate_memory("large", (1, 2), task="pretrain")
    assert pretrain["params"] > one["params"]


def test_cli_flags_and_configure_errors():
    parser = add_distribution_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--distribution", "model", "--mesh-shape", "2,4"])
    assert args.distribution == "model" and args.mesh_shape == (2, 4)
    assert parser.parse_args([]).distribution == "none"
    with pytest.raises(ValueError, match="--mesh-shape"):
        apply_distribution(parser.parse_args(["--distribution", "model"]))
    with pytest.raises(ValueError, match="only applies"):
        apply_distribution(parser.parse_args(["--mesh-shape", "1,2"]))
    with apply_distribution(parser.parse_args([])) as value:
        assert value is None
    with pytest.raises(ValueError, match="kind"):
        configure_distribution("pipeline")
    backend = keras.config.backend()
    if backend == "torch":
        with pytest.raises(ValueError, match="torchrun"):
            configure_distribution("data")
    if backend == "tensorflow":
        with pytest.raises(ValueError, match="JAX backend only"):
            configure_distribution("model", mesh_shape=(1, 1))
    if backend == "jax":
        try:
            with configure_distribution("model", mesh_shape=(1, 1)) as distribution:
                assert isinstance(distribution, keras.distribution.ModelParallel)
                assert keras.distribution.distribution() is distribution
            with pytest.raises(ValueError, match="devices"):
                configure_distribution("model", mesh_shape=(2, 4))
        finally:
            keras.distribution.set_distribution(None)


@pytest.mark.skipif(keras.config.backend() != "jax", reason="runs once, in the jax pass")
def test_distribution_package_imports_without_tensorflow():
    script = (
        "import sys\n"
        "for n in ('tensorflow', 'tensorflow_text', 'tf_keras'): sys.modules[n] = None\n"
        "import keras_electra.distribution as d, keras_electra.cli.distribution_args\n"
        "print('OK', d.resolve_batch_sizes(8, num_replicas=2))\n"
    )
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OK (8, 4)" in result.stdout


def test_estimate_memory_tool_runs(capsys):
    import runpy

    tool = runpy.run_path(os.path.join(ROOT, "tools", "estimate_memory.py"))
    assert tool["main"](["--sizes", "large", "--meshes", "1,1", "2,4", "--task", "finetune"]) == 0
    assert "| large | finetune | 334.1M | (2, 4) | 1.3" in capsys.readouterr().out
