"""tools/kernel_gap_repro.py compares like with like: each jax and TensorFlow kernel equals
its torch twin."""

import importlib.util

import jax
import numpy as np
import pytest

from tests.helpers import load_tool

torch = pytest.importorskip("torch")


def leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    return [np.asarray(value.detach() if hasattr(value, "detach") else value, dtype="float64")]


@pytest.mark.parametrize("framework", ["jax", "tensorflow"])
def test_kernels_compute_the_same_values_as_torch(framework):
    if framework == "tensorflow":
        pytest.importorskip("tensorflow")
    repro = load_tool("kernel_gap_repro")
    inputs = repro._inputs()
    kernels = getattr(repro, f"{framework}_kernels")(inputs)
    torch_kernels = repro.torch_kernels(inputs)
    assert list(kernels) == list(torch_kernels) == repro.KERNELS
    for name in repro.KERNELS:
        got, expected = leaves(kernels[name]()), leaves(torch_kernels[name]())
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
    has_tf = importlib.util.find_spec("tensorflow") is not None
    frameworks = ("jax", "tensorflow", "torch") if has_tf else ("jax", "torch")
    result, versions = repro.measure(["dense_256", "gelu"], rounds=1, calls=1, threads=1,
                                     frameworks=frameworks, settle=0.0)
    assert [v.split()[0] for v in versions] == list(frameworks)
    for framework in frameworks:
        for wall, cpu in result[framework].values():
            assert wall > 0 and cpu >= 0
    table = repro.report(result, ["dense_256", "gelu"]).splitlines()
    assert table[0].endswith(f"| {frameworks[-2]}/torch (wall) |") and len(table) == 4
