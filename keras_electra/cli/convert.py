"""`keras-electra convert`: checkpoints from transformers, TF1 or keras-hub to Keras presets, and back."""

import logging
import os
import sys

import numpy as np

from keras_electra.cli.common import add_subcommand

SOURCES = ("transformers", "tf1", "keras-hub", "tf-hub", "model-garden", "keras")
TARGETS = ("keras", "transformers", "tf-hub", "model-garden")


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "convert",
        help="convert checkpoints (transformers, original TF1, keras-hub) to Keras presets, or export",
        description=(
            "Converts a checkpoint into a keras-electra preset directory "
            "(backbone, plus the tokenizer when a vocab.txt is present), or "
            "exports a keras-electra preset to transformers (config.json + "
            "model.safetensors). transformers task checkpoints "
            "(ElectraFor{SequenceClassification,TokenClassification,MultipleChoice,"
            "QuestionAnswering}) become task presets, ElectraForMaskedLM an "
            "ElectraMaskedLM preset, ElectraForPreTraining a backbone preset with "
            "discriminator_head.safetensors; TF1 pretraining checkpoints give "
            "discriminator, generator and a full pretrainer. Loading is strict: "
            "missing, unexpected or misshapen weights stop the conversion with their names."
        ),
        examples=[
            "keras-electra convert --from transformers ./electra-small-discriminator --out ./small_keras",
            "keras-electra convert --from transformers hf://google/electra-small-discriminator --out ./small_keras",
            "keras-electra convert --from transformers ./bert-base-uncased --out ./bert_as_electra",
            "keras-electra convert --from tf1 ./electra_small/electra_small --out ./small_tf1 "
            "--num-heads 4 --generator-num-heads 1   # writes ./small_tf1/{discriminator,generator,pretrainer}",
            "keras-electra convert --from keras-hub ./electra_small_discriminator_uncased_en --out ./small_keras",
            "keras-electra convert --from keras ./small_keras --to transformers --out ./small_hf",
            "keras-electra convert --from transformers ./electra-sst2 --out ./sst2_keras   "
            "# ElectraForSequenceClassification -> ElectraTextClassifier(head='hf') task preset",
            "keras-electra convert --from transformers ./electra-swag --out ./swag_keras --num-choices 4 "
            "--sequence-length 128   # ElectraForMultipleChoice",
            "keras-electra convert --from transformers ./electra-squad --out ./squad_keras   "
            "# ElectraForQuestionAnswering -> ElectraQuestionAnswerer(head='hf')",
            "keras-electra convert --from keras ./sst2_keras --to transformers --out ./sst2_hf   "
            "# task preset -> ElectraForSequenceClassification",
            "keras-electra convert --from transformers ./electra-small-generator --out ./gen_keras   "
            "# ElectraForMaskedLM -> ElectraMaskedLM task preset",
            "keras-electra convert --from transformers ./electra-small-discriminator --out ./disc_keras   "
            "# ElectraForPreTraining -> backbone preset + discriminator_head.safetensors",
            "keras-electra convert --from keras ./disc_keras --to transformers --out ./disc_hf   "
            "# -> ElectraForPreTraining (ElectraModel when the preset has no RTD head)",
            "keras-electra convert --from tf-hub ./electra_small_hub --out ./small_keras   "
            "# TF Hub SavedModel (Model Garden BertEncoder) -> backbone preset + tokenizer",
            "keras-electra convert --from keras ./small_keras --to tf-hub --out ./small_hub   "
            "# -> SavedModel for tensorflow_hub.KerasLayer",
            "keras-electra convert --from model-garden ./mg_ckpt_dir --out ./small_mg   "
            "# -> ./small_mg/{discriminator,generator,pretrainer}",
            "keras-electra convert --from keras ./small_mg/pretrainer --to model-garden --out ./mg_again   "
            "# ElectraPretrainer -> Model Garden checkpoint",
        ],
        run=run,
    )
    parser.add_argument("source", help="checkpoint directory, hf:// handle, or TF1 checkpoint prefix")
    parser.add_argument("--from", dest="source_format", choices=SOURCES, required=True,
                        help="format of SOURCE ('keras' is a keras-electra preset, for --to transformers)")
    parser.add_argument("--to", dest="target_format", choices=TARGETS, default="keras",
                        help="output format (default: keras)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a non-empty --out (it is kept until the new files are "
                             "complete; never allowed when --out is the source)")
    parser.add_argument("--num-heads", type=int, default=None,
                        help="TF1 only: discriminator attention heads (default: max(1, hidden // 64))")
    parser.add_argument("--generator-num-heads", type=int, default=None,
                        help="TF1 only: generator attention heads (default: max(1, hidden // 64))")
    parser.add_argument("--role", choices=("discriminator", "generator"), default=None,
                        help="transformers only: which model of a combined discriminator+generator checkpoint")
    parser.add_argument("--num-choices", type=int, default=2,
                        help="transformers ElectraForMultipleChoice only: choices per example (default: 2)")
    parser.add_argument("--sequence-length", type=int, default=None,
                        help="transformers task/masked-LM checkpoints only: preprocessor sequence length "
                             "(default: the task's default, at most max_position_embeddings)")
    parser.add_argument("--vocabulary", default=None,
                        help="TF1 and model-garden: vocab.txt (TF1 default: vocab.txt next to the checkpoint)")
    parser.add_argument("--cased", action="store_true",
                        help="model-garden with --vocabulary: the vocabulary is cased (no lowercasing)")
    parser.add_argument("--keep-pooler", action="store_true",
                        help="tf-hub only: keep a non-identity pooler as pooler_head.safetensors "
                             "instead of refusing the model")
    return parser


def run(args):
    log = logging.getLogger("keras_electra.convert")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("[keras-electra convert] %(message)s"))
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        return _run(args, log)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def _run(args, log):
    if (args.num_heads or args.generator_num_heads) and args.source_format != "tf1":
        print("error: --num-heads/--generator-num-heads apply to --from tf1 only "
              "(other formats store the head count)", file=sys.stderr)
        return 2
    if args.target_format != "keras" and args.source_format != "keras":
        print(f"error: --to {args.target_format} needs --from keras (a keras-electra preset)", file=sys.stderr)
        return 2
    if args.target_format == "keras" and args.source_format == "keras":
        print("error: --from keras only makes sense with --to transformers, tf-hub or model-garden",
              file=sys.stderr)
        return 2
    _check_out(args)
    try:
        if args.target_format == "transformers":
            return _export(args, log)
        if args.target_format in ("tf-hub", "model-garden"):
            from keras_electra.cli.convert_tf2 import export

            return export(args, log)
        log.info("Converting %s checkpoint %s", args.source_format, args.source)
        if args.source_format == "transformers":
            from keras_electra.convert.transformers import convert_checkpoint

            model = convert_checkpoint(args.source, args.out, role=args.role,
                                       num_choices=args.num_choices,
                                       sequence_length=args.sequence_length)
            models = {"": model}
        elif args.source_format == "tf1":
            from keras_electra.convert.tf1 import convert_checkpoint

            models = convert_checkpoint(args.source, args.out, num_heads=args.num_heads,
                                        generator_num_heads=args.generator_num_heads,
                                        vocabulary=args.vocabulary)
        elif args.source_format in ("tf-hub", "model-garden"):
            from keras_electra.cli.convert_tf2 import convert

            models = convert(args)
        else:
            from keras_electra.convert.keras_hub import convert_checkpoint

            models = {"": convert_checkpoint(args.source, args.out)}
    except OSError as e:  # an ElectraError reaches main: one line, exit 2
        print(f"error: {e}", file=sys.stderr)
        return 1
    for role, model in models.items():
        path = os.path.join(args.out, role) if role else args.out
        try:
            size = f"{model.count_params():,} parameters"
        except ValueError:  # a subclassed model (the pretrainer) not yet called
            size = f"{sum(int(np.prod(v.shape)) for v in model.weights):,} weights"
        log.info("Done: %s, %s (%s)", path, type(model).__name__, size)
    return 0


def _check_out(args):
    """Refuses an --out that is (or holds) the source, or non-empty without --overwrite."""
    from keras_electra.utils.output_files import check_not_input
    from keras_electra.utils.output_files import check_output

    inputs = [args.vocabulary]
    if "://" not in args.source:  # a local checkpoint, not a hub handle
        inputs.append(args.source)  # for tf1 a prefix: its folder counts as holding it
    check_not_input(args.out, inputs)
    check_output(args.out, args.overwrite)


def _export(args, log):
    from keras_electra.convert.export import export_to_transformers
    from keras_electra.convert.export import transformers_architecture_of

    log.info("Loading preset %s", args.source)
    model, tokenizer = load_keras_preset(args.source)
    head = None
    if not hasattr(model, "backbone") and os.path.isfile(
        os.path.join(args.source, "discriminator_head.safetensors")
    ):
        from keras_electra.convert.pretraining import load_discriminator_head

        head = load_discriminator_head(args.source, model)
    export_to_transformers(model, args.out, tokenizer=tokenizer, discriminator_head=head)
    log.info("Done: %s loads with transformers.%s.from_pretrained", args.out,
             transformers_architecture_of(model, head))
    return 0


def load_keras_preset(path):
    """A preset's task model when it has `task.json`, else its backbone; plus its tokenizer."""
    import keras

    from keras_electra.models.preset_loading import PresetError
    from keras_electra.models import ElectraBackbone
    from keras_electra.models.preset_loading import read_json

    tokenizer = None
    if os.path.isfile(os.path.join(path, "tokenizer.json")):
        from keras_electra.models import ElectraTokenizer

        tokenizer = ElectraTokenizer.from_preset(path)
    if os.path.isfile(os.path.join(path, "task.json")):
        import keras_electra.tasks  # noqa: F401  (registers the task classes)

        name = read_json(os.path.join(path, "task.json")).get("registered_name")
        cls = keras.saving.get_registered_object(name) if isinstance(name, str) else None
        if cls is None:
            raise PresetError(f"{path}/task.json names no registered task class ({name!r}).")
        return cls.from_preset(path), tokenizer
    return ElectraBackbone.from_preset(path), tokenizer


