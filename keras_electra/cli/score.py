"""`keras-electra score`: re-rank n-best lists with an Electric scorer preset."""

import json

from keras_electra.cli.common import add_subcommand

# Sentences per `ElectricScorer.score` call: bounds memory ([chunk, T] token
# scores) and sets how often progress is shown.
CHUNK_BATCHES = 16


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "score",
        help="score sentences / n-best lists with an Electric model",
        description=(
            "Reads JSON lines, each {\"id\": ..., \"hypotheses\": [str, ...]} or "
            "{\"text\": str}, scores every sentence with an ElectricScorer preset "
            "(-sum of the energies s_t over real tokens; higher = more plausible) "
            "and writes JSON lines with the scores and hypotheses sorted best first. "
            "The whole input is checked before the model loads. Sentences longer than "
            "the scorer's sequence length are scored on their first tokens, with a "
            "warning. --output is written atomically (complete or not at all)."
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
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing --output file"
    )
    parser.add_argument("--normalize", action="store_true", help="divide by token count")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--quiet", action="store_true", help="no progress and no truncation warnings"
    )
    return parser


def run(args):
    import os
    import sys
    import warnings

    from keras_electra.data.nbest import read_score_records
    from keras_electra.errors import ElectraError
    from keras_electra.utils.output_files import atomic_file
    from keras_electra.utils.output_files import check_not_input
    from keras_electra.utils.output_files import check_output

    if args.batch_size < 1:
        raise ElectraError(f"--batch-size must be at least 1; received {args.batch_size}.")
    if args.output:
        check_not_input(args.output, [args.input], option="--output")
        if os.path.isdir(args.output):
            raise ElectraError(f"--output {args.output} is a directory; give a file path.")
        check_output(args.output, args.overwrite, option="--output")
    # Every record is checked before the model loads: a bad line fails fast.
    records = read_score_records(args.input)

    from keras_electra.tasks.electric_scorer import ElectricScorer

    scorer = ElectricScorer.from_preset(args.preset)
    texts = [text for record in records for text in record.texts]
    owners = [record for record in records for _ in record.texts]
    scores, truncated = [], []
    chunk = args.batch_size * CHUNK_BATCHES
    progress = not args.quiet and len(texts) > chunk
    for start in range(0, len(texts), chunk):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reported below, per record
            result = scorer.score(
                texts[start : start + chunk],
                normalize=args.normalize,
                batch_size=args.batch_size,
            )
        scores.extend(float(s) for s in result["scores"])
        truncated.extend(bool(t) for t in result["truncated"])
        if progress:
            print(f"\rscored {len(scores)}/{len(texts)} sentences", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    bad = [i for i, s in enumerate(scores) if s != s or s in (float("inf"), float("-inf"))]
    if bad:
        raise ElectraError(
            f"the scorer in {args.preset} gave {len(bad)} non-finite score(s) (first: "
            f"{args.input} line {owners[bad[0]].line}); its weights may be broken."
        )
    if not args.quiet and any(truncated):
        cut = sorted({owners[i].line for i, t in enumerate(truncated) if t})
        lines = ", ".join(map(str, cut[:10])) + (", ..." if len(cut) > 10 else "")
        print(
            f"keras-electra score: warning: {sum(truncated)} sentence(s) are longer than "
            f"{scorer.sequence_length - 2} wordpieces and were scored on their first "
            f"{scorer.sequence_length - 2} only (hypotheses that differ after the cut "
            f"score the same); {args.input} line(s) {lines}",
            file=sys.stderr,
        )

    def write(out):
        position = 0
        for record in records:
            own = scores[position : position + len(record.texts)]
            position += len(record.texts)
            # A stable sort: equal scores keep their input order.
            order = sorted(range(len(own)), key=lambda i: -own[i])
            data = dict(record.data, scores=own, ranked=[record.texts[i] for i in order])
            out.write(json.dumps(data) + "\n")

    if args.output:
        with atomic_file(args.output) as out:
            write(out)
        if not args.quiet:
            print(f"wrote {len(records)} records to {args.output}", file=sys.stderr)
    else:
        write(sys.stdout)
    return 0
