"""RTD on natural text with keras-hub encoders against an ElectraBackbone of the same size.

Builds the natural-English corpus of `tools/natural_text_corpus.py`, trains a
WordPiece vocabulary on it (`keras_electra.data.train_vocabulary`), packs
ELECTRA examples (`build_examples`), and pretrains one `ElectraPretrainer`
per encoder on the same batches, in the same order, with the same recipe:

- `electra`: `ElectraBackbone` discriminator and generator, tied embeddings
  (ELECTRA's recipe);
- `bert`: keras-hub `BertBackbone` discriminator and generator, tied;
- `deberta_v3`: keras-hub `DebertaV3Backbone` discriminator and generator
  with GDES (DeBERTaV3's recipe);
- `roberta`: keras-hub `RobertaBackbone`, tied (only when asked).

Every discriminator has `--layers` layers of width `--hidden`; every
generator one layer of the same width (a shared table needs one width).
Adam at a constant `--learning-rate`, generator samples at `--temperature` 2
(the `demo` recipe's, see guides/pretraining.md), batch 16 of 64 tokens.
The run has two fits; the metrics of the second are those of the last
`--last` steps (`disc_auc` over them). Prints one JSON line per encoder.

Example:
```
PYTHONPATH=. KERAS_BACKEND=torch python tools/any_encoder_learning.py --steps 100 --last 20
```
"""

import argparse
import importlib.util
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# The encoder name -> (keras-hub class name or None for ElectraBackbone, sharing).
ENCODERS = {
    "electra": (None, "tied"),
    "bert": ("BertBackbone", "tied"),
    "deberta_v3": ("DebertaV3Backbone", "gdes"),
    "roberta": ("RobertaBackbone", "tied"),
}
PAD, CLS, SEP, MASK = 0, 2, 3, 4  # the ids of `train_vocabulary`'s special tokens


def _corpus_tool():
    path = os.path.join(ROOT, "tools", "natural_text_corpus.py")
    spec = importlib.util.spec_from_file_location("natural_text_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def natural_examples(shared, workdir, count, length, vocabulary_size=2000):
    """`(dict of [count, length] int32 arrays, vocabulary size)` from the shared data."""
    import numpy as np

    from keras_electra.data import train_vocabulary
    from keras_electra.data.pretraining_examples import build_examples
    from keras_electra.data.vocabulary import fast_tokenize_function

    pretrain, _ = _corpus_tool().write_corpus(os.path.join(workdir, "corpus"), shared)
    vocab_path = os.path.join(workdir, "vocab.txt")
    tokens = train_vocabulary([pretrain], vocabulary_size, out=vocab_path)
    with open(pretrain, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    examples = []
    for example in build_examples(lines, fast_tokenize_function(vocab_path), length, rng=0):
        examples.append(example)
        if len(examples) == count:
            break
    if len(examples) < count:
        raise ValueError(f"The corpus gives {len(examples)} examples of {length}; asked {count}.")
    data = {k: np.array([e[k] for e in examples], "int32") for k in examples[0]}
    return data, len(tokens)


def build(name, vocabulary_size, length, hidden, layers, seed, temperature=1.0):
    """The `ElectraPretrainer` of one encoder (see `ENCODERS`)."""
    import keras_hub

    from keras_electra.models import ElectraBackbone
    from keras_electra.models import ElectraPretrainer

    class_name, sharing = ENCODERS[name]
    special = dict(mask_token_id=MASK, cls_token_id=CLS, sep_token_id=SEP, pad_token_id=PAD)

    def size(num_layers, heads):
        return dict(vocabulary_size=vocabulary_size, num_layers=num_layers, num_heads=heads,
                    hidden_dim=hidden, intermediate_dim=4 * hidden, max_sequence_length=length)

    heads = max(1, hidden // 32)
    if class_name is None:
        discriminator = ElectraBackbone(**size(layers, heads), name="discriminator")
        generator = ElectraBackbone(**size(1, heads), embedding_layer=discriminator.embeddings,
                                    name="generator")
    else:
        cls = getattr(keras_hub.models, class_name)
        discriminator = cls(**size(layers, heads), name="discriminator")
        generator = cls(**size(1, heads), name="generator")
    return ElectraPretrainer(discriminator, generator, embedding_sharing=sharing, seed=seed,
                             temperature=temperature, **special)


def run(shared, workdir, names=("electra", "bert", "deberta_v3"), steps=100, last=20,
        batch_size=16, length=64, hidden=64, layers=2, learning_rate=1e-3, seed=0,
        temperature=2.0, report=None):
    """`{encoder: {"disc_auc": ..., ...}}`: the metrics of the last `last` steps.

    `report(name, metrics)` is called as each encoder finishes.
    """
    import keras

    data, vocabulary_size = natural_examples(shared, workdir, steps * batch_size, length)
    split = (steps - last) * batch_size
    first = {k: v[:split] for k, v in data.items()}
    second = {k: v[split:] for k, v in data.items()}
    results = {}
    for name in names:
        keras.utils.set_random_seed(seed)
        model = build(name, vocabulary_size, length, hidden, layers, seed, temperature)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate))
        model.fit(first, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        history = model.fit(second, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        results[name] = {k: float(v[-1]) for k, v in history.history.items()}
        if report is not None:
            report(name, results[name])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared-data", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--workdir", default="/tmp/any_encoder_learning")
    parser.add_argument("--encoders", default="electra,bert,deberta_v3")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--last", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--temperature", type=float, default=2.0)
    args = parser.parse_args(argv)

    def report(name, metrics):
        print(json.dumps({"encoder": name, **{k: round(v, 4) for k, v in metrics.items()}}),
              flush=True)

    run(args.shared_data, args.workdir, tuple(args.encoders.split(",")), args.steps, args.last,
        args.batch_size, args.length, args.hidden, args.layers, args.learning_rate,
        temperature=args.temperature, report=report)


if __name__ == "__main__":
    main()
