"""keras-electra: ELECTRA and Electric for Keras 3 on JAX, TensorFlow and PyTorch."""

# First, before Keras loads TensorFlow: the `keras-electra` command silences
# TensorFlow's, absl's and CUDA's log lines (utils/console.py); imported by a
# program, it changes nothing.
from keras_electra.utils import console as _console

_console.quiet_if_command_line()

from keras_electra import config
from keras_electra import convert  # registers the converted preset formats
from keras_electra import data
from keras_electra import distribution
from keras_electra import layers
from keras_electra import models
from keras_electra import optimizers
from keras_electra import preprocessing
from keras_electra import tasks
from keras_electra import training
from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraPretrainer
from keras_electra.models import ElectraTokenizer
from keras_electra.optimizers import create_optimizer
from keras_electra.tasks import ElectraMaskedLM
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraMultipleChoicePreprocessor
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.tasks import ElectraTokenClassifier
from keras_electra.tasks import ElectraTokenClassifierPreprocessor
from keras_electra.tasks import ElectricScorer
from keras_electra.training import get_finetuning_recipe
from keras_electra.training import get_pretraining_recipe
from keras_electra.version import __version__
