"""Data: pretraining vocabularies, examples, TFRecord shards and tf.data pipelines; fine-tuning readers (pure Python)."""

from keras_electra.data.conll import ConllData
from keras_electra.data.conll import read_conll
from keras_electra.data.glue import GLUE_TASKS
from keras_electra.data.glue import GlueData
from keras_electra.data.glue import read_glue
from keras_electra.data.pretraining_dataset import resolve_shards
from keras_electra.data.pretraining_dataset import text_dataset
from keras_electra.data.pretraining_dataset import tfrecord_dataset
from keras_electra.data.pretraining_dataset import verify_shards
from keras_electra.data.pretraining_examples import ExampleBuilder
from keras_electra.data.pretraining_examples import build_examples
from keras_electra.data.stdlib_corpus import stdlib_docstring_corpus
from keras_electra.data.text_files import resolve_inputs
from keras_electra.data.tfrecords import read_metadata
from keras_electra.data.tfrecords import serialize_example
from keras_electra.data.tfrecords import write_pretraining_shards
from keras_electra.data.vocabulary import SPECIAL_TOKENS
from keras_electra.data.vocabulary import fast_tokenize_function
from keras_electra.data.vocabulary import read_vocabulary
from keras_electra.data.vocabulary import train_vocabulary
from keras_electra.data.squad import SquadDataset
from keras_electra.data.squad import SquadExample
from keras_electra.data.squad import read_squad
