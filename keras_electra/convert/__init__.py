"""Checkpoint conversion: transformers, original TF1 and keras-hub to keras-electra, and back."""

from keras_electra.convert.export import export_to_transformers
from keras_electra.convert.safetensors_io import CheckpointFileError
from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import get_backbone_weights
from keras_electra.convert.weights import set_backbone_weights
from keras_electra.convert.transformers import convert_checkpoint as convert_transformers
from keras_electra.convert.transformers import extract_head_weights as extract_transformers_head_weights
from keras_electra.convert.transformers import load_backbone as load_transformers_backbone
