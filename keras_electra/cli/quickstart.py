"""`keras-electra quickstart`: the shipped demo model doing ELECTRA's job, offline."""

import os
import shutil

from keras_electra.cli.common import add_subcommand

# An SST-2 dev sentence (never in the demo's pretraining text) with one word replaced.
ORIGINAL = "a gorgeous , witty , seductive movie ."
REPLACED = ("witty", "tuesday")
MASKED = "the movie was very [MASK] ."


def add_parser(subparsers):
    parser = add_subcommand(
        subparsers,
        "quickstart",
        help="run the shipped demo model: replaced token detection and [MASK] filling (no download)",
        description=(
            "Loads the demo discriminator and generator shipped inside the package "
            "(pretrained with the demo recipe of keras-electra pretrain on natural "
            "English; guides/pretraining.md) and prints, in three lines, which tokens "
            "of a sentence with a replaced word the discriminator flags, what the "
            "generator puts in a [MASK], and that no Electric scorer is shipped. "
            "Needs no network. With --out, also copies the presets there."
        ),
        examples=[
            "keras-electra quickstart",
            "keras-electra quickstart --out ./electra_demo",
            "KERAS_BACKEND=jax keras-electra quickstart",
        ],
        run=run,
    )
    parser.add_argument("--out", help="also copy the demo presets into this folder")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    return parser


def replaced_token_probabilities(sentence, preset):
    """`[(wordpiece, probability replaced)]` of the discriminator preset for `sentence`."""
    import keras
    import numpy as np

    from keras_electra.convert import load_discriminator_head
    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraTextClassifierPreprocessor

    backbone = ElectraBackbone.from_preset(preset)
    head = load_discriminator_head(preset, backbone)
    preprocessor = ElectraTextClassifierPreprocessor.from_preset(preset)
    inputs = {k: np.asarray(v).astype("int32") for k, v in preprocessor([sentence]).items()}
    logits = head(backbone(inputs)["sequence_output"])
    probs = keras.ops.convert_to_numpy(keras.ops.sigmoid(keras.ops.cast(logits, "float32")))
    probs = probs.reshape(probs.shape[0], -1)[0]
    tokenizer = preprocessor.tokenizer
    ids, mask = inputs["token_ids"][0], inputs["padding_mask"][0]
    # Skip [CLS], [SEP] and padding.
    return [(tokenizer.id_to_token(int(i)), float(p)) for i, p, m in zip(ids, probs, mask)
            if m and int(i) not in (tokenizer.cls_token_id, tokenizer.sep_token_id)]


def run(args):
    from keras_electra.models.demo_presets import DEMO_ROLES
    from keras_electra.models.demo_presets import demo_preset
    from keras_electra.tasks import ElectraMaskedLM
    from keras_electra.utils.output_files import atomic_directory
    from keras_electra.utils.output_files import check_output

    if args.out:
        check_output(args.out, args.overwrite)
    sentence = ORIGINAL.replace(REPLACED[0], REPLACED[1])
    scored = replaced_token_probabilities(sentence, demo_preset("discriminator"))
    top = max(p for _, p in scored)
    shown = " ".join(f"[{t} {p:.2f}]" if p == top else t for t, p in scored)
    print(f"discriminator ({REPLACED[0]} -> {REPLACED[1]}): {shown}  "
          "([token p]: most likely replaced)")

    generator = ElectraMaskedLM.from_preset(demo_preset("generator"))
    (candidates,) = generator.fill_mask([MASKED], top_k=3)[0]
    filled = ", ".join(f"{t} {p:.2f}" for t, p in candidates)
    print(f"generator: {MASKED!r} -> {filled}  (top 3; a 200-step generator knows word "
          "frequencies, little context)")
    print("electric: no scorer shipped (from random weights Electric does not learn at the "
          "demo's scale; continued from BERT it does: guides/pretraining.md)")

    if args.out:
        with atomic_directory(args.out) as tmp:  # replaces --out only once complete
            for role in DEMO_ROLES:
                shutil.copytree(demo_preset(role), os.path.join(tmp, role))
        print(f"presets copied to {args.out}: {', '.join(DEMO_ROLES)}")
    return 0
