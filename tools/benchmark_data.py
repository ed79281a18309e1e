"""Data pipeline throughput: example building and streaming, in tokens/s per core.

Usage:
    PYTHONPATH=. python3 tools/benchmark_data.py [--seq-len 128] [--batch-size 128]
        [--workers 2] [--seconds 20] [--corpus FILE] [--vocab-size 8000]

Uses the standard library's docstrings as the corpus unless --corpus is given.
Counts real (non-padding) tokens. Prints a Markdown table row per measurement.
"""

import argparse
import os
import platform
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus")
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--seconds", type=float, default=20.0, help="streaming measurement time")
    args = parser.parse_args()

    import keras
    import tensorflow as tf
    import tokenizers

    from keras_electra.data import stdlib_docstring_corpus
    from keras_electra.data import text_dataset
    from keras_electra.data import tfrecord_dataset
    from keras_electra.data import train_vocabulary
    from keras_electra.data import write_pretraining_shards

    tmp = tempfile.mkdtemp()
    corpus = args.corpus or stdlib_docstring_corpus(os.path.join(tmp, "stdlib.txt"))
    vocab = os.path.join(tmp, "vocab.txt")
    start = time.perf_counter()
    train_vocabulary([corpus], args.vocab_size, out=vocab)
    vocab_s = time.perf_counter() - start
    size_mb = os.path.getsize(corpus) / 1e6
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"python {platform.python_version()}, tensorflow {tf.__version__}, "
          f"tokenizers {tokenizers.__version__}, keras {keras.__version__}")
    print(f"corpus: {corpus} ({size_mb:.1f} MB); vocab {args.vocab_size} trained in {vocab_s:.1f}s")
    print("| measurement | workers | tokens | seconds | tokens/s | tokens/s per core |")
    print("|---|---|---|---|---|---|")

    def row(name, workers, tokens, seconds):
        rate = tokens / seconds
        print(f"| {name} | {workers} | {tokens} | {seconds:.2f} | {rate:,.0f} | {rate / workers:,.0f} |")

    for workers in sorted({1, args.workers}):
        out = os.path.join(tmp, f"shards{workers}")
        start = time.perf_counter()
        meta = write_pretraining_shards([corpus], vocab, out, seq_len=args.seq_len,
                                        num_shards=8, workers=workers, seed=0, progress=False)
        row("build-data (tokenize, pack, serialize, write)", workers, meta["num_tokens"],
            time.perf_counter() - start)

    def consume(ds, name):
        ds = iter(ds)
        next(ds)  # start-up (threads, shuffle buffer) not counted
        tokens, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            tokens += int(next(ds)["padding_mask"].numpy().sum())
        row(name, 1, tokens, time.perf_counter() - start)

    consume(text_dataset([corpus], vocab, args.batch_size, args.seq_len, seed=0),
            f"streaming text_dataset (batch {args.batch_size})")
    consume(tfrecord_dataset(os.path.join(tmp, "shards1"), args.batch_size, seed=0),
            f"tfrecord_dataset read (batch {args.batch_size})")


if __name__ == "__main__":
    main()
