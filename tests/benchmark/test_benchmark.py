import argparse
import importlib.util

import keras
import numpy as np
import pytest

from keras_electra.benchmark import flops
from keras_electra.benchmark import runner
from keras_electra.benchmark.inputs import synthetic_batch
from keras_electra.models import ElectraBackbone
from keras_electra.training.recipes import MODEL_SIZES


def _dense_kernel_params(backbone):
    return sum(
        int(np.prod(w.shape)) for w in backbone.weights
        if w.path.endswith("kernel") and "transformer_layer" in w.path
    )


@pytest.mark.parametrize("size", ["tiny", "small"])
def test_encoder_flops_match_the_model_weights(size):
    """2 FLOPs per kernel weight per token, plus attention and the projection."""
    model_size = MODEL_SIZES[size]
    backbone = ElectraBackbone(**model_size.backbone_kwargs())
    batch, length = 3, 16
    tokens = batch * length
    expected = 2 * tokens * _dense_kernel_params(backbone)
    expected += model_size.num_layers * tokens * 4 * length * model_size.hidden_dim
    if backbone.embeddings_projection is not None:
        expected += 2 * tokens * int(np.prod(backbone.embeddings_projection.kernel.shape))
    assert flops.encoder_forward_flops(model_size, batch, length) == expected


def test_training_step_is_three_forward_passes():
    size = MODEL_SIZES["tiny"]
    assert flops.finetune_step_flops(size, 2, 8) == 3 * flops.inference_flops(size, 2, 8)


def test_synthetic_batch_layout():
    batch, labels = synthetic_batch(4, 10, 100)
    assert (batch["token_ids"][:, 0] == 2).all()
    assert batch["padding_mask"][1].sum() == 7
    assert (batch["token_ids"][batch["padding_mask"] == 0] == 0).all()
    assert labels.shape == (4,)


@pytest.mark.skipif(keras.config.backend() != "jax", reason="spawns its own processes; run once")
@pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="needs transformers")
def test_benchmark_runs_tiny_on_cpu(tmp_path):
    parser = argparse.ArgumentParser()
    runner.add_arguments(parser)
    args = parser.parse_args([
        "--batch-size", "2", "--seq-len", "16", "--steps", "1", "--warmup-steps", "1",
        "--steps-per-execution", "2", "--repeats", "2",
        "--workloads", "finetune", "--backends", "jax", "--transformers-modes", "eager",
    ])
    report = runner.run_all(args, log=lambda *_: None)
    rows = {r["label"]: r for r in report["rows"]}
    assert set(rows) == {"transformers torch (eager)", "keras-electra jax"}
    for row in rows.values():
        assert "error" not in row, row
        assert row["step_time_s"] > 0 and row["tokens_per_s"] > 0
    assert rows["transformers torch (eager)"]["speedup_vs_transformers_eager"] == 1.0
    # fit's fixed start-up cost is measured apart from the steady-state step.
    assert rows["keras-electra jax"]["call_overhead_s"] >= 0
    assert "call_overhead_s" not in rows["transformers torch (eager)"]
    runner.write(report, str(tmp_path))
    table = (tmp_path / "results.md").read_text()
    assert "| finetune | keras-electra jax |" in table


def test_step_time_counts_work_finished_at_the_end_of_a_call():
    """A call that dispatches every step at once and waits at its end (jax's
    asynchronous dispatch) still yields its true per-step time and overhead."""
    from keras_electra.benchmark.keras_worker import time_steps

    clock = {"now": 0.0}
    per_step, fixed = 0.5, 0.2

    def call(num_steps):  # all of the call's time is spent when it waits at its end
        clock["now"] += fixed + per_step * num_steps

    steps, overheads = time_steps(call, warmup=2, steps=8, repeats=3, clock=lambda: clock["now"])
    np.testing.assert_allclose(steps, [per_step] * 3)
    np.testing.assert_allclose(overheads, [fixed] * 3)
