"""Registers the converted checkpoint formats with the preset loader.

`ElectraBackbone.from_preset` (and the task models' `from_preset`) load a
transformers checkpoint (`config.json` with `model_type`) or a keras-hub ELECTRA
preset by converting it. The loader (`keras_electra.models.preset_loading`)
knows them only through this registration, made when `keras_electra.convert`
(and so `keras_electra`) is imported. A TF1 checkpoint has no `config.json` and
no preset form: convert it with `keras-electra convert --from tf1`.
"""

from keras_electra.convert import keras_hub
from keras_electra.convert import transformers
from keras_electra.models.preset_loading import PresetFormat
from keras_electra.models.preset_loading import register_preset_format


def _is_transformers(config):
    return "model_type" in config


def _is_keras_hub(config):
    module = config.get("module")
    return isinstance(module, str) and module.startswith("keras_hub")


def _check_keras_hub(config, path):
    keras_hub.config_to_backbone_kwargs(config.get("config"), source=path)


TRANSFORMERS = PresetFormat(
    name="transformers",
    matches=_is_transformers,
    check_config=transformers.check_config,
    load_backbone=transformers.load_backbone,
    load_task=transformers.task_from_checkpoint,
    read_pooler_head=transformers.read_pooler_head,
    load_tokenizer=transformers.load_tokenizer,
)
KERAS_HUB = PresetFormat(
    name="keras_hub",
    matches=_is_keras_hub,
    check_config=_check_keras_hub,
    load_backbone=keras_hub.load_backbone,
    load_tokenizer=keras_hub.load_tokenizer,
)

register_preset_format(TRANSFORMERS)
register_preset_format(KERAS_HUB)
