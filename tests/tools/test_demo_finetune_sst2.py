"""tools/demo_finetune_sst2.py: the shipped demo preset vs the same model from random weights."""

import json
import os

import keras
import numpy as np
import pytest

from tests.helpers import load_tool


def test_random_copy_keeps_config_and_vocabulary_but_not_weights(tmp_path):
    from keras_electra.models import ElectraBackbone
    from keras_electra.models.demo_presets import demo_preset

    preset = demo_preset("discriminator")
    copy = load_tool("demo_finetune_sst2").random_copy(preset, str(tmp_path / "random"), seed=0)
    trained, fresh = ElectraBackbone.from_preset(preset), ElectraBackbone.from_preset(copy)
    assert fresh.get_config() == trained.get_config()
    for name in ("assets/tokenizer/vocabulary.txt", "preprocessor.json", "tokenizer.json"):
        with open(os.path.join(preset, name), "rb") as a, open(os.path.join(copy, name), "rb") as b:
            assert a.read() == b.read(), name
    table = lambda m: keras.ops.convert_to_numpy(m.token_embedding.embeddings)  # noqa: E731
    assert not np.allclose(table(trained), table(fresh))


@pytest.mark.slow
def test_tool_fine_tunes_both_variants(shared_data, tmp_path):
    out = str(tmp_path / "runs")
    assert load_tool("demo_finetune_sst2").main(["--out", out, "--shared-data", shared_data, "--seeds", "0",
                         "--max-train-examples", "64", "--batch-size", "16"]) == 0
    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        results = json.load(f)
    assert [(r["variant"], r["seed"]) for r in results["runs"]] == [("pretrained", 0), ("random", 0)]
    assert all(0 <= r["accuracy"] <= 100 for r in results["runs"])


def test_preset_option_compares_another_preset_with_its_own_random_copy(
        shared_data, tmp_path, monkeypatch):
    tool = load_tool("demo_finetune_sst2")
    other = str(tmp_path / "other")
    tool.random_copy(_shipped(), other, seed=5)  # any backbone preset with a preprocessor
    calls = []
    monkeypatch.setattr(tool, "finetune", lambda preset, *a: calls.append(preset) or 50.0)
    out = str(tmp_path / "runs")
    assert tool.main(["--out", out, "--shared-data", shared_data, "--seeds", "3",
                      "--preset", other]) == 0
    assert calls[0] == other and calls[1] == os.path.join(out, "random_init_3")
    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        assert json.load(f)["settings"]["preset"] == other


def _shipped():
    from keras_electra.models.demo_presets import demo_preset

    return demo_preset("discriminator")
