from keras_electra.preprocessing.packer import ElectraPacker
from keras_electra.preprocessing.text_classifier_preprocessor import (
    ElectraTextClassifierPreprocessor,
)
from keras_electra.preprocessing.tokenizer import ElectraTokenizer
