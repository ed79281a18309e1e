"""Loading task models from backbone presets or saved task presets."""

from keras_hub.models import Task

from keras_electra.models.preset_loading import preset_directory


def load_task(cls, preset, load_weights=True, **kwargs):
    """`Task.from_preset` after resolving registered names and checking the path.

    A backbone preset (no `task.json`) gives a new head on the pretrained
    backbone; a task preset written by `save_to_preset` gives the whole
    fine-tuned model back (unless head arguments such as `num_classes` are
    passed, which start a fresh head).
    """
    directory, _ = preset_directory(preset)
    return Task.from_preset.__func__(
        cls, directory, load_weights=load_weights, **kwargs
    )
