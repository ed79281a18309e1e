"""keras-electra: ELECTRA and Electric for Keras 3 on JAX, TensorFlow and PyTorch."""

from keras_electra import layers
from keras_electra import models
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.version import __version__
