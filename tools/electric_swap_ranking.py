"""Ranks real sentences against the same sentence with two words swapped, via `keras-electra score`.

For each held-out sentence (one a line; SST-2 dev from
`tools/natural_text_corpus.py`), two different words at random positions are
swapped; the pair is written as one n-best record and scored by the
`keras-electra score` command with an Electric scorer preset. The result is
the share of pairs whose original sentence scores strictly higher.

Example:
```
PYTHONPATH=. python tools/electric_swap_ranking.py --preset run/electric_scorer \\
    --sentences /tmp/natural/heldout.txt --pairs 500
```
"""

import argparse
import json
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", required=True, help="ElectricScorer preset directory")
    parser.add_argument("--sentences", required=True, help="held-out sentences, one a line")
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with open(args.sentences, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    pairs = swap_pairs(sentences, args.pairs, args.seed)
    rate = ranking_rate(args.preset, pairs)
    print(f"originals above their two-word swaps: {rate:.1%} of {len(pairs)} pairs")


if __name__ == "__main__":
    main()
