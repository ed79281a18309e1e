"""tools/kernel_gap_repro.py compares like with like: each jax kernel equals its torch twin."""

import jax
import numpy as np
import pytest

from tests.helpers import load_tool

torch = pytest.importorskip("torch")


def leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    return [np.asarray(value.detach() if hasattr(value, "detach") else value, dtype="float64")]


def test_jax_and_torch_kernels_compute_the_same_values():
    repro = load_tool("kernel_gap_repro")
    inputs = repro._inputs()
    jax_kernels, torch_kernels = repro.jax_kernels(inputs), repro.torch_kernels(inputs)
    assert list(jax_kernels) == list(torch_kernels) == repro.KERNELS
    for name in repro.KERNELS:
        got, expected = leaves(jax_kernels[name]()), leaves(torch_kernels[name]())
        assert len(got) == len(expected), name
        if name == "dropout_mask":  # different generators: compare the keep rate
            for g, e in zip(got, expected):
                assert abs(g.mean() - 0.9) < 0.01 and abs(e.mean() - 0.9) < 0.01
            continue
        for g, e in zip(got, expected):
            scale = max(1.0, np.abs(e).max())
            np.testing.assert_allclose(g, e, atol=1e-4 * scale, rtol=0, err_msg=name)
    # Repeated torch backward passes do not accumulate weight gradients.
    first, again = leaves(torch_kernels["encoder_layer_fwd_bwd"]()), leaves(torch_kernels["encoder_layer_fwd_bwd"]())
    np.testing.assert_array_equal(first[1], again[1])


def test_interleaved_workers_report_every_kernel(capsys):
    repro = load_tool("kernel_gap_repro")
    result, versions = repro.measure(["dense_256", "gelu"], rounds=1, calls=1, threads=1)
    assert versions[0].startswith("jax") and versions[1].startswith("torch")
    for framework in ("jax", "torch"):
        for wall, cpu in result[framework].values():
            assert wall > 0 and cpu >= 0
