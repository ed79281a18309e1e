"""tf.data pipelines of pretraining batches: from TFRecord shards, or streamed from raw text."""

import glob
import os
import random
import struct
import sys

import numpy as np

from keras_electra.data.pretraining_examples import build_examples
from keras_electra.data.stdlib_corpus import stdlib_docstring_corpus  # noqa: F401 (re-export)
from keras_electra.data.text_files import ReadStats
from keras_electra.data.text_files import read_lines
from keras_electra.data.text_files import resolve_inputs
from keras_electra.data.text_files import split_into_units
from keras_electra.data.tfrecords import FEATURES
from keras_electra.data.tfrecords import _auto_unit_bytes
from keras_electra.data.tfrecords import read_metadata
from keras_electra.data.vocabulary import fast_tokenize_function
from keras_electra.data.vocabulary import read_vocabulary
from keras_electra.errors import InputFileError
from keras_electra.errors import ElectraError

_STREAM_BLOCK = 256  # examples handed from Python to tf.data at a time


def resolve_shards(data):
    """TFRecord shard paths of a folder, files or globs; checks each one.

    A folder stands for the `pretrain_data.tfrecord-*` files in it. Every
    shard must exist and be empty (fewer examples than shards) or be a whole
    sequence of TFRecord records: its size must be the one `metadata.json`
    records, or, without one, its record headers must add up to its size. A
    ValueError names the first shard that is truncated or not a TFRecord
    file, or says that all are empty.
    """
    if isinstance(data, str):
        data = [data]
    paths = []
    for item in data:
        item = os.path.expanduser(str(item))
        if os.path.isdir(item):
            found = sorted(glob.glob(os.path.join(item, "pretrain_data.tfrecord-*")))
            if not found:
                raise ElectraError(f"No pretrain_data.tfrecord-* shards in {item}")
            paths += found
        else:
            paths += resolve_inputs([item])
    sizes = {}
    for folder in sorted({os.path.dirname(p) for p in paths}):
        sizes.update(_metadata_sizes(folder))
    for path in paths:
        _check_tfrecord_file(path, sizes.get(os.path.abspath(path)))
    if all(os.path.getsize(p) == 0 for p in paths):
        raise ElectraError(f"All TFRecord shards are empty: {', '.join(paths)}")
    return paths


def _metadata_sizes(folder):
    """`{absolute shard path: bytes}` from a folder's `metadata.json` (may be empty)."""
    try:
        metadata = read_metadata(folder)
    except (OSError, ValueError):
        return {}  # an unreadable metadata.json: the shards are walked instead
    if not isinstance(metadata, dict):
        return {}
    names, sizes = metadata.get("shards"), metadata.get("shard_bytes")
    if not isinstance(names, list) or not isinstance(sizes, list) or len(names) != len(sizes):
        return {}  # written before shard sizes were recorded
    return {os.path.abspath(os.path.join(folder, n)): s for n, s in zip(names, sizes)}


def _check_tfrecord_file(path, expected_size=None):
    """Checks that `path` is whole: its recorded size, or record headers that fill it.

    A TFRecord record is an 8-byte length, a 4-byte length CRC, the data and
    a 4-byte data CRC. Without a recorded size, the headers are walked (one
    small read per record) and must end exactly at the end of the file.
    """
    size = os.path.getsize(path)
    if expected_size is not None:
        if size != expected_size:
            raise InputFileError(
                f"TFRecord shard is truncated or was changed: it has {size} bytes but "
                f"its metadata.json records {expected_size}; rebuild the shards.", path=path
            )
        return
    position = 0
    with open(path, "rb") as f:
        while position < size:
            header = f.read(12)
            (length,) = struct.unpack("<Q", header[:8]) if len(header) == 12 else (None,)
            if length is None or position + length + 16 > size:
                raise InputFileError(
                    f"TFRecord shard is truncated or not a TFRecord file (the record at "
                    f"byte {position} runs past its end, {size} bytes).", path=path
                )
            position += length + 16
            f.seek(position)


def verify_shards(data):
    """Reads every record of every shard; returns `{path: num_records}`.

    Raises:
        ValueError: naming each shard that cannot be read to its end (bad
            CRC, truncation, not a TFRecord file).
    """
    import tensorflow as tf

    counts, bad = {}, []
    for path in resolve_shards(data):
        try:
            counts[path] = int(tf.data.TFRecordDataset(path).reduce(0, lambda n, _: n + 1))
        except tf.errors.OpError as e:
            bad.append(f"{path}: {e.message.splitlines()[0]}")
    if bad:
        raise ElectraError("Unreadable TFRecord shards:\n  " + "\n  ".join(bad))
    return counts


def tfrecord_dataset(data, batch_size, seq_len=None, shuffle=True, seed=0, repeat=True,
                     shuffle_buffer=10000, deterministic=False):
    """Batches of pretraining examples from the TFRecords of `build-data`.

    Args:
        data: a shard folder, or shard files / globs.
        batch_size: int. Examples per batch; the last partial batch is dropped,
            so every batch has the static shape `(batch_size, seq_len)`.
        seq_len: int or None. Read from the folder's `metadata.json` when None.
        shuffle: bool. Shuffle shard order and examples (with `seed`). Without
            shuffling, shards are interleaved one record at a time, which gives
            back the order in which `build-data` made the examples.
        seed: int. Shuffling seed.
        repeat: bool. Repeat forever (for `model.fit(..., steps_per_epoch=N)`).
        shuffle_buffer: int. Size of the example shuffle buffer.
        deterministic: bool. With shuffling, read shards in a fixed order, so
            the same seed gives the same batches (needed to resume a run).

    Returns:
        A `tf.data.Dataset` of dicts `{token_ids, segment_ids, padding_mask}`,
        int32 tensors of shape `(batch_size, seq_len)`; it feeds `model.fit` on
        every Keras backend.

    Example:
    ```python
    ds = tfrecord_dataset("shards/", batch_size=32)
    batch = next(iter(ds))  # batch["token_ids"].shape == (32, 128)
    ```
    """
    import tensorflow as tf

    paths = resolve_shards(data)
    if seq_len is None:
        seq_len = _shard_seq_len(data, paths)
    files = tf.data.Dataset.from_tensor_slices(paths)
    if shuffle:
        files = files.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        files = files.repeat()
    if shuffle:
        ds = files.interleave(tf.data.TFRecordDataset, cycle_length=len(paths),
                              num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    else:  # one record per shard in turn: build-data's order
        ds = files.interleave(tf.data.TFRecordDataset, cycle_length=len(paths), block_length=1)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    spec = {name: tf.io.FixedLenFeature([seq_len], tf.int64) for name in FEATURES}

    def parse(records):
        parsed = tf.io.parse_example(records, spec)
        return {name: tf.cast(parsed[name], tf.int32) for name in FEATURES}

    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _shard_seq_len(data, paths):
    folders = {os.path.dirname(p) for p in paths}
    for folder in folders:
        metadata = read_metadata(folder)
        if metadata:
            return metadata["seq_len"]
    import tensorflow as tf

    for record in tf.data.TFRecordDataset(paths[:1]).take(1):
        example = tf.train.Example.FromString(record.numpy())
        return len(example.features.feature["token_ids"].int64_list.value)
    raise ElectraError(f"Cannot tell seq_len: no metadata.json and no records in {paths[0]}")


class StreamingExamples:
    """Python iterator of example blocks for `text_dataset`, with read stats."""

    def __init__(self, inputs, vocabulary, seq_len, seed, lowercase, shuffle, repeat,
                 unit_bytes=None):
        self.paths = resolve_inputs(inputs)
        tokens = read_vocabulary(vocabulary)
        self.ids = (tokens.index("[CLS]"), tokens.index("[SEP]"), tokens.index("[PAD]"))
        self.tokenize = fast_tokenize_function(vocabulary, lowercase)
        total_bytes = sum(os.path.getsize(p) for p in self.paths)
        unit_bytes = unit_bytes or _auto_unit_bytes(total_bytes)  # as build-data
        self.units = [u for p in self.paths for u in split_into_units(p, unit_bytes)]
        self.seq_len, self.seed = seq_len, seed
        self.shuffle, self.repeat = shuffle, repeat
        self.stats = ReadStats()

    def examples(self):
        """Yields examples; epoch 0 without shuffling matches `build-data`'s order."""
        from keras_electra.data.pretraining_examples import unit_rng

        epoch = 0
        while True:
            order = list(range(len(self.units)))
            epoch_seed = self.seed if epoch == 0 else f"{self.seed}.{epoch}"
            if self.shuffle:
                random.Random(f"units:{epoch_seed}").shuffle(order)
            produced = 0
            for index in order:
                path, start, end = self.units[index]
                lines = read_lines(path, start, end, self.stats)
                for example in build_examples(lines, self.tokenize, self.seq_len,
                                              unit_rng(epoch_seed, index), *self.ids):
                    produced += 1
                    yield example
            for warning in self.stats.warnings():
                print(f"warning: streaming epoch {epoch}: {warning}", file=sys.stderr)
            self.stats = ReadStats()
            if produced == 0:
                raise ElectraError(f"No examples: the input files hold no text "
                                 f"({', '.join(self.paths)}).")
            epoch += 1
            if not self.repeat:
                return

    def blocks(self):
        """Yields dicts of int32 arrays `(n, seq_len)`, n <= 256."""
        block = []
        for example in self.examples():
            block.append(example)
            if len(block) == _STREAM_BLOCK:
                yield self._stack(block)
                block = []
        if block:
            yield self._stack(block)

    def _stack(self, block):
        return {name: np.array([e[name] for e in block], "int32") for name in FEATURES}


def text_dataset(inputs, vocabulary, batch_size, seq_len=128, seed=0, lowercase=True,
                 shuffle=True, repeat=True, shuffle_buffer=2000):
    """Batches of pretraining examples streamed from raw text, with no preprocessing pass.

    Reads the text files as the data is consumed, tokenizes each line (the
    `tokenizers` WordPiece, same ids as ElectraTokenizer) and packs lines into
    examples with `ExampleBuilder`, the rules of `build-data`, inside a
    `tf.data` pipeline (a Python generator stage, then shuffling, batching and
    prefetching in tf.data). Work units of whole documents are visited in a
    shuffled order each epoch. Without shuffling, the first epoch gives
    exactly the examples `build-data` writes for the same seed, in its order.

    Args:
        inputs: text files or globs (one sentence per line, blank line between
            documents).
        vocabulary: path of a `vocab.txt`.
        batch_size: int. Examples per batch; partial batches are dropped.
        seq_len: int. Tokens per example.
        seed: int. Fixes the examples and their order.
        lowercase: bool. Uncased tokenization (match your vocabulary).
        shuffle: bool. Shuffle work units and examples.
        repeat: bool. Start over at the end (new random choices each epoch).
        shuffle_buffer: int. Size of the example shuffle buffer.

    Returns:
        A `tf.data.Dataset` of dicts `{token_ids, segment_ids, padding_mask}`,
        int32 tensors of shape `(batch_size, seq_len)`.

    Example:
    ```python
    corpus = stdlib_docstring_corpus(max_files=50)
    ds = text_dataset([corpus], "vocab.txt", batch_size=8, seq_len=64)
    model.fit(ds, steps_per_epoch=100)
    ```
    """
    import tensorflow as tf

    stream = StreamingExamples(inputs, vocabulary, seq_len, seed, lowercase, shuffle, repeat)
    signature = {name: tf.TensorSpec((None, seq_len), tf.int32) for name in FEATURES}
    ds = tf.data.Dataset.from_generator(stream.blocks, output_signature=signature)
    ds = ds.unbatch()
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed)
    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE)
