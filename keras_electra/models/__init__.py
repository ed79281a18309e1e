"""The ELECTRA backbone, its tokenizer, model sizes, presets and the pretraining model."""

from keras_electra.models.backbone import ElectraBackbone
from keras_electra.models.presets import PRESETS
from keras_electra.models.pretrainer import ElectraPretrainer
from keras_electra.models.tokenizer import ElectraTokenizer
