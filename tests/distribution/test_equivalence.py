"""Distributed training matches single-device training (subprocesses, own env)."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from tests.conftest import requires_tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "distribution", "equivalence.py")
STEPS, GLOBAL_BATCH = 3, 8


def _run(backend, setups, out, extra_env=None):
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND=backend, **(extra_env or {}))
    result = subprocess.run(
        [sys.executable, SCRIPT, str(out), str(STEPS), str(GLOBAL_BATCH), *setups],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(out)


def _assert_matches(results, setup, reference="single"):
    np.testing.assert_allclose(results[f"{setup}|losses"], results[f"{reference}|losses"], rtol=1e-5)
    assert int(results[f"{setup}|iterations"]) == STEPS  # one step per global batch
    names = [k.split("|", 2)[2] for k in results.files if k.startswith(f"{reference}|weight|")]
    assert names
    for name in names:
        np.testing.assert_allclose(
            results[f"{setup}|weight|{name}"], results[f"{reference}|weight|{name}"],
            atol=2e-6, err_msg=name,
        )
    # Training moved the weights, so the comparison is not of initial values.
    kernel = "transformer_layer_0/feedforward_intermediate_dense/kernel"
    moved = results[f"{reference}|weight|{kernel}"] - results[f"{reference}|init|{kernel}"]
    assert np.abs(moved).max() > 1e-3


@pytest.mark.skipif(keras.config.backend() != "jax", reason="runs once, in the jax pass")
def test_jax_data_and_model_parallel_match_single_device(tmp_path):
    results = _run(
        "jax", ["single", "jax_data", "jax_model:2,4"], tmp_path / "r.npz",
        {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"},
    )
    assert int(results["jax_data|replicas"]) == 8
    assert int(results["jax_model:2,4|replicas"]) == 2
    # The (32, 64) feed-forward kernel really is split 4 ways on the model axis.
    assert tuple(results["jax_model:2,4|ffn_shard_shape"]) == (32, 16)
    _assert_matches(results, "jax_data")
    _assert_matches(results, "jax_model:2,4")


@requires_tf
@pytest.mark.skipif(keras.config.backend() != "tensorflow", reason="runs once, in the tensorflow pass")
def test_tf_mirrored_strategy_matches_single_device(tmp_path):
    results = _run("tensorflow", ["single", "tf_mirrored:2"], tmp_path / "r.npz")
    assert int(results["tf_mirrored:2|replicas"]) == 2
    _assert_matches(results, "tf_mirrored:2")


DDP_LAUNCHER = """
import runpy, sys
for name in ("tensorflow", "tensorflow_text", "tf_keras"):
    sys.modules[name] = None  # faster start; the torch path needs no TensorFlow
sys.argv[0] = "torch_ddp"
runpy.run_module("keras_electra.distribution.torch_ddp", run_name="__main__")
"""


@pytest.mark.skipif(keras.config.backend() != "torch", reason="runs once, in the torch pass")
def test_torch_ddp_two_processes_match_single_process(tmp_path):
    launcher = tmp_path / "launch.py"
    launcher.write_text(DDP_LAUNCHER)
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND="torch", OMP_NUM_THREADS="1")
    args = ["--steps", str(STEPS), "--global-batch-size", str(GLOBAL_BATCH), "--quiet", "--shuffle"]
    ddp = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
         "--master_port=0", "--rdzv_backend=c10d", "--rdzv_endpoint=localhost:0",
         str(launcher), *args, "--output", str(tmp_path / "ddp.npz")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    single = subprocess.run(
        [sys.executable, str(launcher), *args, "--output", str(tmp_path / "single.npz")],
        capture_output=True, text=True, env=env, timeout=600,
    )
    ddp_out, ddp_err = ddp.communicate(timeout=600)
    assert single.returncode == 0, single.stderr[-3000:]
    assert ddp.returncode == 0, ddp_err[-3000:]
    assert "world_size=2" in ddp_out and "world_size=1" in single.stdout
    a, b = np.load(tmp_path / "single.npz"), np.load(tmp_path / "ddp.npz")
    np.testing.assert_allclose(b["losses"], a["losses"], rtol=1e-5)
    assert int(a["iterations"]) == int(b["iterations"]) == STEPS
    weights = [k for k in a.files if k.startswith("weight:")]
    assert weights
    for key in weights:
        np.testing.assert_allclose(b[key], a[key], atol=2e-6, err_msg=key)
