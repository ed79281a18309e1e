"""Checkpoint conversion: transformers, original TF1, keras-hub, TF Hub and Model Garden to keras-electra, and back.

Importing it registers the transformers and keras-hub formats with the preset loader
(`preset_formats`), so `from_preset` converts them on load.
"""

from keras_electra.convert import preset_formats  # noqa: F401  (registers the formats)

from keras_electra.convert.export import export_to_transformers
from keras_electra.utils.safetensors_io import CheckpointFileError
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import get_backbone_weights
from keras_electra.convert.weights import set_backbone_weights
from keras_electra.convert.transformers import convert_checkpoint as convert_transformers
from keras_electra.convert.transformers_weights import extract_head_weights as extract_transformers_head_weights
from keras_electra.convert.transformers import load_backbone as load_transformers_backbone
from keras_electra.convert.transformers import load_task as load_transformers_task
from keras_electra.convert.transformers import load_discriminator as load_transformers_discriminator
from keras_electra.convert.transformers import load_masked_lm as load_transformers_masked_lm
from keras_electra.convert.pretraining import load_discriminator_head
from keras_electra.convert.pretraining import load_pretrainer
from keras_electra.convert.pretraining import save_discriminator_head
from keras_electra.convert.pretrainer_export import export_presets as export_pretrainer_presets
from keras_electra.convert.transformers_io import read_config as read_transformers_config
from keras_electra.convert.transformers_io import read_weights as read_transformers_weights
from keras_electra.utils.safetensors_io import read_safetensors
from keras_electra.utils.safetensors_io import write_safetensors
from keras_electra.convert.tf1 import convert_checkpoint as convert_tf1
from keras_electra.convert.tf1 import extract_head_weights as extract_tf1_head_weights
from keras_electra.convert.tf1 import load_backbones as load_tf1_backbones
from keras_electra.convert.tf1 import load_pretrainer_from_tf1 as load_tf1_pretrainer
from keras_electra.convert.tf1 import read_checkpoint as read_tf1_checkpoint
from keras_electra.convert.keras_hub import convert_checkpoint as convert_keras_hub
from keras_electra.convert.keras_hub import load_backbone as load_keras_hub_backbone
from keras_electra.convert.tf_hub import convert_saved_model as convert_tf_hub
from keras_electra.convert.tf_hub import export_saved_model as export_tf_hub
from keras_electra.convert.tf_hub import load_backbone as load_tf_hub_backbone
from keras_electra.convert.model_garden import convert_checkpoint as convert_model_garden
from keras_electra.convert.model_garden import export_checkpoint as export_model_garden
from keras_electra.convert.model_garden import load_pretrainer as load_model_garden_pretrainer
