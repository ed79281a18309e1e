"""The pretraining application's settings: defaults, recipe selection, resume, JSON."""

import json
import os

import pytest

from keras_electra.apps.pretraining import PretrainingSettings
from keras_electra.apps.pretraining import resolve_settings
from keras_electra.apps.pretraining import select_recipe
from keras_electra.errors import ElectraError
from keras_electra.training import get_pretraining_recipe
from tests.conftest import requires_tf

TINY = dict(hidden_dim=16, num_layers=1, num_heads=1, intermediate_dim=32, max_sequence_length=16)


def test_settings_round_trip_through_json(tmp_path):
    settings = PretrainingSettings(data=["a.txt", "b.txt"], model=dict(TINY), steps=3)
    assert settings.data == ("a.txt", "b.txt")
    assert PretrainingSettings(data="a.txt").data == ("a.txt",)
    config = json.loads(json.dumps(settings.to_json()))
    assert config["data"] == ["a.txt", "b.txt"]
    assert PretrainingSettings.from_json(config) == settings
    with pytest.raises(ElectraError, match=r"run_config.json: unknown settings \['stepz'\]"):
        PretrainingSettings.from_json(dict(config, stepz=3))


def test_defaults_come_from_the_selected_recipe(tmp_path):
    out = str(tmp_path)
    resolved = resolve_settings(PretrainingSettings(), out)
    demo = get_pretraining_recipe("demo")
    assert (resolved.model, resolved.recipe, resolved.objective) == ("demo", "demo", "electra")
    assert (resolved.steps, resolved.batch_size, resolved.seq_len, resolved.learning_rate) == (
        demo.num_train_steps, demo.batch_size, demo.sequence_length, demo.learning_rate)
    assert (resolved.seed, resolved.lowercase, resolved.vocab_size) == (0, True, 4000)
    assert resolved.checkpoint_every == demo.num_train_steps // 10  # ten points on the curve
    assert resolved.warmup_steps is None  # worked out from the steps when the optimizer is made
    # Electric without --model: its own recipe (energies started at log V).
    electric = resolve_settings(PretrainingSettings(objective="electric"), out)
    assert (electric.model, electric.recipe) == ("electric_demo", "electric_demo")
    assert get_pretraining_recipe("electric_demo").electric_energy_init == "uniform"
    assert resolve_settings(PretrainingSettings(objective="electric", model="demo"), out).recipe == "demo"
    small = resolve_settings(PretrainingSettings(model="small", batch_size=4), out)
    assert (small.recipe, small.batch_size, small.seq_len) == ("small", 4, 128)
    # A config picks the recipe of the size nearest its width; a named recipe wins.
    assert select_recipe(dict(TINY, hidden_dim=256)) == "small" == select_recipe("small")
    assert resolve_settings(PretrainingSettings(model=dict(TINY)), out).recipe == "tiny"
    assert resolve_settings(PretrainingSettings(model="small", recipe="tiny"), out).learning_rate == 1e-3
    # 0 steps: a baseline of the initial weights.
    zero = resolve_settings(PretrainingSettings(steps=0), out)
    assert (zero.steps, zero.checkpoint_every) == (0, 1)


@pytest.mark.parametrize("settings, message", [
    (PretrainingSettings(steps=-1), "steps must be 0 or more"),
    (PretrainingSettings(batch_size=0), "batch_size must be positive"),
    (PretrainingSettings(seq_len=4), "seq_len must be at least 8"),
    (PretrainingSettings(objective="bert"), "Unknown objective"),
    (PretrainingSettings(recipe="huge"), "Unknown pretraining recipe"),
    (PretrainingSettings(model="nope.json"), "file not found: nope.json"),
    (PretrainingSettings(model={"hidden_dim": 8}), "lacks"),
])
def test_bad_settings_are_named(tmp_path, settings, message):
    with pytest.raises(ElectraError, match=message):
        resolve_settings(settings, str(tmp_path))


def test_resume_takes_the_runs_settings_and_keeps_the_fixed_ones(tmp_path):
    out = str(tmp_path)
    first = resolve_settings(PretrainingSettings(model=dict(TINY), steps=4, batch_size=2, seed=5), out)
    with open(os.path.join(out, "run_config.json"), "w") as f:
        json.dump(first.to_json(), f)
    resumed = resolve_settings(PretrainingSettings(steps=8), out, resume=True)
    assert resumed == PretrainingSettings(**{**first.__dict__, "steps": 8})
    with pytest.raises(ElectraError, match="batch_size is 3 but the run"):
        resolve_settings(PretrainingSettings(batch_size=3), out, resume=True)
    with pytest.raises(ElectraError, match="no run to resume"):
        resolve_settings(PretrainingSettings(), str(tmp_path / "other"), resume=True)


@requires_tf
def test_zero_steps_exports_the_initial_weights(tmp_path):
    from keras_electra.cli.main import main
    from keras_electra.models import ElectraBackbone

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(f"the cat sat on mat number {i % 7} .\n\n" for i in range(40)))
    config = tmp_path / "model.json"
    config.write_text(json.dumps(TINY))
    out = tmp_path / "run"
    assert main(["pretrain", "--data", str(corpus), "--model", str(config), "--vocab-size", "40",
                 "--steps", "0", "--seq-len", "16", "--objective", "mlm", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["steps"], summary["steps_this_run"], summary["final_metrics"]) == (0, 0, {})
    backbone = ElectraBackbone.from_preset(str(out / "discriminator"))
    assert backbone.count_params() == summary["discriminator_parameters"]
    assert not (out / "log.csv").exists() and not (out / "generator").exists()


def test_recipe_overrides_change_the_recipe_and_name_unknown_fields(tmp_path):
    from keras_electra.apps.pretraining import _recipe

    settings = PretrainingSettings(recipe="demo", recipe_overrides={"temperature": 1.0})
    assert _recipe(settings).temperature == 1.0
    assert _recipe(PretrainingSettings(recipe="demo")).temperature == 2.0
    resolved = resolve_settings(settings, str(tmp_path))
    assert resolved.recipe_overrides == {"temperature": 1.0}
    with pytest.raises(ElectraError, match=r"recipe_overrides: unknown recipe fields \['temprature'\]"):
        _recipe(PretrainingSettings(recipe="demo", recipe_overrides={"temprature": 1.0}))
