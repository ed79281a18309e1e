"""An `ElectraPretrainer`'s trained parts as presets: discriminator, generator, Electric scorer."""

import logging

from keras_electra.errors import ElectraError
from keras_electra.models.backbone import ElectraBackbone

logger = logging.getLogger("keras_electra.convert")


def export_presets(pretrainer, discriminator_dir=None, generator_dir=None, scorer_dir=None,
                   preprocessor=None):
    """Saves the trained parts of an `ElectraPretrainer` as presets.

    Args:
        pretrainer: a built `ElectraPretrainer`.
        discriminator_dir: where to save the discriminator backbone preset,
            of the discriminator's own class (an `ElectraBackbone`, or e.g. a
            keras-hub `BertBackbone` that `BertBackbone.from_preset` loads),
            GDES embeddings materialised, with its replaced token detection
            head as `discriminator_head.safetensors` beside it when the
            objective has one (`keras_electra.convert.load_discriminator_head`).
        generator_dir: where to save the generator as an `ElectraMaskedLM`
            task preset (`electra` objective, `ElectraBackbone` generator).
        scorer_dir: where to save an `ElectricScorer` task preset
            (`electric` objective only).
        preprocessor: optional preprocessor saved with each preset.

    Example:
    ```python
    export_presets(pretrainer, discriminator_dir="disc_preset",
                   generator_dir="gen_preset")
    backbone = keras_electra.models.ElectraBackbone.from_preset("disc_preset")
    ```
    """
    exports = pretrainer.objective_strategy.exports
    if generator_dir and "generator" not in exports:
        raise ValueError(
            "Only the 'electra' objective has a masked-LM generator to export; "
            f"this pretrainer's objective is {pretrainer.objective!r}."
        )
    if scorer_dir and "scorer" not in exports:
        raise ValueError(
            "`scorer_dir` needs the 'electric' objective; this pretrainer's "
            f"objective is {pretrainer.objective!r}."
        )
    if generator_dir and not isinstance(pretrainer.generator, ElectraBackbone):
        raise ElectraError(
            "`generator_dir` writes an `ElectraMaskedLM`, which needs an ElectraBackbone "
            f"generator; this one is a {type(pretrainer.generator).__name__}. Save its "
            "backbone with `pretrainer.export_generator().save_to_preset(dir)`."
        )
    if discriminator_dir:
        pretrainer.export_discriminator().save_to_preset(discriminator_dir)
        if pretrainer.discriminator_head is not None:
            from keras_electra.convert.pretraining import save_discriminator_head

            save_discriminator_head(pretrainer.discriminator_head, discriminator_dir)
        if preprocessor is not None:
            preprocessor.save_to_preset(discriminator_dir)
        logger.info("Wrote the discriminator preset %s", discriminator_dir)
    if generator_dir:
        from keras_electra.tasks.masked_lm import ElectraMaskedLM

        task = ElectraMaskedLM(pretrainer.export_generator(), preprocessor=preprocessor)
        task.masked_lm_head.set_weights(pretrainer.generator_head.get_weights())
        task.save_to_preset(generator_dir)
        logger.info("Wrote the generator (ElectraMaskedLM) preset %s", generator_dir)
    if scorer_dir:
        from keras_electra.tasks.electric_scorer import ElectricScorer

        scorer = ElectricScorer(pretrainer.export_discriminator(), preprocessor=preprocessor)
        scorer.discriminator_head.set_weights(pretrainer.discriminator_head.get_weights())
        scorer.save_to_preset(scorer_dir)
        logger.info("Wrote the ElectricScorer preset %s", scorer_dir)
