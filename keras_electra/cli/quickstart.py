"""`keras-electra quickstart`: build, save, reload and run a tiny ELECTRA, offline."""

import os
import tempfile

from keras_electra.cli.common import add_subcommand

SENTENCES = ["The quick brown fox jumps over the lazy dog.", "ELECTRA detects replaced tokens."]


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "quickstart",
        help="build, save, reload and run a tiny model (no download)",
        description=(
            "Builds an ElectraBackbone of the default pretraining recipe's size "
            "(keras-electra pretrain) and a tokenizer, saves them as a Keras "
            "preset, loads the preset back and runs two sentences through it, "
            "printing the outputs. Needs no network."
        ),
        examples=[
            "keras-electra quickstart",
            "keras-electra quickstart --out ./tiny_electra",
            "KERAS_BACKEND=torch keras-electra quickstart",
        ],
        run=run,
    )
    parser.add_argument("--out", help="preset directory to write (default: a temporary one)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    return parser


def run(args):
    import keras
    import numpy as np

    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraTextClassifierPreprocessor
    from keras_electra.models import ElectraTokenizer
    from keras_electra.preprocessing.demo_vocabulary import demo_vocabulary
    from keras_electra.training.recipes import DEFAULT_PRETRAINING_RECIPE
    from keras_electra.training.recipes import get_pretraining_recipe
    from keras_electra.utils.output_files import atomic_directory
    from keras_electra.utils.output_files import check_output

    if args.out:
        check_output(args.out, args.overwrite)
    out = args.out or os.path.join(tempfile.mkdtemp(), "tiny_electra")
    vocabulary = demo_vocabulary(SENTENCES)
    tokenizer = ElectraTokenizer(vocabulary=vocabulary)
    preprocessor = ElectraTextClassifierPreprocessor(tokenizer, sequence_length=16)
    # The size of the default pretraining recipe (`keras-electra pretrain`).
    size = get_pretraining_recipe(DEFAULT_PRETRAINING_RECIPE).model
    backbone = ElectraBackbone(**dict(size.backbone_kwargs(), vocabulary_size=len(vocabulary)))
    with atomic_directory(out) as tmp:  # replaces --out only once complete
        backbone.save_to_preset(tmp)
        preprocessor.save_to_preset(tmp)

    backbone = ElectraBackbone.from_preset(out)
    preprocessor = ElectraTextClassifierPreprocessor.from_preset(out)
    inputs = {k: np.asarray(v).astype("int32") for k, v in preprocessor(SENTENCES).items()}
    outputs = backbone(inputs)
    sequence = keras.ops.convert_to_numpy(outputs["sequence_output"])
    pooled = keras.ops.convert_to_numpy(outputs["pooled_output"])
    print(f"backend: {keras.config.backend()}")
    print(f"preset: {out} ({backbone.count_params():,} parameters)")
    for sentence, ids in zip(SENTENCES, inputs["token_ids"]):
        print(f"{sentence!r} -> token_ids {ids.tolist()}")
    print(f"sequence_output: shape {sequence.shape}, first values {np.round(sequence[0, 0, :4], 4).tolist()}")
    print(f"pooled_output ([CLS] vector): shape {pooled.shape}")
    return 0
