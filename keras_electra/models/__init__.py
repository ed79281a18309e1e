from keras_electra.models.backbone import ElectraBackbone
from keras_electra.models.presets import PRESETS
