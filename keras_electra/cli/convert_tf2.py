"""`keras-electra convert` for the TF2 formats: TF Hub SavedModels and Model Garden checkpoints."""

import os

from keras_electra.errors import ElectraError


def convert(args):
    """`--from tf-hub` / `--from model-garden`: returns `{role: model}` as the other sources."""
    if args.keep_pooler and args.source_format != "tf-hub":
        raise ElectraError("--keep-pooler applies to --from tf-hub only.")
    if args.source_format == "tf-hub":
        from keras_electra.convert.tf_hub import convert_saved_model

        return {"": convert_saved_model(args.source, args.out, keep_pooler=args.keep_pooler)}
    from keras_electra.convert.model_garden import convert_checkpoint

    return convert_checkpoint(args.source, args.out, vocabulary=args.vocabulary,
                              lowercase=not args.cased)


def export(args, log):
    """`--from keras --to tf-hub` (a backbone preset) or `--to model-garden` (a saved pretrainer)."""
    if args.target_format == "tf-hub":
        from keras_electra.convert.tf_hub import export_preset

        log.info("Loading preset %s", args.source)
        export_preset(args.source, args.out)
        log.info("Done: %s loads with tensorflow_hub.KerasLayer(%r, trainable=True)", args.out, args.out)
        return 0
    from keras_electra.convert.model_garden import export_checkpoint
    from keras_electra.convert.pretraining import PRETRAINER_CONFIG_FILE
    from keras_electra.convert.pretraining import load_pretrainer

    if not os.path.isfile(os.path.join(args.source, PRETRAINER_CONFIG_FILE)):
        raise ElectraError(
            f"--to model-garden needs a saved ElectraPretrainer directory ({PRETRAINER_CONFIG_FILE} + "
            f"weights, e.g. the 'pretrainer' folder a conversion writes); {args.source} has none."
        )
    log.info("Loading pretrainer %s", args.source)
    export_checkpoint(load_pretrainer(args.source), args.out)
    log.info("Done: %s restores into official.nlp.modeling.models.ElectraPretrainer "
             "(sizes in model_garden_config.json)", args.out)
    return 0
