"""Model-independent preprocessing: segment packing and a demo vocabulary.

ELECTRA's tokenizer lives with the backbone (`keras_electra.models.ElectraTokenizer`),
the task preprocessors with their tasks (`keras_electra.tasks`).
"""

from keras_electra.preprocessing.packer import ElectraPacker
