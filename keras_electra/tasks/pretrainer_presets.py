"""Saves a trained `ElectraPretrainer`'s parts as backbone and task presets."""

from keras_electra.models.backbone import ElectraBackbone
from keras_electra.tasks.electric_scorer import ElectricScorer
from keras_electra.tasks.masked_lm import ElectraMaskedLM


def export_pretrainer_presets(
    pretrainer, discriminator_dir=None, generator_dir=None, scorer_dir=None,
    preprocessor=None,
):
    """Saves the trained parts of a pretrainer as presets.

    Args:
        pretrainer: an `ElectraPretrainer`.
        discriminator_dir: where to save the discriminator backbone preset.
        generator_dir: where to save the generator as an `ElectraMaskedLM`
            task preset (`electra` objective only).
        scorer_dir: where to save an `ElectricScorer` task preset
            (`electric` objective only).
        preprocessor: optional preprocessor saved with each preset.

    Example:
    ```python
    from keras_electra.tasks import export_pretrainer_presets

    export_pretrainer_presets(pretrainer, discriminator_dir="disc_preset",
                              generator_dir="gen_preset")
    ```
    """
    if discriminator_dir:
        pretrainer.export_discriminator().save_to_preset(discriminator_dir)
        if preprocessor is not None:
            preprocessor.save_to_preset(discriminator_dir)
    if generator_dir:
        if pretrainer.objective != "electra":
            raise ValueError(
                "Only the 'electra' objective has a masked-LM generator to export; "
                f"this pretrainer's objective is {pretrainer.objective!r}."
            )
        # A standalone copy: the pretrainer's generator may share its embeddings.
        config = dict(pretrainer.generator.get_config(), name="generator")
        config.pop("trainable", None)
        generator = ElectraBackbone.from_config(config)
        generator.set_weights(pretrainer.generator.get_weights())
        task = ElectraMaskedLM(generator, preprocessor=preprocessor)
        task.masked_lm_head.set_weights(pretrainer.generator_head.get_weights())
        task.save_to_preset(generator_dir)
    if scorer_dir:
        if pretrainer.objective != "electric":
            raise ValueError(
                "`scorer_dir` needs the 'electric' objective; this pretrainer's "
                f"objective is {pretrainer.objective!r}."
            )
        scorer = ElectricScorer(pretrainer.export_discriminator(), preprocessor=preprocessor)
        scorer.discriminator_head.set_weights(pretrainer.discriminator_head.get_weights())
        scorer.save_to_preset(scorer_dir)
