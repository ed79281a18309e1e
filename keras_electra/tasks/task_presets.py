"""Loading task models from backbone presets or saved task presets."""

import os

import keras
from keras_hub.models import Task

from keras_electra.models import preset_loading
from keras_electra.models.preset_loading import PresetError


def load_task(cls, preset, load_weights=True, **kwargs):
    """`Task.from_preset` after resolving registered names and checking the preset.

    A backbone preset (no `task.json`) gives a new head on the pretrained
    backbone; a task preset written by `save_to_preset` gives the whole
    fine-tuned model back (unless head arguments such as `num_classes` are
    passed, which start a fresh head).

    Loading is strict: `config.json` and `task.json` are validated, a task
    preset must have its head weights (`task.weights.h5`: without them the
    head would be random), every array of a weights file must go into a
    model variable, and every loaded value must be finite. Errors are
    `PresetError`s naming the file.
    """
    directory, _ = preset_loading.preset_directory(preset)
    config = preset_loading.load_preset_config(directory, backbone_cls=cls.backbone_cls)
    preset_format = preset_loading.find_preset_format(config)
    if preset_format is not None and preset_format.load_task is not None:
        return preset_format.load_task(cls, directory, load_weights=load_weights, **kwargs)
    if preset_format is not None:  # e.g. keras-hub presets: keras-hub's own loaders
        return Task.from_preset.__func__(
            cls, directory, load_weights=load_weights, **kwargs
        )
    whole = read_task_config(cls, directory) is not None
    if load_weights:
        preset_loading.check_vocabulary_size(
            directory, config["config"]["vocabulary_size"]
        )
        preset_loading.weights_files(directory)  # missing: an error before building
    config_file = preset_loading.TASK_CONFIG_FILE if whole else preset_loading.CONFIG_FILE
    task = preset_loading.build_from_preset(
        lambda: Task.from_preset.__func__(cls, directory, load_weights=False, **kwargs),
        os.path.join(directory, config_file),
    )
    if not load_weights:
        return task
    # keras-hub: a task preset always loads the backbone weights; a new head on
    # a backbone preset loads them unless a `backbone` is passed.
    if whole or "backbone" not in kwargs:
        preset_loading.load_backbone_weights(task.backbone, directory)
    # keras-hub: `num_classes` starts a fresh head even from a task preset.
    if whole and "num_classes" not in kwargs and task.has_task_weights():
        load_task_weights(task, directory)
    return task


def pooler_head(cls, preset, kwargs, new_head_argument="num_classes"):
    """The trained pooler `(kernel, bias)` a new head on `preset` should start from, or None.

    Only a backbone preset (or a task preset whose head is being replaced,
    `new_head_argument` passed) gives one, when it holds
    `pooler_head.safetensors` and no `backbone` argument replaces its backbone.
    A checkpoint loaded by conversion (e.g. a transformers BERT directory)
    gives the pooler its format reads, as `convert_checkpoint` would keep it.
    """
    if "backbone" in kwargs:
        return None
    directory, _ = preset_loading.preset_directory(preset)
    config = preset_loading.load_preset_config(directory, backbone_cls=cls.backbone_cls)
    preset_format = preset_loading.find_preset_format(config)
    if preset_format is not None:
        reader = preset_format.read_pooler_head
        return None if reader is None else reader(directory)
    if read_task_config(cls, directory) is not None and new_head_argument not in kwargs:
        return None
    return preset_loading.read_pooler_head(directory, config["config"]["hidden_dim"])


def read_task_config(cls, directory):
    """The validated `task.json` of `directory` when it holds a `cls`, else None.

    Raises:
        PresetError: when `task.json` is unreadable, names no registered
            class, or its backbone config is invalid.
    """
    path = os.path.join(directory, preset_loading.TASK_CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    config = preset_loading.read_json(path)
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise PresetError("must hold a serialized Keras task (a JSON object with 'config')", path=path)
    name = config.get("registered_name")
    task_cls = keras.saving.get_registered_object(name) if isinstance(name, str) else None
    if not isinstance(task_cls, type):
        raise PresetError(
            f"{name!r} is not a registered Keras class", path=path, field="registered_name"
        )
    if not issubclass(task_cls, cls):
        return None  # keras-hub then builds a new `cls` on the backbone
    backbone = config["config"].get("backbone")
    if isinstance(backbone, dict):
        preset_loading.check_serialized_backbone(backbone, path, cls.backbone_cls)
    return config


def load_task_weights(task, directory):
    """Loads `task.weights.h5` into the head of `task`, strictly.

    Raises:
        PresetError: when the file is missing (a task preset without it would
            run a randomly initialised head), unreadable, holds arrays the
            head does not have, or non-finite values.
    """
    path = os.path.join(directory, preset_loading.TASK_WEIGHTS_FILE)
    if not os.path.isfile(path):
        raise PresetError(
            f"is missing: the task preset has {preset_loading.TASK_CONFIG_FILE} "
            f"but not the weights of its {type(task).__name__} head, which would "
            "be left at random initial values. Save the model again with "
            "`save_to_preset`, or pass head arguments (e.g. num_classes) to "
            "start a new head on purpose",
            path=path,
        )
    head = preset_loading.unique_variables(task.weights, exclude=task.backbone.weights)
    preset_loading.load_weights_checked(task, path, [path], head, task.load_task_weights)
