"""Continued pretraining: `init_from` starts the discriminator from a trained checkpoint."""

import dataclasses
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.apps.pretraining import PretrainingSettings  # noqa: E402
from keras_electra.apps.pretraining import resolve_settings  # noqa: E402
from keras_electra.apps.pretraining import run_pretraining  # noqa: E402
from keras_electra.errors import ElectraError  # noqa: E402
from keras_electra.errors import PresetError  # noqa: E402
from keras_electra.models import ElectraBackbone  # noqa: E402
from keras_electra.models import ElectraTokenizer  # noqa: E402
from tests.conftest import requires_tf  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402

WORDS = ("the a cat dog sat ran on in mat park and saw red big small house old tree "
         "river cold she he it was is to of").split()
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB = SPECIAL + WORDS + [f"##x{i}" for i in range(h.VOCAB_SIZE - len(SPECIAL) - len(WORDS))]


def bert_checkpoint(path, lowercase=True):
    """A transformers `BertModel` directory with its `vocab.txt`."""
    config = transformers.BertConfig(
        vocab_size=h.VOCAB_SIZE, hidden_size=h.HIDDEN, num_hidden_layers=h.LAYERS,
        num_attention_heads=h.HEADS, intermediate_size=h.INTER, max_position_embeddings=h.MAX_LEN,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.2)
    torch.manual_seed(0)
    model = transformers.BertModel(config).eval()
    model.save_pretrained(path)
    with open(os.path.join(path, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    if not lowercase:
        with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
            f.write('{"do_lower_case": false}')
    return model


def corpus(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(rng.choice(WORDS, 8)) for _ in range(200)) + "\n")
    return str(path)


def test_tokenizer_of_a_transformers_directory(tmp_path):
    bert_checkpoint(str(tmp_path / "uncased"))
    tokenizer = ElectraTokenizer.from_preset(str(tmp_path / "uncased"))
    assert tokenizer.get_vocabulary() == VOCAB and tokenizer.lowercase
    assert tokenizer.wordpieces("The cat SAT") == ["the", "cat", "sat"]
    bert_checkpoint(str(tmp_path / "cased"), lowercase=False)
    assert not ElectraTokenizer.from_preset(str(tmp_path / "cased")).lowercase
    os.remove(tmp_path / "cased" / "vocab.txt")
    with pytest.raises(PresetError, match="has no vocabulary"):
        ElectraTokenizer.from_preset(str(tmp_path / "cased"))


@requires_tf
def test_run_starts_from_the_checkpoint_with_its_vocabulary(tmp_path):
    source = str(tmp_path / "bert")
    reference = bert_checkpoint(source)
    settings = PretrainingSettings(data=(corpus(tmp_path),), init_from=source, steps=0,
                                   batch_size=2, seq_len=16, learning_rate=1e-4)
    out = str(tmp_path / "run0")
    run_pretraining(settings, out, verbose=0)
    with open(os.path.join(out, "vocab.txt")) as f:
        assert f.read().split() == VOCAB
    # The exported discriminator is the checkpoint: BertModel's hidden states.
    discriminator = ElectraBackbone.from_preset(os.path.join(out, "discriminator"))
    x = h.inputs()
    with torch.no_grad():
        expected = reference(**h.torch_inputs(x)).last_hidden_state.numpy()
    h.assert_close_on_tokens(h.sequence_output(discriminator, x), expected, x["padding_mask"])
    # Training moves it; the generator is the recipe's fraction of its width.
    out = str(tmp_path / "run2")
    summary = run_pretraining(dataclasses.replace(settings, steps=2), out, verbose=0)
    assert summary["settings"]["init_from"] == source
    trained = ElectraBackbone.from_preset(os.path.join(out, "discriminator"))
    assert not np.allclose(h.sequence_output(trained, x), expected, atol=1e-4)
    generator = ElectraBackbone.from_preset(os.path.join(out, "generator"))
    assert generator.hidden_dim == round(h.HIDDEN * 0.25)
    assert generator.vocabulary_size == h.VOCAB_SIZE


@requires_tf
def test_checks_before_anything_is_written(tmp_path, capsys):
    source = str(tmp_path / "bert")
    bert_checkpoint(source)
    out = str(tmp_path / "run")
    base = PretrainingSettings(init_from=source)
    resolved = resolve_settings(base, out)
    assert resolved.lowercase is True and resolved.recipe == "demo"
    assert "smaller --learning-rate" in capsys.readouterr().err
    for settings, message in [
        (dataclasses.replace(base, vocab="vocab.txt"), "brings its own vocabulary"),
        (dataclasses.replace(base, model={"hidden_dim": 8}), "--model may only name a recipe"),
        (dataclasses.replace(base, lowercase=False), "its tokenizer is uncased"),
    ]:
        with pytest.raises(ElectraError, match=message):
            resolve_settings(settings, out)
    settings = dataclasses.replace(base, data=(corpus(tmp_path),), seq_len=h.MAX_LEN * 2,
                                   batch_size=2, steps=1)
    with pytest.raises(ElectraError, match=f"has {h.MAX_LEN} positions"):
        run_pretraining(settings, out, verbose=0)
    assert not os.path.exists(out)


@requires_tf
def test_cli_flag_reaches_the_run_and_bad_input_names_it(tmp_path, capsys):
    from keras_electra.cli.main import main

    source = str(tmp_path / "bert")
    bert_checkpoint(source)
    out = str(tmp_path / "run")
    base = ["pretrain", "--init-from", source, "--data", corpus(tmp_path), "--out", out,
            "--batch-size", "2", "--seq-len", "16", "--learning-rate", "1e-4", "--quiet"]
    assert main(base + ["--vocab", source + "/vocab.txt"]) == 2  # a usage error
    assert "brings its own vocabulary" in capsys.readouterr().err
    assert not os.path.exists(out)
    assert main(base + ["--steps", "0"]) == 0
    with open(os.path.join(out, "run_config.json")) as f:
        assert '"init_from": "' + source + '"' in f.read()
