"""Readers for fine-tuning data (pure Python)."""

from keras_electra.data.conll import ConllData
from keras_electra.data.conll import read_conll
from keras_electra.data.glue import GLUE_TASKS
from keras_electra.data.glue import GlueData
from keras_electra.data.glue import read_glue
