"""`keras-electra vocab` and `keras-electra build-data`."""

import json

from keras_electra.cli.main import main
from keras_electra.data import stdlib_docstring_corpus
from keras_electra.models import ElectraTokenizer
from tests.conftest import requires_tf


def test_vocab_command(tmp_path, capsys):
    corpus = stdlib_docstring_corpus(str(tmp_path / "c.txt"), max_files=15)
    out = tmp_path / "vocab.txt"
    assert main(["vocab", "--input", corpus, "--size", "600", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    tokenizer = ElectraTokenizer(vocabulary=str(out))
    assert tokenizer.vocabulary_size() == 600 and tokenizer.mask_token_id == 4
    assert main(["vocab", "--input", str(tmp_path / "none.txt"), "--size", "600",
                 "--out", str(out)]) == 2
    assert "error: Input file not found" in capsys.readouterr().err


@requires_tf
def test_build_data_command(tmp_path, capsys):
    corpus = stdlib_docstring_corpus(str(tmp_path / "c.txt"), max_files=15)
    vocab = str(tmp_path / "vocab.txt")
    assert main(["vocab", "--input", corpus, "--size", "600", "--out", vocab]) == 0
    out = tmp_path / "shards"
    assert main(["build-data", "--input", str(tmp_path / "*.txt"), "--vocab", vocab,
                 "--out", str(out), "--seq-len", "32", "--num-shards", "2",
                 "--workers", "1", "--no-progress"]) == 0
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["seq_len"] == 32 and metadata["num_examples"] > 0
    assert f"wrote {metadata['num_examples']} examples" in capsys.readouterr().out
    assert main(["build-data", "--input", str(tmp_path / "none*.txt"), "--vocab", vocab,
                 "--out", str(out)]) == 2
    assert "error: No files match" in capsys.readouterr().err
