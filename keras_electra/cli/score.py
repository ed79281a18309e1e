"""`keras-electra score`: re-rank n-best lists with an Electric scorer preset."""

import json

from keras_electra.cli.common import add_subcommand


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "score",
        help="score sentences / n-best lists with an Electric model",
        description=(
            "Reads JSON lines, each {\"id\": ..., \"hypotheses\": [str, ...]} or "
            "{\"text\": str}, scores every sentence with an ElectricScorer preset "
            "(-sum of the energies s_t over real tokens; higher = more plausible) "
            "and writes JSON lines with the scores and hypotheses sorted best first."
        ),
        examples=[
            "keras-electra score --preset ./electric_scorer --input nbest.jsonl",
            "keras-electra score --preset ./electric_scorer --input nbest.jsonl --normalize --output ranked.jsonl",
        ],
        run=run,
    )
    parser.add_argument("--preset", required=True, help="ElectricScorer preset directory")
    parser.add_argument("--input", required=True, help="JSON-lines file to score")
    parser.add_argument("--output", help="output JSON-lines file (default: stdout)")
    parser.add_argument("--normalize", action="store_true", help="divide by token count")
    parser.add_argument("--batch-size", type=int, default=32)
    return parser


def run(args):
    import sys

    from keras_electra.models.electric_scorer import ElectricScorer

    scorer = ElectricScorer.from_preset(args.preset)
    with open(args.input) as f:
        records = [json.loads(line) for line in f if line.strip()]
    out = open(args.output, "w") if args.output else sys.stdout
    try:
        for i, record in enumerate(records):
            texts = record.get("hypotheses") or [record["text"]]
            result = scorer.score(texts, normalize=args.normalize, batch_size=args.batch_size)
            scores = [float(s) for s in result["scores"]]
            ranked = sorted(zip(texts, scores), key=lambda pair: -pair[1])
            record = dict(record, scores=scores, ranked=[t for t, _ in ranked])
            out.write(json.dumps(record) + "\n")
            if args.output:
                print(f"\rscored {i + 1}/{len(records)}", end="", file=sys.stderr)
    finally:
        if args.output:
            out.close()
            print(file=sys.stderr)
    return 0
