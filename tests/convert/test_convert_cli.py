"""`keras-electra convert`: transformers -> Keras preset -> transformers, and its errors."""

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.cli.main import main  # noqa: E402
from keras_electra.models import ElectraBackbone  # noqa: E402
from keras_electra.models import ElectraTokenizer  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(h.VOCAB_SIZE - 5)]


def test_transformers_to_keras_and_back(tmp_path, capsys):
    torch.manual_seed(0)
    model = transformers.ElectraModel(h.electra_config()).eval()
    source = str(tmp_path / "hf")
    model.save_pretrained(source)
    with open(os.path.join(source, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    keras_dir = str(tmp_path / "keras")
    assert main(["convert", "--from", "transformers", source, "--out", keras_dir]) == 0
    out = capsys.readouterr().out
    assert "Done:" in out and "Writing preset" in out
    backbone = ElectraBackbone.from_preset(keras_dir)
    assert ElectraTokenizer.from_preset(keras_dir).get_vocabulary() == VOCAB
    x = h.inputs()
    with torch.no_grad():
        reference = model(**h.torch_inputs(x)).last_hidden_state.numpy()
    np.testing.assert_allclose(h.sequence_output(backbone, x), reference, atol=1e-4)

    back = str(tmp_path / "back")
    assert main(["convert", "--from", "keras", keras_dir, "--to", "transformers", "--out", back]) == 0
    again = transformers.ElectraModel.from_pretrained(back).eval()
    with torch.no_grad():
        np.testing.assert_allclose(again(**h.torch_inputs(x)).last_hidden_state.numpy(), reference, atol=1e-5)
    assert open(os.path.join(back, "vocab.txt")).read().split() == VOCAB


def test_errors_are_reported(tmp_path, capsys):
    assert main(["convert", "--from", "transformers", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "config.json" in capsys.readouterr().err
    assert main(["convert", "--from", "transformers", "x", "--out", "y", "--num-heads", "2"]) == 2
    assert "--from tf1 only" in capsys.readouterr().err
