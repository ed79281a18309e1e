"""The trained demo presets shipped in the package: they load offline, are small, and work."""

import json
import os

import keras
import numpy as np
import pytest

from keras_electra.errors import ElectraError
from keras_electra.models.demo_presets import DEMO_MODEL_DIR
from keras_electra.models.demo_presets import demo_preset
from keras_electra.training import get_pretraining_recipe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SENTENCES = [
    "the film is a charming and often affecting journey .",
    "it is a gorgeous , witty and seductive movie .",
    "the story is too predictable to hold our interest .",
    "a thoughtful , provocative and insistently humanizing film .",
    "the performances are strong and the direction is sure .",
    "this is a dull and lifeless thriller .",
]


def _files(path):
    return sorted(os.path.relpath(os.path.join(d, f), path)
                  for d, _, names in os.walk(path) for f in names)


def test_shipped_presets_are_small_and_have_the_demo_size():
    total = sum(os.path.getsize(os.path.join(DEMO_MODEL_DIR, f)) for f in _files(DEMO_MODEL_DIR))
    assert total < 4 * 2**20  # a few MB at most
    size = get_pretraining_recipe("demo").model
    for role in ("discriminator", "generator"):
        files = _files(demo_preset(role))
        assert "assets/tokenizer/vocabulary.txt" in files, files  # the vocabulary is shipped
        with open(os.path.join(demo_preset(role), "config.json"), encoding="utf-8") as f:
            config = json.load(f)["config"]
        # The generator is a quarter as wide (the recipe's generator_hidden_fraction).
        width = config["hidden_dim"] * (1 if role == "discriminator" else 4)
        assert (width, config["num_layers"]) == (size.hidden_dim, size.num_layers)
    assert "discriminator_head.safetensors" in _files(demo_preset("discriminator"))
    with pytest.raises(ElectraError, match="No Electric scorer is shipped"):
        demo_preset("electric_scorer")


def test_discriminator_flags_the_replaced_word_of_the_quickstart():
    from keras_electra.cli.quickstart import ORIGINAL
    from keras_electra.cli.quickstart import REPLACED
    from keras_electra.cli.quickstart import replaced_token_probabilities

    scored = replaced_token_probabilities(ORIGINAL.replace(*REPLACED), demo_preset())
    tokens = [t for t, _ in scored]
    assert REPLACED[1] in tokens
    # Trained weights: the replaced word is the most suspicious token.
    assert max(scored, key=lambda tp: tp[1])[0] == REPLACED[1], scored
    # No token of the untouched sentence looks as replaced as the replacement.
    original = replaced_token_probabilities(ORIGINAL, demo_preset())
    assert max(p for _, p in original) < dict(scored)[REPLACED[1]], original


def test_quickstart_prints_the_three_lines(tmp_path, capsys):
    from keras_electra.cli.main import main

    assert main(["quickstart", "--out", str(tmp_path / "demo")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("discriminator (witty -> tuesday):") and "[tuesday " in lines[0]
    assert lines[1].startswith("generator: 'the movie was very [MASK] .' -> ")
    assert lines[2].startswith("electric: no scorer shipped")
    for role in ("discriminator", "generator"):
        assert _files(str(tmp_path / "demo" / role)) == _files(demo_preset(role))


def test_generator_fills_a_mask_with_a_word_of_the_vocabulary():
    from keras_electra.tasks import ElectraMaskedLM

    generator = ElectraMaskedLM.from_preset(demo_preset("generator"))
    ((candidates,),) = generator.fill_mask(["the movie was very [MASK] ."], top_k=3)
    assert len(candidates) == 3
    probabilities = [p for _, p in candidates]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1
    assert all(token not in ("[PAD]", "[MASK]") for token, _ in candidates)


@pytest.mark.slow
def test_the_training_run_writes_presets_like_the_shipped_ones(tmp_path):
    """A small rebuild of the demo model: same recipe and export, a few steps."""
    from keras_electra.apps.pretraining import PretrainingSettings
    from keras_electra.apps.pretraining import run_pretraining
    from keras_electra.convert import load_discriminator_head
    from keras_electra.models import ElectraBackbone

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 4) + "\n", encoding="utf-8")
    out = str(tmp_path / "run")
    run_pretraining(PretrainingSettings(data=(str(corpus),), steps=2, batch_size=4, seq_len=16,
                                        vocab_size=200), out, verbose=0)
    for role in ("discriminator", "generator"):
        assert _files(os.path.join(out, role)) == _files(demo_preset(role))
    backbone = ElectraBackbone.from_preset(os.path.join(out, "discriminator"))
    head = load_discriminator_head(os.path.join(out, "discriminator"), backbone)
    inputs = {"token_ids": np.array([[2, 5, 6, 3]], "int32"),
              "segment_ids": np.zeros((1, 4), "int32"), "padding_mask": np.ones((1, 4), "int32")}
    logits = keras.ops.convert_to_numpy(head(backbone(inputs)["sequence_output"]))
    assert logits.shape[:2] == (1, 4) and np.isfinite(logits).all()
