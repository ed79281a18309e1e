import csv
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import keras
import numpy as np
import pytest

from keras_electra.cli.main import main
from tests.conftest import requires_tf

pytestmark = requires_tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORDS = "the cat dog sat ran on a mat big small red blue house tree under over".split()
# A small model so the end-to-end test compiles quickly.
TINY = dict(hidden_dim=32, embedding_dim=16, num_layers=1, num_heads=2, intermediate_dim=64,
            max_sequence_length=32, generator_hidden_fraction=0.5)


def write_corpus(path, documents=60, seed=0):
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(documents):
            for _ in range(4):
                f.write(" ".join(rng.choice(WORDS, rng.integers(4, 9))) + " .\n")
            f.write("\n")
    return str(path)


def common_args(tmp_path, out, steps, checkpoint_every=2):
    config = tmp_path / "model.json"
    config.write_text(json.dumps(TINY))
    corpus = tmp_path / "corpus.txt"
    if not corpus.exists():
        write_corpus(corpus)
    return ["pretrain", "--data", str(corpus), "--model", str(config), "--out", str(out),
            "--steps", str(steps), "--batch-size", "4", "--seq-len", "16", "--vocab-size", "60",
            "--checkpoint-every", str(checkpoint_every), "--seed", "3", "--quiet"]


def test_pretrain_writes_all_outputs_and_presets_reload(tmp_path):
    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraMaskedLM
    from keras_electra.models import ElectraTokenizer

    out = tmp_path / "run"
    assert main(common_args(tmp_path, out, steps=4)) == 0
    for name in ("summary.json", "training_curves.png", "log.csv", "vocab.txt", "run_config.json",
                 "discriminator/config.json", "generator/task.json", "checkpoints/latest.json"):
        assert (out / name).exists(), name
    assert os.listdir(out / "logs")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["resumed_from_step"] == 0
    assert summary["tokens_seen"] == 4 * 4 * 16
    assert summary["tokens_per_second"] > 0
    assert {"loss", "disc_auc", "masked_lm_accuracy"} <= set(summary["final_metrics"])

    disc = ElectraBackbone.from_preset(str(out / "discriminator"))
    tokenizer = ElectraTokenizer.from_preset(str(out / "discriminator"))
    ids = keras.ops.convert_to_numpy(tokenizer(["the cat sat on the mat ."]))
    assert (ids != 1).all()  # no [UNK]: the trained vocabulary covers the corpus
    generator = ElectraMaskedLM.from_preset(str(out / "generator"))
    x, labels, _ = generator.preprocessor(["the cat sat on the mat ."])
    logits = keras.ops.convert_to_numpy(generator(x))
    assert logits.shape[-1] == disc.vocabulary_size and np.isfinite(logits).all()
    assert disc.vocabulary_size == len((out / "vocab.txt").read_text().split())
    # Tied (the default): the generator reads the discriminator's token table.
    np.testing.assert_array_equal(_token_table(disc), _token_table(generator.backbone))


def _token_table(backbone):
    return keras.ops.convert_to_numpy(backbone.token_embedding.embeddings)


def test_embedding_sharing_flag_reaches_the_pretrainer(tmp_path):
    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraMaskedLM

    out = tmp_path / "run"
    assert main(common_args(tmp_path, out, steps=2) + ["--embedding-sharing", "untied"]) == 0
    config = json.loads((out / "run_config.json").read_text())
    assert config["recipe_overrides"] == {"embedding_sharing": "untied"}
    disc = ElectraBackbone.from_preset(str(out / "discriminator"))
    generator = ElectraMaskedLM.from_preset(str(out / "generator"))
    assert disc.token_embedding.embeddings.shape == generator.backbone.token_embedding.embeddings.shape
    assert not np.allclose(_token_table(disc), _token_table(generator.backbone))


@pytest.mark.slow
def test_resume_continues_at_the_checkpoint_step(tmp_path):
    out = tmp_path / "run"
    assert main(common_args(tmp_path, out, steps=4)) == 0
    # Resume with more steps: it starts at the checkpoint of step 4.
    assert main(common_args(tmp_path, out, steps=6) + ["--resume"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_from_step"] == 4 and summary["steps_this_run"] == 2
    assert json.loads((out / "checkpoints/latest.json").read_text())["step"] == 6
    with open(out / "log.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [2, 4, 6]


def test_resume_refuses_changed_settings_and_fresh_run_refuses_old_checkpoints(tmp_path, capsys):
    out = tmp_path / "run"
    args = common_args(tmp_path, out, steps=4)
    (out / "checkpoints").mkdir(parents=True)
    for suffix in ("weights.h5", "rng.npz"):  # stands for an earlier run's checkpoint
        (out / "checkpoints" / f"ckpt-000000002.{suffix}").write_bytes(b"")
    assert main(args) == 2  # a fresh run never overwrites an earlier one
    assert "--resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 2
    assert "no run to resume" in capsys.readouterr().err
    from keras_electra.apps.pretraining import PretrainingSettings
    from keras_electra.apps.pretraining import resolve_settings

    saved = resolve_settings(PretrainingSettings(
        data=[str(tmp_path / "corpus.txt")], model=str(tmp_path / "model.json"),
        steps=4, batch_size=4, seq_len=16, seed=3), str(out))
    (out / "run_config.json").write_text(json.dumps(saved.to_json()))
    args[args.index("--batch-size") + 1] = "8"
    assert main(args + ["--resume"]) == 2
    assert "batch_size" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["missing", "empty", "blank", "corrupt_shard", "bad_vocab"])
def test_bad_input_names_the_file_and_fails(tmp_path, capsys, case):
    out = str(tmp_path / "run")
    if case == "missing":
        bad = str(tmp_path / "nope.txt")
        argv = ["pretrain", "--data", bad, "--out", out]
    elif case == "empty":
        bad = str(tmp_path / "empty.txt")
        open(bad, "w").close()
        argv = ["pretrain", "--data", bad, "--out", out]
    elif case == "blank":
        bad = str(tmp_path / "blank.txt")
        open(bad, "w").write("\n\n   \n")
        argv = ["pretrain", "--data", bad, "--out", out]
    elif case == "corrupt_shard":
        bad = str(tmp_path / "pretrain_data.tfrecord-00000-of-00001")
        open(bad, "wb").write(b"\xff" * 40)
        vocab = tmp_path / "vocab.txt"
        vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"]))
        argv = ["pretrain", "--data", bad, "--vocab", str(vocab), "--out", out]
    else:
        bad = str(tmp_path / "vocab.txt")
        open(bad, "w").write("a\nb\n")
        argv = ["pretrain", "--data", write_corpus(tmp_path / "c.txt"), "--vocab", bad, "--out", out]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error" in err and bad in err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    text = capsys.readouterr().out
    assert "--resume" in text and "keras-electra pretrain --out" in text


def _checkpoint_arrays(path):
    arrays = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return arrays


def _cli(args):
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND=keras.config.backend())
    return subprocess.Popen([sys.executable, "-m", "keras_electra.cli.main"] + args, cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
@pytest.mark.skipif(keras.config.backend() != "jax", reason="run in the jax pass only (CI time)")
def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    from keras_electra.data.vocabulary import train_vocabulary

    steps = 8
    # One vocabulary for both runs: the `tokenizers` trainer breaks ties
    # differently from run to run.
    vocab = str(tmp_path / "vocab.txt")
    train_vocabulary([write_corpus(tmp_path / "corpus.txt")], 60, out=vocab)
    args = lambda out: common_args(tmp_path, out, steps) + ["--vocab", vocab]  # noqa: E731
    reference = _cli(args(tmp_path / "reference"))
    output, _ = reference.communicate(timeout=300)
    assert reference.returncode == 0, output

    out = tmp_path / "killed"
    victim = _cli(args(out) + ["--step-delay", "0.5"])
    latest = out / "checkpoints" / "latest.json"
    deadline = time.time() + 300
    while not latest.exists() and time.time() < deadline and victim.poll() is None:
        time.sleep(0.1)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    killed_at = json.loads(latest.read_text())["step"]
    assert 2 <= killed_at < steps and victim.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists()

    resumed = _cli(args(out) + ["--resume"])
    output, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_from_step"] == killed_at and summary["steps"] == steps
    name = f"checkpoints/ckpt-{steps:09d}.weights.h5"
    want = _checkpoint_arrays(tmp_path / "reference" / name)
    got = _checkpoint_arrays(out / name)
    assert set(want) == set(got)
    for key in want:  # model, optimizer and step counter: bit-identical on jax CPU
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
