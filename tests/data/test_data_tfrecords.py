"""TFRecord shards: round trip, determinism across worker counts, bad shards."""

import os

import numpy as np
import pytest

from keras_electra.data import build_examples
from keras_electra.data import read_metadata
from keras_electra.data import serialize_example
from keras_electra.data import stdlib_docstring_corpus
from keras_electra.data import text_dataset
from keras_electra.data import tfrecord_dataset
from keras_electra.data import train_vocabulary
from keras_electra.data import verify_shards
from keras_electra.data import write_pretraining_shards
from keras_electra.data.pretraining_examples import build_unit_examples
from keras_electra.data.text_files import split_into_units
from keras_electra.data.vocabulary import fast_tokenize_function
from tests.conftest import requires_tf

pytestmark = requires_tf
SEQ = 32


@pytest.fixture(scope="module")
def corpus_and_vocab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    corpus = stdlib_docstring_corpus(str(folder / "c.txt"), max_files=25)
    vocab = str(folder / "vocab.txt")
    train_vocabulary([corpus], 1000, out=vocab)
    return corpus, vocab


def read_all(directory):
    ds = tfrecord_dataset(str(directory), batch_size=1, shuffle=False, repeat=False)
    return [{k: v.numpy()[0].tolist() for k, v in batch.items()} for batch in ds]


def test_serialize_example_parses_in_tensorflow():
    import tensorflow as tf

    example = {"token_ids": [2, 5, 300, 70000, 3, 0], "segment_ids": [0, 0, 0, 1, 1, 0],
               "padding_mask": [1, 1, 1, 1, 1, 0]}
    spec = {k: tf.io.FixedLenFeature([6], tf.int64) for k in example}
    parsed = tf.io.parse_single_example(serialize_example(example), spec)
    assert {k: v.numpy().tolist() for k, v in parsed.items()} == example
    proto = tf.train.Example.FromString(serialize_example(example))
    assert list(proto.features.feature["token_ids"].int64_list.value) == example["token_ids"]


def test_round_trip_and_determinism_across_workers(corpus_and_vocab, tmp_path):
    corpus, vocab = corpus_and_vocab
    unit_bytes = 4000
    one = write_pretraining_shards([corpus], vocab, str(tmp_path / "w1"), seq_len=SEQ,
                                   num_shards=3, workers=1, seed=7, unit_bytes=unit_bytes,
                                   progress=False)
    two = write_pretraining_shards([corpus], vocab, str(tmp_path / "w2"), seq_len=SEQ,
                                   num_shards=3, workers=2, seed=7, unit_bytes=unit_bytes,
                                   progress=False)
    for name in one["shards"]:
        with open(tmp_path / "w1" / name, "rb") as a, open(tmp_path / "w2" / name, "rb") as b:
            assert a.read() == b.read()
    assert read_metadata(str(tmp_path / "w1"))["num_examples"] == one["num_examples"]
    counts = one["examples_per_shard"]
    assert max(counts) - min(counts) <= 1 and sum(counts) == one["num_examples"]

    # Re-derive the examples unit by unit, in order, and compare with the shards.
    tokenize = fast_tokenize_function(vocab)
    expected = []
    for i, unit in enumerate(split_into_units(corpus, unit_bytes)):
        expected += list(build_unit_examples(unit, i, tokenize, SEQ, seed=7))
    assert read_all(tmp_path / "w1") == expected
    assert one["num_tokens"] == sum(sum(e["padding_mask"]) for e in expected)
    assert verify_shards(str(tmp_path / "w1")) == {
        str(tmp_path / "w1" / n): c for n, c in zip(one["shards"], counts)}

    other_seed = write_pretraining_shards([corpus], vocab, str(tmp_path / "s"), seq_len=SEQ,
                                          num_shards=3, seed=8, unit_bytes=unit_bytes,
                                          progress=False)
    assert read_all(tmp_path / "s") != expected and other_seed["num_examples"] > 0


def test_streaming_first_epoch_matches_build_data(corpus_and_vocab, tmp_path):
    corpus, vocab = corpus_and_vocab
    write_pretraining_shards([corpus], vocab, str(tmp_path), seq_len=SEQ, num_shards=2,
                             seed=3, progress=False)
    streamed = text_dataset([corpus], vocab, batch_size=1, seq_len=SEQ, seed=3,
                            shuffle=False, repeat=False)
    streamed = [{k: v.numpy()[0].tolist() for k, v in b.items()} for b in streamed]
    assert streamed == read_all(tmp_path)


def test_bad_lines_do_not_lose_the_rest_of_a_shard(corpus_and_vocab, tmp_path, capsys):
    _, vocab = corpus_and_vocab
    path = tmp_path / "bad.txt"
    path.write_bytes(b"the first sentence is here.\n\xff\xfe broken bytes.\n"
                     b"and the last sentence.\n")
    meta = write_pretraining_shards([str(path)], vocab, str(tmp_path / "out"), seq_len=SEQ,
                                    num_shards=1, progress=False)
    assert meta["read"]["invalid_utf8_lines"] == 1 and meta["num_examples"] == 1
    assert "invalid UTF-8" in capsys.readouterr().err
    (example,) = read_all(tmp_path / "out")
    tokenize = fast_tokenize_function(vocab)
    assert tokenize("and the last sentence.")[-1] in example["token_ids"]


def test_bad_inputs(corpus_and_vocab, tmp_path):
    corpus, vocab = corpus_and_vocab
    blank = tmp_path / "blank.txt"
    blank.write_text("\n \n\n")
    with pytest.raises(ValueError, match="No examples.*blank.txt"):
        write_pretraining_shards([str(blank)], vocab, str(tmp_path / "o"), progress=False)
    with pytest.raises(ValueError, match="not found: .*missing.txt"):
        write_pretraining_shards([str(tmp_path / "missing.txt")], vocab, str(tmp_path / "o"))
    with pytest.raises(ValueError, match="Vocabulary file not found"):
        write_pretraining_shards([corpus], str(tmp_path / "v.txt"), str(tmp_path / "o"))

    shards = tmp_path / "shards"
    write_pretraining_shards([corpus], vocab, str(shards), seq_len=SEQ, num_shards=2,
                             progress=False)
    names = sorted(n for n in os.listdir(shards) if n.startswith("pretrain"))
    data = (shards / names[1]).read_bytes()
    (shards / names[1]).write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    with pytest.raises(ValueError, match=f"Unreadable TFRecord shards:\n.*{names[1]}"):
        verify_shards(str(shards))
    (shards / names[0]).write_bytes(b"not a tfrecord file at all")
    with pytest.raises(ValueError, match=f"{names[0]}.*truncated or was changed"):
        tfrecord_dataset(str(shards), batch_size=2)  # its size differs from metadata.json's
    os.remove(shards / "metadata.json")
    with pytest.raises(ValueError, match=f"{names[0]}.*truncated or not a TFRecord file"):
        tfrecord_dataset(str(shards), batch_size=2, seq_len=SEQ)
    for name in names:
        (shards / name).write_bytes(b"")
    with pytest.raises(ValueError, match=f"All TFRecord shards are empty: .*{names[0]}"):
        tfrecord_dataset(str(shards), batch_size=2)
    assert not os.path.exists(tmp_path / "o")  # the failed builds left nothing behind
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".o.")]
    (tmp_path / "o").mkdir()
    with pytest.raises(ValueError, match="No pretrain_data.tfrecord"):
        tfrecord_dataset(str(tmp_path / "o"), batch_size=2)


def test_fewer_examples_than_shards(corpus_and_vocab, tmp_path):
    _, vocab = corpus_and_vocab
    path = tmp_path / "one.txt"
    path.write_text("a single short document.\n")
    meta = write_pretraining_shards([str(path)], vocab, str(tmp_path / "s"), seq_len=SEQ,
                                    num_shards=4, progress=False)
    assert meta["examples_per_shard"] == [1, 0, 0, 0]
    assert len(read_all(tmp_path / "s")) == 1


def test_shuffled_reading_keeps_every_example(corpus_and_vocab, tmp_path):
    corpus, vocab = corpus_and_vocab
    meta = write_pretraining_shards([corpus], vocab, str(tmp_path), seq_len=SEQ, num_shards=4,
                                    progress=False)
    ds = tfrecord_dataset(str(tmp_path), batch_size=8, shuffle=True, seed=1, repeat=False)
    ids = np.concatenate([b["token_ids"].numpy() for b in ds])
    assert len(ids) == meta["num_examples"] // 8 * 8
    assert sorted(map(tuple, ids.tolist())) != ids.tolist()
