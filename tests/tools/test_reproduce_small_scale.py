"""Smoke test of tools/reproduce_small_scale.py at minimal size (jax only, run once)."""

import dataclasses
import json
import os

import keras
import numpy as np
import pytest

from tests.helpers import load_tool


pytestmark = pytest.mark.skipif(
    keras.config.backend() != "jax", reason="backend-independent tool; run once, on jax"
)


SMALL = ["--max-corpus-files", "3", "--vocabulary-size", "300", "--hidden-dim", "16",
         "--num-layers", "1", "--num-heads", "1", "--sequence-length", "16",
         "--pretrain-batch-size", "4", "--verbose", "0"]


def test_variants_share_initial_weights(tmp_path):
    from keras_electra.apps.pretraining import run_pretraining
    from keras_electra.models import ElectraBackbone

    tool = load_tool("reproduce_small_scale")
    settings = tool.pretraining_settings(tool.build_parser().parse_args(SMALL + ["--out", str(tmp_path)]))
    files = tool._prepare_corpus(settings, str(tmp_path))
    assert files == [str(tmp_path / "corpus" / "stdlib_docstrings.txt")]
    settings = dataclasses.replace(settings, data=tuple(files), vocab=str(tmp_path / "vocab.txt"), steps=0)
    weights = {}
    for variant in ("electra", "none"):  # "mlm" builds its discriminator as "none" does
        summary = run_pretraining(tool.variant_settings(settings, variant), str(tmp_path / variant),
                                  verbose=0)
        assert summary["steps"] == 0 and summary["settings"]["objective"] in ("electra", "mlm")
        weights[variant] = ElectraBackbone.from_preset(str(tmp_path / variant / "discriminator")).get_weights()
    assert len(weights["electra"]) == len(weights["none"])
    for mine, theirs in zip(weights["electra"], weights["none"]):
        np.testing.assert_array_equal(mine, theirs)
    with pytest.raises(ValueError, match="variant"):
        tool.variant_settings(settings, "bert")


def test_finetune_one_task(shared_data, tmp_path, capsys):
    tool = load_tool("reproduce_small_scale")
    out = tmp_path / "run"
    assert tool.main(SMALL + ["--out", str(out), "--shared-data", shared_data,
                              "--variants", "none", "--tasks", "cola",
                              "--max-train-examples", "8", "--max-eval-examples", "8",
                              "--epochs", "1", "--batch-size", "4", "--seeds", "3"]) == 0
    results = json.loads((out / "results.json").read_text())
    (run,) = results["finetuning"]
    assert (run["task"], run["variant"], run["seed"], run["train_examples"]) == ("cola", "none", 3, 8)
    assert -100.0 <= run["score"] <= 100.0 and run["score"] == run["mcc"]  # percent
    assert results["summary"]["cola"]["none"]["scores"] == [run["score"]]
    table = results["table"].splitlines()
    assert table[0] == "| task (metric, dev) | none |"
    assert table[2] == f"| cola (MCC, %) | {run['score']:.4f} |"
    assert results["table"] in capsys.readouterr().out


@pytest.mark.slow
def test_pretrain_and_finetune_one_task(shared_data, tmp_path, capsys):
    tool = load_tool("reproduce_small_scale")
    out = tmp_path / "run"
    assert tool.main(SMALL + ["--out", str(out), "--shared-data", shared_data,
                              "--variants", "electra", "--tasks", "sst2", "--pretrain-steps", "2",
                              "--max-train-examples", "8", "--max-eval-examples", "8",
                              "--epochs", "1", "--batch-size", "4", "--seeds", "3"]) == 0
    results = json.loads((out / "results.json").read_text())
    (pretrained,) = results["pretraining"]
    assert pretrained["variant"] == "electra" and pretrained["steps"] == 2
    assert "disc_loss" in pretrained["final_metrics"]
    (run,) = results["finetuning"]
    assert (run["task"], run["variant"], run["seed"], run["train_examples"]) == ("sst2", "electra", 3, 8)
    assert 0.0 <= run["score"] <= 100.0 and run["score"] == run["accuracy"]  # percent
    assert results["summary"]["sst2"]["electra"]["scores"] == [run["score"]]
    table = results["table"].splitlines()
    assert table[0] == "| task (metric, dev) | electra |"
    assert table[2] == f"| sst2 (accuracy, %) | {run['score']:.4f} |"
    assert results["table"] in capsys.readouterr().out


def test_missing_shared_data_skips_finetuning(tmp_path, capsys):
    tool = load_tool("reproduce_small_scale")
    out = tmp_path / "run"
    results = tool.run(tool.build_parser().parse_args(
        SMALL + ["--out", str(out), "--shared-data", str(tmp_path / "absent"), "--variants", "none"]
    ))
    assert "not found" in capsys.readouterr().out
    assert results["finetuning"] == [] and results["config"]["tasks"] == []
    assert results["pretraining"][0]["steps"] == 0
    assert os.path.isfile(out / "runs" / "none" / "discriminator" / "config.json")
    assert json.loads((out / "results.json").read_text())["table"] == results["table"]
    # --resume reuses the preset, and refuses other settings.
    again = tool.run(tool.build_parser().parse_args(
        SMALL + ["--out", str(out), "--shared-data", str(tmp_path / "absent"), "--variants", "none",
                 "--resume"]
    ))
    assert "reusing the 'none' preset" in capsys.readouterr().out
    assert again["pretraining"] == results["pretraining"]
    with pytest.raises(ValueError, match="pretrain_steps"):
        tool.run(tool.build_parser().parse_args(
            SMALL + ["--out", str(out), "--shared-data", str(tmp_path / "absent"),
                     "--variants", "none", "--resume", "--pretrain-steps", "7"]
        ))


def test_table_with_several_seeds():
    tool = load_tool("reproduce_small_scale")
    results = {
        "config": {"seeds": [0, 1]},
        "pretraining": [{"variant": v, "steps": s, "pretrain_seconds": t, "steps_per_second": r}
                        for v, s, t, r in (("electra", 5, 1.0, 4.5), ("none", 0, 0.0, 0.0))],
        "finetuning": [
            {"task": "cola", "variant": "electra", "score": 0.2},
            {"task": "cola", "variant": "electra", "score": 0.4},
            {"task": "cola", "variant": "none", "score": 0.1},
            {"task": "cola", "variant": "none", "score": 0.0},
        ],
    }
    lines = tool.markdown_table(results).splitlines()
    assert lines[2] == "| cola (MCC, %) | 0.3000 (0.200, 0.400) | 0.0500 (0.100, 0.000) |"
    assert lines[3] == "| pretraining steps | 5 | 0 |"
    assert lines[5] == "| pretraining steps/s | 4.5 | - |"
    with pytest.raises(ValueError, match="task"):
        tool.run(tool.build_parser().parse_args(["--tasks", "squad"]))


def test_recipe_model_and_equal_time_variant():
    from keras_electra.training import get_pretraining_recipe

    tool = load_tool("reproduce_small_scale")
    demo = get_pretraining_recipe("demo")
    args = tool.build_parser().parse_args([])
    settings = tool.pretraining_settings(args)
    # The recipe's own size and optimization unless a flag changes them.
    assert settings.recipe == "demo"
    assert settings.model["hidden_dim"] == demo.model.hidden_dim
    assert settings.model["embedding_dim"] == demo.model.embedding_dim
    assert settings.model["generator_hidden_fraction"] == demo.generator_hidden_fraction
    assert settings.batch_size is None and settings.learning_rate is None
    wider = tool.pretraining_settings(tool.build_parser().parse_args(["--hidden-dim", "128"]))
    assert (wider.model["hidden_dim"], wider.model["intermediate_dim"]) == (128, 512)
    assert wider.model["num_layers"] == demo.model.num_layers

    # MLM at ELECTRA's wall time: steps scale with the measured speed ratio.
    assert tool.equal_time_steps(300, electra_steps_per_second=5.0, mlm_steps_per_second=8.5) == 510
    assert tool.equal_time_steps(300, 5.0, 5.0) == 300
    with pytest.raises(ValueError, match="speeds"):
        tool.equal_time_steps(300, 0.0, 8.5)
    timed = tool.variant_settings(settings, "mlm_time", steps=510)
    assert (timed.objective, timed.steps, timed.warmup_steps, timed.checkpoint_every) == ("mlm", 510, 51, 510)
    assert tool.variant_settings(settings, "mlm").steps == settings.steps
    with pytest.raises(ValueError, match="steps"):
        tool.variant_settings(settings, "mlm_time")
    with pytest.raises(ValueError, match="measured speeds"):
        tool.run(tool.build_parser().parse_args(["--variants", "mlm_time,none"]))
