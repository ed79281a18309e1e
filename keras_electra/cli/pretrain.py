"""`keras-electra pretrain`: pretrain ELECTRA from raw text or TFRecord shards, resumable."""

import argparse
import sys

from keras_electra.cli.common import add_subcommand
from keras_electra.models.pretrainer import EMBEDDING_SHARING
from keras_electra.models.pretrainer import OBJECTIVES
from keras_electra.training.recipes import DEFAULT_PRETRAINING_RECIPE
from keras_electra.training.recipes import PRETRAINING_RECIPES

EXAMPLES = [
    "# quickstart: the demo recipe on the Python standard library's docstrings (no download)",
    "keras-electra pretrain --out ./electra_demo",
    "# your corpus (one sentence per line, blank line between documents)",
    "keras-electra pretrain --data 'corpus/*.txt' --vocab vocab.txt --model small \\",
    "    --steps 100000 --out ./electra_small --mixed-precision",
    "# shards of `keras-electra build-data`, Electric objective",
    "keras-electra pretrain --data shards/ --vocab vocab.txt --objective electric --out ./electric",
    "# continue after a crash or kill, from the newest readable checkpoint",
    "keras-electra pretrain --out ./electra_small --resume",
    "# start over in a folder that holds a run (its contents are deleted)",
    "keras-electra pretrain --out ./electra_demo --overwrite",
]


def add_parser(subparsers):
    from keras_electra.cli.distribution_args import add_distribution_arguments

    parser = add_subcommand(
        subparsers,
        "pretrain",
        help="pretrain an ELECTRA discriminator and generator from text",
        description=(
            "Pretrains ELECTRA with the original recipe of the chosen size, shows "
            "a progress bar with the pretrainer metrics, writes TensorBoard logs and "
            "atomic checkpoints, and at the end writes the discriminator and "
            "generator presets (with tokenizer), summary.json and a plot of the "
            "loss and disc_auc into --out. Without --data it pretrains on the "
            "standard library's docstrings; without --model it uses the demo recipe. The backend comes from "
            "KERAS_BACKEND. With --resume, settings not given are those of the run."
        ),
        examples=EXAMPLES,
        run=run,
    )
    parser.add_argument("--data", nargs="+",
                        help="text files or globs, or TFRecord shard folders/files from build-data "
                             "(default: the Python standard library's docstrings)")
    parser.add_argument("--vocab", help="vocab.txt (default: train one on the text corpus)")
    parser.add_argument("--vocab-size", type=int, help="size of the trained vocabulary (default 4000)")
    parser.add_argument("--cased", dest="lowercase", action="store_const", const=False,
                        help="keep case (the vocabulary must be cased too)")
    parser.add_argument("--model", help=f"a recipe ({'|'.join(PRETRAINING_RECIPES)}) or a JSON file "
                                        "of ElectraBackbone arguments (default "
                                        f"{DEFAULT_PRETRAINING_RECIPE}: the tiny size with a "
                                        "recipe that learns visibly on a CPU; electric_demo "
                                        "with --objective electric)")
    parser.add_argument("--init-from", metavar="CHECKPOINT",
                        help="continued pretraining: start the discriminator from a checkpoint "
                             "(a keras-electra preset, a transformers ELECTRA or BERT directory) "
                             "and use its vocabulary; the generator starts fresh; pass a smaller "
                             "--learning-rate (e.g. 1e-4)")
    parser.add_argument("--objective", choices=OBJECTIVES,
                        help="pretraining objective (default electra)")
    parser.add_argument("--embedding-sharing", choices=EMBEDDING_SHARING,
                        help="how the generator shares the discriminator's embeddings "
                             "(default: the recipe's, tied as in the original)")
    parser.add_argument("--steps", type=int,
                        help="total training steps (default: the recipe's; 0 exports the initial weights)")
    parser.add_argument("--batch-size", type=int, help="global batch size (default: the recipe's)")
    parser.add_argument("--seq-len", type=int, help="tokens per example (default: the recipe's)")
    parser.add_argument("--learning-rate", type=float, help="peak learning rate (default: the recipe's)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a fresh run in a non-empty --out, deleting what it holds "
                             "(once the inputs are checked)")
    parser.add_argument("--mixed-precision", nargs="?", const="bfloat16", choices=("bfloat16", "float16"),
                        help="mixed precision compute (bfloat16 when given without a value)")
    parser.add_argument("--seed", type=int, help="seed of data order, masking and init (default 0)")
    parser.add_argument("--checkpoint-every", type=int,
                        help="steps between checkpoints, also the logging interval "
                             "(default: a tenth of the run, at most 1000)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    # Fault-injection tests slow the run down to kill it mid-way.
    parser.add_argument("--step-delay", type=float, default=0.0, help=argparse.SUPPRESS)
    add_distribution_arguments(parser)
    return parser


def run(args):
    from keras_electra.apps.pretraining import PretrainingSettings
    from keras_electra.apps.pretraining import run_pretraining
    from keras_electra.cli.distribution_args import apply_distribution

    settings = PretrainingSettings(
        data=args.data, vocab=args.vocab, vocab_size=args.vocab_size, lowercase=args.lowercase,
        model=args.model, objective=args.objective, steps=args.steps, batch_size=args.batch_size,
        seq_len=args.seq_len, learning_rate=args.learning_rate, seed=args.seed,
        checkpoint_every=args.checkpoint_every, mixed_precision=args.mixed_precision,
        init_from=args.init_from,
        recipe_overrides=(None if args.embedding_sharing is None
                          else {"embedding_sharing": args.embedding_sharing}),
    )
    try:
        run_pretraining(
            settings, args.out, resume=args.resume, overwrite=args.overwrite,
            verbose=0 if args.quiet else 1,
            distribution_scope=apply_distribution(args), step_delay=args.step_delay,
        )
    except OSError as e:  # an ElectraError reaches main: one line, exit 2
        print(f"keras-electra pretrain: error: {e}", file=sys.stderr)
        return 1
    return 0
