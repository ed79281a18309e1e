"""No command destroys or half-writes data.

Each test runs a command against existing files and checks, by hashing every
file, that they are byte-identical afterwards: refused outputs, outputs that
are also inputs, bad inputs found before any work, and failures part-way
through a write (the new files go to a temporary sibling that is deleted).
"""

import hashlib
import json
import os

import keras
import pytest

from keras_electra.cli.main import main
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.preprocessing.demo_vocabulary import demo_vocabulary
from tests.conftest import requires_tf

SST = ["1\ta fine and funny film", "0\ta dull mess", "1\tfunny and warm", "0\tdull , dull , dull"]
LAYOUT = ["--text-columns", "1", "--label-column", "0", "--header", "no"]
# End-to-end runs (a model is built and trained) run once per suite.
jax_only = pytest.mark.skipif(keras.config.backend() != "jax",
                              reason="backend-independent file handling; runs on jax only")


def tree_hashes(path):
    """{relative path: sha256} of every file under `path` (or of `path` itself)."""
    if os.path.isfile(path):
        return {"": hashlib.sha256(open(path, "rb").read()).hexdigest()}
    hashes = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                hashes[os.path.relpath(full, path)] = hashlib.sha256(f.read()).hexdigest()
    return hashes


def leftovers(path):
    """Temporary siblings of `path` left behind (`.name.tmp-*`, `.name.old-*`)."""
    parent, name = os.path.split(os.path.abspath(path))
    return [n for n in os.listdir(parent) if n.startswith(f".{name}.")]


def fails(argv, capsys, pattern):
    """Runs a command that must fail with a message matching `pattern`.

    A bad input is an ElectraError (printed, exit 2); other readers raise a
    ValueError to the caller.
    """
    import re

    try:
        rc = main(argv)
    except ValueError as e:
        message = str(e)
    else:
        assert rc != 0
        message = capsys.readouterr().err
    assert re.search(pattern, message), message


def make_preset(path, texts=(line.split("\t")[1] for line in SST)):
    vocabulary = demo_vocabulary(list(texts))
    ElectraBackbone(vocabulary_size=len(vocabulary), num_layers=1, num_heads=2, hidden_dim=16,
                    intermediate_dim=32, embedding_dim=8, max_sequence_length=32).save_to_preset(path)
    ElectraTextClassifierPreprocessor(ElectraTokenizer(vocabulary=vocabulary),
                                      sequence_length=16).save_to_preset(path)
    return str(path)


def old_folder(path):
    """A non-empty folder standing for earlier results."""
    os.makedirs(path)
    with open(os.path.join(path, "results.txt"), "w") as f:
        f.write("earlier results\n")
    return str(path)


def sst_files(tmp_path):
    train = tmp_path / "train.tsv"
    train.write_text("\n".join(SST) + "\n")
    return str(train)


# --- finetune -----------------------------------------------------------------


def test_finetune_refuses_existing_out_and_never_writes_into_the_preset(tmp_path, capsys):
    preset = make_preset(tmp_path / "preset")
    train = sst_files(tmp_path)
    before = tree_hashes(preset)
    base = ["finetune", "--task", "sst2", "--train", train, "--preset", preset] + LAYOUT
    # --out is the preset: refused even with --overwrite (it would be read while replaced).
    for extra in ([], ["--overwrite"]):
        assert main(base + ["--out", preset] + extra) == 2
        assert "would overwrite the input" in capsys.readouterr().err
    assert main(base + ["--out", os.path.join(preset, "assets")]) == 2
    assert tree_hashes(preset) == before
    # Another non-empty folder: refused without --overwrite.
    old = old_folder(tmp_path / "old")
    old_hashes = tree_hashes(old)
    assert main(base + ["--out", old]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert tree_hashes(old) == old_hashes


def test_finetune_checks_the_eval_file_before_any_work(tmp_path, capsys):
    preset = make_preset(tmp_path / "preset")
    train = sst_files(tmp_path)
    old = old_folder(tmp_path / "old")
    before = tree_hashes(old)
    bad = tmp_path / "dev.tsv"
    bad.write_text("1\tgood\nnot-a-label-line\n")
    fails(["finetune", "--task", "sst2", "--train", train, "--eval", str(bad),
           "--preset", preset, "--out", old, "--overwrite"] + LAYOUT, capsys, r"dev\.tsv:2")
    assert tree_hashes(old) == before and not leftovers(old)


def test_squad_finetune_checks_the_eval_file_before_any_work(tmp_path, capsys):
    from tests.cli.test_finetune_squad_cli import squad_file

    preset = make_preset(tmp_path / "preset")
    train = squad_file(tmp_path / "train.json")
    bad = tmp_path / "dev.json"
    bad.write_text('{"version": "v2.0", "data": [')
    old = old_folder(tmp_path / "old")
    before = tree_hashes(old)
    fails(["finetune", "--task", "squad2", "--train", train, "--eval", str(bad),
           "--preset", preset, "--out", old, "--overwrite", "--sequence-length", "32"],
          capsys, r"dev\.json")
    assert tree_hashes(old) == before and not leftovers(old)
    new = str(tmp_path / "new")
    fails(["finetune", "--task", "squad2", "--train", train, "--eval", str(bad),
           "--preset", preset, "--out", new, "--sequence-length", "32"], capsys, r"dev\.json")
    assert not os.path.exists(new) and not leftovers(new)


@requires_tf
@jax_only
def test_finetune_failing_after_training_leaves_out_unchanged(tmp_path, monkeypatch, capsys):
    from keras_electra.cli.finetune_tasks import GlueTask

    preset = make_preset(tmp_path / "preset")
    train = sst_files(tmp_path)
    old = old_folder(tmp_path / "old")
    before = tree_hashes(old)
    argv = ["finetune", "--task", "sst2", "--train", train, "--eval", train, "--preset", preset,
            "--out", old, "--overwrite", "--epochs", "1", "--batch-size", "2",
            "--sequence-length", "16"] + LAYOUT

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # stands for a kill while the preset is being written

    monkeypatch.setattr(GlueTask, "evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(argv)
    assert tree_hashes(old) == before and not leftovers(old)


# --- evaluate / predict / vocab -----------------------------------------------


def test_evaluate_predict_and_vocab_refuse_existing_outputs(tmp_path, capsys):
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me\n")
    before = tree_hashes(str(existing))
    data = sst_files(tmp_path)
    model = old_folder(tmp_path / "model")
    for argv in (["evaluate", "--model", model, "--data", data, "--out", str(existing)],
                 ["predict", "--model", model, "--input", data, "--output", str(existing)],
                 ["vocab", "--input", data, "--size", "50", "--out", str(existing)]):
        assert main(argv) == 2, argv
        assert "pass --overwrite" in capsys.readouterr().err
    # An output that is an input: refused even with --overwrite.
    assert main(["predict", "--model", model, "--input", data, "--output", data,
                 "--overwrite"]) == 2
    assert main(["vocab", "--input", data, "--size", "50", "--out", data, "--overwrite"]) == 2
    assert tree_hashes(str(existing)) == before
    assert open(data).read() == "\n".join(SST) + "\n"


def test_quickstart_and_benchmark_refuse_earlier_outputs(tmp_path, capsys):
    old = old_folder(tmp_path / "old")
    (tmp_path / "old" / "results.json").write_text("{}")
    before = tree_hashes(old)
    assert main(["quickstart", "--out", old]) == 2
    assert main(["benchmark", "--out", old, "--backends", "jax"]) == 2  # before any run
    assert "pass --overwrite" in capsys.readouterr().err
    assert tree_hashes(old) == before


# --- pretrain -----------------------------------------------------------------


def pretrain_args(tmp_path, out):
    from tests.cli.test_pretrain_cli import common_args

    return common_args(tmp_path, out, steps=4)


@requires_tf
def test_pretrain_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("vocab.txt", "summary.json", "config.json"):
        (out / name).write_text(f"my own {name}\n")
    before = tree_hashes(str(out))
    assert main(pretrain_args(tmp_path, out)) == 2
    err = capsys.readouterr().err
    assert "not a pretraining run" in err and "--overwrite" in err
    assert tree_hashes(str(out)) == before


@requires_tf
def test_pretrain_refuses_an_existing_run_without_resume(tmp_path, capsys):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "run_config.json").write_text("{}")
    (out / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")
    before = tree_hashes(str(out))
    assert main(pretrain_args(tmp_path, out)) == 2
    err = capsys.readouterr().err
    assert "pass --resume to continue it or --overwrite to start over" in err
    # --overwrite with an input inside --out: refused, since it would be deleted.
    argv = pretrain_args(tmp_path, out) + ["--overwrite", "--vocab", str(out / "vocab.txt")]
    assert main(argv) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert main(pretrain_args(tmp_path, out) + ["--overwrite", "--resume"]) == 2
    assert tree_hashes(str(out)) == before


@requires_tf
def test_pretrain_checks_inputs_before_writing(tmp_path, capsys):
    out = tmp_path / "run"
    argv = pretrain_args(tmp_path, out)
    argv += ["--vocab", str(tmp_path / "missing_vocab.txt")]
    assert main(argv) == 2
    assert "missing_vocab.txt" in capsys.readouterr().err
    assert not out.exists()  # no run_config.json: a corrected rerun is not refused


# --- convert ------------------------------------------------------------------


def keras_preset(tmp_path):
    return make_preset(tmp_path / "keras_preset")


def hf_checkpoint(tmp_path, vocabulary):
    """A transformers ElectraModel folder (config.json + model.safetensors), no torch needed."""
    from keras_electra.convert.export import export_to_transformers

    backbone = ElectraBackbone(vocabulary_size=len(vocabulary), num_layers=1, num_heads=2,
                               hidden_dim=16, intermediate_dim=32, embedding_dim=8,
                               max_sequence_length=32)
    path = str(tmp_path / "hf")
    export_to_transformers(backbone, path)
    with open(os.path.join(path, "vocab.txt"), "w") as f:
        f.write("\n".join(vocabulary) + "\n")
    return path


def test_convert_to_transformers_never_replaces_the_keras_preset(tmp_path, capsys):
    preset = keras_preset(tmp_path)
    before = tree_hashes(preset)
    for extra in ([], ["--overwrite"]):
        assert main(["convert", "--from", "keras", preset, "--to", "transformers",
                     "--out", preset] + extra) == 2
        assert "would overwrite the input" in capsys.readouterr().err
    assert tree_hashes(preset) == before
    old = old_folder(tmp_path / "old")
    old_hashes = tree_hashes(old)
    assert main(["convert", "--from", "keras", preset, "--to", "transformers", "--out", old]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert tree_hashes(old) == old_hashes
    assert main(["convert", "--from", "keras", preset, "--to", "transformers", "--out", old,
                 "--overwrite"]) == 0
    assert {"config.json", "model.safetensors", "vocab.txt"} <= set(os.listdir(old))
    assert "results.txt" not in os.listdir(old) and not leftovers(old)


def test_failed_convert_writes_nothing_and_a_rerun_works(tmp_path, capsys):
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + [f"w{i}" for i in range(20)]  # no [MASK]
    source = hf_checkpoint(tmp_path, vocabulary)
    out = str(tmp_path / "converted")
    assert main(["convert", "--from", "transformers", source, "--out", out]) == 2
    assert "[MASK]" in capsys.readouterr().err
    assert not os.path.exists(out) and not leftovers(out)
    # Over an existing folder with --overwrite: still untouched.
    old = old_folder(tmp_path / "old")
    before = tree_hashes(old)
    assert main(["convert", "--from", "transformers", source, "--out", old, "--overwrite"]) == 2
    assert tree_hashes(old) == before and not leftovers(old)
    # Fixed vocabulary (same size): the rerun is not refused.
    vocabulary[4] = "[MASK]"
    with open(os.path.join(source, "vocab.txt"), "w") as f:
        f.write("\n".join(vocabulary) + "\n")
    assert main(["convert", "--from", "transformers", source, "--out", out]) == 0
    assert ElectraTokenizer.from_preset(out).get_vocabulary() == vocabulary
    # The source folder itself is never an output.
    hashes = tree_hashes(source)
    assert main(["convert", "--from", "transformers", source, "--out", source,
                 "--overwrite"]) == 2
    assert tree_hashes(source) == hashes


def test_convert_vocabulary_of_the_wrong_size_writes_nothing(tmp_path, capsys):
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(20)]
    source = hf_checkpoint(tmp_path, vocabulary)
    with open(os.path.join(source, "vocab.txt"), "w") as f:
        f.write("\n".join(vocabulary[:-3]) + "\n")
    out = str(tmp_path / "converted")
    assert main(["convert", "--from", "transformers", source, "--out", out]) != 0
    assert "vocab" in capsys.readouterr().err.lower()
    assert not os.path.exists(out) and not leftovers(out)


# --- build-data ---------------------------------------------------------------


def corpus_and_vocab(tmp_path):
    from tests.cli.test_pretrain_cli import write_corpus

    corpus = write_corpus(tmp_path / "corpus.txt")
    vocab = tmp_path / "vocab.txt"
    words = sorted(set(open(corpus).read().split()))
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words) + "\n")
    return corpus, str(vocab)


def build_data(corpus, vocab, out, *extra):
    return main(["build-data", "--input", corpus, "--vocab", vocab, "--out", out,
                 "--seq-len", "16", "--num-shards", "2", "--workers", "1", "--no-progress",
                 *extra])


@requires_tf
def test_build_data_killed_mid_rebuild_keeps_the_old_shards(tmp_path, monkeypatch, capsys):
    import keras_electra.data.tfrecords as tfrecords

    corpus, vocab = corpus_and_vocab(tmp_path)
    out = str(tmp_path / "shards")
    assert build_data(corpus, vocab, out) == 0
    before = tree_hashes(out)
    assert build_data(corpus, vocab, out) == 2  # not without --overwrite
    assert "pass --overwrite" in capsys.readouterr().err

    calls = []
    serialize = tfrecords.serialize_example

    def killed_midway(example):
        calls.append(1)
        if len(calls) > 20:  # some records of the new shards are already written
            raise KeyboardInterrupt
        return serialize(example)

    monkeypatch.setattr(tfrecords, "serialize_example", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        build_data(corpus, vocab, out, "--seed", "1", "--overwrite")
    assert len(calls) > 20
    assert tree_hashes(out) == before and not leftovers(out)
    monkeypatch.undo()
    assert build_data(corpus, vocab, out, "--seed", "1", "--overwrite") == 0
    after = tree_hashes(out)
    assert set(after) == set(before) and after != before and not leftovers(out)


@requires_tf
@pytest.mark.parametrize("with_metadata", [True, False])
def test_pretrain_names_a_truncated_shard(tmp_path, capsys, with_metadata):
    corpus, vocab = corpus_and_vocab(tmp_path)
    out = str(tmp_path / "shards")
    assert build_data(corpus, vocab, out) == 0
    if not with_metadata:
        os.remove(os.path.join(out, "metadata.json"))
    shard = os.path.join(out, "pretrain_data.tfrecord-00001-of-00002")
    with open(shard, "r+b") as f:  # cut in the middle of a later record
        f.truncate(os.path.getsize(shard) - 30)
    assert main(["pretrain", "--data", out, "--vocab", vocab, "--out", str(tmp_path / "run"),
                 "--steps", "2", "--seq-len", "16", "--batch-size", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert shard in err and "truncated" in err
    assert not os.path.exists(tmp_path / "run")


# --- pretrain --resume with a truncated checkpoint -----------------------------


@pytest.mark.slow  # two pretraining runs (the fallback itself: tests/training)
@requires_tf
@jax_only
def test_resume_falls_back_to_the_newest_readable_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(pretrain_args(tmp_path, out)) == 0  # checkpoints at steps 2 and 4
    newest = out / "checkpoints" / "ckpt-000000004.weights.h5"
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])
    capsys.readouterr()
    assert main(pretrain_args(tmp_path, out) + ["--resume"]) == 0
    captured = capsys.readouterr()
    assert str(newest) in captured.err and "ckpt-000000002.weights.h5" in captured.out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_from_step"] == 2 and summary["steps_this_run"] == 2
    # The unreadable file is kept aside; a new good checkpoint took its place.
    assert (out / "checkpoints" / "ckpt-000000004.weights.h5.unreadable").read_bytes() == \
        data[: len(data) // 2]
    assert json.loads((out / "checkpoints" / "latest.json").read_text())["step"] == 4


# --- the swap itself -----------------------------------------------------------


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"),
                    reason="renameat2(RENAME_EXCHANGE) is Linux-only")
def test_a_folder_is_swapped_in_one_step(tmp_path, monkeypatch):
    """On Linux the old folder is never renamed away first: no moment without `out`."""
    from keras_electra.utils import output_files

    out = old_folder(tmp_path / "out")

    def no_rename(*args):
        raise AssertionError("two-step rename used")

    monkeypatch.setattr(output_files.os, "rename", no_rename)
    with output_files.atomic_directory(out) as tmp:
        with open(os.path.join(tmp, "new.txt"), "w") as f:
            f.write("new\n")
    assert os.listdir(out) == ["new.txt"] and not leftovers(out)
