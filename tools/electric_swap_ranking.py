"""Ranks real sentences against the same sentence with two words swapped, via `keras-electra score`.

For each held-out sentence (one a line; SST-2 dev from
`tools/natural_text_corpus.py`), two different words at random positions are
swapped; the pair is written as one n-best record and scored by the
`keras-electra score` command with an Electric scorer preset. The result is
the share of pairs whose original sentence scores strictly higher.

Three references put that rate in context: `--bigram-corpus` ranks the same
pairs with a bigram model counted on the pretraining text (what local word
order alone gives), `--discriminator` with an ELECTRA discriminator
preset and its replaced token detection head (the sentence score is
`sum log(1 - p_replaced)` over its wordpieces, [CLS] and [SEP] left out), and
`--masked-lm` with a masked-LM (generator) preset and the pseudo-log-likelihood
that Electric's score stands in for (Salazar et al., 2020: each wordpiece masked
in turn, `sum log p(original | rest)`).

Example:
```
PYTHONPATH=. python tools/electric_swap_ranking.py --preset run/electric_scorer \\
    --sentences /tmp/natural/heldout.txt --pairs 500 \\
    --bigram-corpus /tmp/natural/pretrain.txt --discriminator run/discriminator \\
    --masked-lm run/generator
```
"""

import argparse
import collections
import json
import math
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def swap_pairs(sentences, count, seed=0, min_words=4, max_words=40):
    """`[(original, swapped)]`: two different words exchanged at random positions."""
    rng = random.Random(seed)
    pool = [s.split() for s in sentences if min_words <= len(s.split()) <= max_words]
    rng.shuffle(pool)
    pairs = []
    for words in pool:
        if len(set(words)) < 2:
            continue
        while True:
            i, j = rng.sample(range(len(words)), 2)
            if words[i] != words[j]:
                break
        swapped = list(words)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        pairs.append((" ".join(words), " ".join(swapped)))
        if len(pairs) == count:
            break
    return pairs


def ranking_rate(preset, pairs, batch_size=64, env=None):
    """Share of pairs whose original `keras-electra score` ranks first (ties lose)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "pairs.jsonl")
        with open(source, "w", encoding="utf-8") as f:
            for k, (original, swapped) in enumerate(pairs):
                f.write(json.dumps({"id": k, "hypotheses": [original, swapped]}) + "\n")
        ranked = os.path.join(tmp, "ranked.jsonl")
        command = [sys.executable, "-m", "keras_electra.cli.main", "score", "--preset", preset,
                   "--input", source, "--output", ranked, "--batch-size", str(batch_size),
                   "--quiet"]
        environment = dict(os.environ if env is None else env)
        environment["PYTHONPATH"] = ROOT + os.pathsep + environment.get("PYTHONPATH", "")
        subprocess.run(command, check=True, env=environment)
        with open(ranked, encoding="utf-8") as f:
            records = [json.loads(line) for line in f]
    wins = sum(r["scores"][0] > r["scores"][1] for r in records)
    return wins / len(records)


def bigram_ranking_rate(corpus_path, pairs, smoothing=0.1):
    """Share of pairs a bigram model of `corpus_path` ranks original first (ties lose).

    Lower-cased whitespace words, sentence start and end markers, add-`smoothing`
    estimates `(c(a, b) + k) / (c(a) + k V)`.
    """
    unigrams, bigrams = collections.Counter(), collections.Counter()
    with open(corpus_path, encoding="utf-8") as f:
        for line in f:
            words = line.lower().split()
            if words:
                words = ["<s>"] + words + ["</s>"]
                unigrams.update(words)
                bigrams.update(zip(words, words[1:]))
    denominator = smoothing * len(unigrams)

    def log_probability(sentence):
        words = ["<s>"] + sentence.lower().split() + ["</s>"]
        return sum(math.log((bigrams[(a, b)] + smoothing) / (unigrams[a] + denominator))
                   for a, b in zip(words, words[1:]))

    wins = sum(log_probability(original) > log_probability(swapped) for original, swapped in pairs)
    return wins / len(pairs)


def discriminator_scores(preset, sentences, batch_size=64):
    """`sum log(1 - p_replaced)` of each sentence under an ELECTRA discriminator preset."""
    import keras
    import numpy as np

    from keras_electra.convert import load_discriminator_head
    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraTextClassifierPreprocessor

    backbone = ElectraBackbone.from_preset(preset)
    head = load_discriminator_head(preset, backbone)
    preprocessor = ElectraTextClassifierPreprocessor.from_preset(preset)
    scores = []
    for start in range(0, len(sentences), batch_size):
        inputs = {k: np.asarray(v).astype("int32")
                  for k, v in preprocessor(sentences[start:start + batch_size]).items()}
        logits = keras.ops.convert_to_numpy(
            keras.ops.cast(head(backbone(inputs)["sequence_output"]), "float32"))
        logits = logits.reshape(logits.shape[0], -1)
        ids = inputs["token_ids"]
        tokenizer = preprocessor.tokenizer
        words = (inputs["padding_mask"] > 0) & (ids != tokenizer.cls_token_id) & (ids != tokenizer.sep_token_id)
        # log(1 - sigmoid(z)) = -softplus(z), over the wordpieces (not [CLS], [SEP], pads).
        scores.extend((-np.logaddexp(0.0, logits) * words).sum(axis=1).tolist())
    return scores


def discriminator_ranking_rate(preset, pairs):
    """Share of pairs whose original the discriminator finds less replaced (ties lose)."""
    originals = discriminator_scores(preset, [a for a, _ in pairs])
    swapped = discriminator_scores(preset, [b for _, b in pairs])
    return sum(a > b for a, b in zip(originals, swapped)) / len(pairs)


def masked_lm_scores(preset, sentences, batch_size=256):
    """Pseudo-log-likelihood of each sentence under an `ElectraMaskedLM` preset.

    Each wordpiece of `[CLS] sentence [SEP]` (truncated to the preprocessor's
    sequence length) is replaced by [MASK] in its own copy, and the log
    probability of the original wordpiece there is summed.
    """
    import keras
    import numpy as np

    from keras_electra.tasks import ElectraMaskedLM

    masked_lm = ElectraMaskedLM.from_preset(preset)
    tokenizer = masked_lm.preprocessor.tokenizer
    length = masked_lm.preprocessor.sequence_length
    rows, owners = [], []  # (ids, masked position) and its sentence
    for index, sentence in enumerate(sentences):
        pieces = [int(t) for t in np.asarray(tokenizer(sentence))][: length - 2]
        ids = [tokenizer.cls_token_id, *pieces, tokenizer.sep_token_id]
        for position in range(1, len(ids) - 1):
            rows.append((ids, position))
            owners.append(index)
    scores = np.zeros(len(sentences))
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        width = max(len(ids) for ids, _ in chunk)
        token_ids = np.full((len(chunk), width), tokenizer.pad_token_id, "int32")
        padding_mask = np.zeros((len(chunk), width), "int32")
        positions = np.array([[p] for _, p in chunk], "int32")
        originals = np.array([ids[p] for ids, p in chunk])
        for r, (ids, p) in enumerate(chunk):
            token_ids[r, : len(ids)] = ids
            token_ids[r, p] = tokenizer.mask_token_id
            padding_mask[r, : len(ids)] = 1
        logits = masked_lm({"token_ids": token_ids, "padding_mask": padding_mask,
                            "mask_positions": positions}, training=False)
        log_probs = keras.ops.convert_to_numpy(
            keras.ops.log_softmax(keras.ops.cast(logits[:, 0], "float32"), axis=-1))
        np.add.at(scores, owners[start:start + batch_size],
                  log_probs[np.arange(len(chunk)), originals])
    return scores.tolist()


def masked_lm_ranking_rate(preset, pairs):
    """Share of pairs whose original has the higher pseudo-log-likelihood (ties lose)."""
    originals = masked_lm_scores(preset, [a for a, _ in pairs])
    swapped = masked_lm_scores(preset, [b for _, b in pairs])
    return sum(a > b for a, b in zip(originals, swapped)) / len(pairs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", help="ElectricScorer preset directory")
    parser.add_argument("--sentences", required=True, help="held-out sentences, one a line")
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bigram-corpus", help="also rank with a bigram model of this text file")
    parser.add_argument("--discriminator", help="also rank with this ELECTRA discriminator preset")
    parser.add_argument("--masked-lm", help="also rank with this masked-LM (generator) preset's "
                        "pseudo-log-likelihood")
    args = parser.parse_args(argv)
    if not (args.preset or args.bigram_corpus or args.discriminator or args.masked_lm):
        parser.error("give --preset, --bigram-corpus, --discriminator or --masked-lm")
    with open(args.sentences, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    pairs = swap_pairs(sentences, args.pairs, args.seed)
    rates = {}
    if args.preset:
        rates["Electric"] = ranking_rate(args.preset, pairs)
    if args.bigram_corpus:
        rates["bigram counts"] = bigram_ranking_rate(args.bigram_corpus, pairs)
    if args.discriminator:
        rates["ELECTRA discriminator"] = discriminator_ranking_rate(args.discriminator, pairs)
    if args.masked_lm:
        rates["masked-LM pseudo-log-likelihood"] = masked_lm_ranking_rate(args.masked_lm, pairs)
    for name, rate in rates.items():
        print(f"{name}: originals above their two-word swaps in {rate:.1%} of {len(pairs)} pairs")
    return rates


if __name__ == "__main__":
    main()
