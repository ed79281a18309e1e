"""Sharded TFRecords of pretraining examples, built in parallel, deterministic for a seed."""

import json
import multiprocessing
import os
import sys
import time

from keras_electra.data.pretraining_examples import build_unit_examples
from keras_electra.data.text_files import ReadStats
from keras_electra.data.text_files import resolve_inputs
from keras_electra.data.text_files import split_into_units
from keras_electra.data.vocabulary import fast_tokenize_function
from keras_electra.data.vocabulary import read_vocabulary
from keras_electra.utils.output_files import atomic_directory
from keras_electra.errors import ElectraError

FEATURES = ("token_ids", "segment_ids", "padding_mask")
METADATA_FILE = "metadata.json"
SHARD_PATTERN = "pretrain_data.tfrecord-{:05d}-of-{:05d}"

# Varint encodings of small ints, for fast `tf.train.Example` serialization.
_VARINTS = []


def _varint(value):
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _length_delimited(field, payload):
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def serialize_example(example):
    """A `tf.train.Example` (int64 features) as bytes, without TensorFlow.

    Writes the protocol buffer by hand: `Example.features.feature[name]
    .int64_list.value`, packed. Values must be non-negative ints.
    """
    if not _VARINTS:
        _VARINTS.extend(_varint(i) for i in range(1 << 16))
    entries = b""
    for name in FEATURES:
        values = example[name]
        packed = b"".join(_VARINTS[v] if v < 65536 else _varint(v) for v in values)
        feature = _length_delimited(3, _length_delimited(1, packed))  # Feature.int64_list
        entry = _length_delimited(1, name.encode()) + _length_delimited(2, feature)
        entries += _length_delimited(1, entry)  # Features.feature map entry
    return _length_delimited(1, entries)  # Example.features


def _auto_unit_bytes(total_bytes):
    # Enough units to keep many workers busy, few enough to keep overhead low.
    return int(min(4 << 20, max(64 << 10, total_bytes // 64)))


def _build_unit(task):
    """Worker: serialized examples, token count and read stats of one unit."""
    unit_index, unit, tokenize, seq_len, seed, ids = task
    stats = ReadStats()
    records, tokens = [], 0
    for example in build_unit_examples(unit, unit_index, tokenize, seq_len, seed, stats, *ids):
        records.append(serialize_example(example))
        tokens += sum(example["padding_mask"])
    return records, tokens, stats


def _pool(workers):
    if workers <= 1:
        return None
    methods = multiprocessing.get_all_start_methods()
    # Workers need no TensorFlow, so forking is safe and fast.
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return context.Pool(workers)


def write_pretraining_shards(inputs, vocabulary, output_dir, seq_len=128, num_shards=16,
                             workers=1, seed=0, lowercase=True, unit_bytes=None,
                             progress=True):
    """Writes ELECTRA pretraining examples of text files as sharded TFRecords.

    The text (one sentence per line, a blank line between documents) is split
    into work units of whole documents; each unit is tokenized and packed by
    `ExampleBuilder` with its own random stream, derived from `seed` and the
    unit's index. Units run on `workers` processes, and examples are dealt to
    the shards round-robin in unit order, as the original does, so the shards
    are byte-identical for a seed whatever the number of workers.

    Each record has int64 features `token_ids`, `segment_ids` and
    `padding_mask` of length `seq_len`. `metadata.json` in `output_dir` records
    the settings and counts (examples, tokens, repaired lines) and each
    shard's size in bytes, which the readers check.

    The shards and `metadata.json` are written to a temporary sibling folder
    that replaces `output_dir` as a whole at the end: a failed or killed run
    leaves the previous folder as it was.

    Args:
        inputs: text files or globs.
        vocabulary: path of a `vocab.txt`.
        output_dir: folder for the shards (created; an existing folder is
            replaced, with everything in it, once the new shards are complete).
        seq_len: int. Tokens per example.
        num_shards: int. Number of TFRecord files.
        workers: int. Processes that build examples.
        seed: int. Fixes every random choice.
        lowercase: bool. Uncased tokenization (match your vocabulary).
        unit_bytes: int or None. Size of a work unit; by default from the
            corpus size (never from `workers`).
        progress: bool. Show a progress bar on stderr.

    Returns:
        The metadata dict (also written to `metadata.json`).

    Example:
    ```python
    corpus = stdlib_docstring_corpus(max_files=50)
    train_vocabulary([corpus], 4000, out="vocab.txt")
    write_pretraining_shards([corpus], "vocab.txt", "shards/", seq_len=128,
                             num_shards=4, workers=2, seed=0)
    ```
    """
    import tensorflow as tf

    if seq_len < 5:
        raise ElectraError(f"seq_len must be at least 5, got {seq_len}.")
    if num_shards < 1 or workers < 1:
        raise ElectraError(f"num_shards and workers must be positive, got {num_shards}, {workers}.")
    paths = resolve_inputs(inputs)
    tokens = read_vocabulary(vocabulary)
    ids = (tokens.index("[CLS]"), tokens.index("[SEP]"), tokens.index("[PAD]"))
    tokenize = fast_tokenize_function(vocabulary, lowercase)
    total_bytes = sum(os.path.getsize(p) for p in paths)
    unit_bytes = unit_bytes or _auto_unit_bytes(total_bytes)
    units = [u for p in paths for u in split_into_units(p, unit_bytes)]
    tasks = [(i, u, tokenize, seq_len, seed, ids) for i, u in enumerate(units)]

    stats = ReadStats()
    counts = [0] * num_shards
    num_tokens = 0
    bar = _progress_bar(total_bytes) if progress else None
    start = time.time()
    with atomic_directory(output_dir) as tmp:
        shard_paths = [os.path.join(tmp, SHARD_PATTERN.format(i, num_shards))
                       for i in range(num_shards)]
        pool = _pool(min(workers, len(tasks)))
        writers = [tf.io.TFRecordWriter(p) for p in shard_paths]
        try:
            results = pool.imap(_build_unit, tasks) if pool else map(_build_unit, tasks)
            n = 0
            for records, unit_tokens, unit_stats in results:
                for record in records:
                    writers[n % num_shards].write(record)
                    counts[n % num_shards] += 1
                    n += 1
                num_tokens += unit_tokens
                stats += unit_stats
                if bar:
                    bar.add(unit_stats.bytes)
        finally:
            for writer in writers:
                writer.close()
            if pool:
                pool.terminate()
        if n == 0:
            raise ElectraError(f"No examples: the input files hold no text ({', '.join(paths)}).")
        metadata = {
            "seq_len": seq_len,
            "num_examples": n,
            "num_tokens": num_tokens,
            "num_shards": num_shards,
            "shards": [os.path.basename(p) for p in shard_paths],
            "examples_per_shard": counts,
            # Readers compare each shard's size with this to catch truncation.
            "shard_bytes": [os.path.getsize(p) for p in shard_paths],
            "seed": seed,
            "lowercase": lowercase,
            "vocabulary_size": len(tokens),
            "inputs": paths,
            "read": stats.as_dict(),
            "seconds": round(time.time() - start, 3),
        }
        with open(os.path.join(tmp, METADATA_FILE), "w") as f:
            json.dump(metadata, f, indent=2)
    for warning in stats.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return metadata


def _progress_bar(total_bytes):
    import keras

    return keras.utils.Progbar(total_bytes, unit_name="byte", stateful_metrics=[])


def read_metadata(directory):
    """The `metadata.json` of a shard folder, or None when there is none."""
    path = os.path.join(directory, METADATA_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)
