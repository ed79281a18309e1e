"""`keras-electra benchmark`: keras-electra on every backend vs transformers, side by side."""

from keras_electra.cli.common import add_subcommand


def add_parser(subparsers):
    from keras_electra.benchmark.runner import add_arguments

    parser = add_subcommand(
        subparsers,
        "benchmark",
        help="time pretraining, fine-tuning and inference against transformers",
        description=(
            "Measures the full RTD pretraining step, a classification fine-tuning "
            "step and inference for keras-electra on jax, tensorflow and torch (each "
            "in its own process) and for transformers in PyTorch (eager and "
            "torch.compile), with the same shapes, precision and data. Reports step "
            "time, tokens/s, peak memory, model FLOPs utilisation against a measured "
            "matmul peak, and the ratio to transformers eager; for Keras also the "
            "one-off cost of starting a fit/predict call. Step times are the median "
            "of --repeats timed calls. Backends that are not installed are skipped."
        ),
        examples=[
            "keras-electra benchmark                       # tiny, CPU-friendly defaults",
            "keras-electra benchmark --size small --batch-size 128 --seq-len 128 "
            "--precision bfloat16 --out bench/small",
            "keras-electra benchmark --workloads finetune --backends jax torch "
            "--transformers-modes eager",
            "keras-electra benchmark --backends jax tensorflow --steps-per-execution 10 "
            "--warmup-steps 10",
            "keras-electra benchmark --real-data --batch-size 32   # SST-2, MiniLM, vs "
            "transformers with dynamic padding",
            "keras-electra benchmark --real-data --train-file sts/train.tsv --eval-file "
            "sts/dev.tsv --text-columns 7,8 --label-column 9 --header yes --checkpoint ./bert",
        ],
        run=run,
    )
    add_arguments(parser)
    from keras_electra.benchmark.real_data import add_arguments as add_real_data_arguments

    add_real_data_arguments(parser)
    return parser


def run(args):
    import sys

    from keras_electra.benchmark import runner

    if args.out:
        runner.check_out(args.out, args.overwrite)
    args.command_line = " ".join(["keras-electra benchmark", *_own_arguments(sys.argv)])
    if args.real_data:
        from keras_electra.benchmark import real_data

        report = real_data.run(args)
        text = real_data.markdown(report)
    else:
        report = runner.run_all(args)
        text = runner.markdown(report)
    print(text)
    if args.out:
        runner.write(report, args.out, text)
        print(f"wrote {args.out}/results.json and {args.out}/results.md")
    failed = [r for r in report["rows"] if "error" in r and not r["error"].startswith("skipped")]
    return 1 if failed else 0


def _own_arguments(argv):
    """The arguments after `benchmark` (or after tools/benchmark.py)."""
    if "benchmark" in argv[1:]:
        return argv[argv.index("benchmark", 1) + 1:]
    return argv[1:]
