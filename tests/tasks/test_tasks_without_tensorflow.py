"""The task models, their preprocessors, readers and metrics work with TensorFlow hidden."""

import os
import subprocess
import sys

import keras
import pytest

SCRIPT = r"""
import sys
for name in ("tensorflow", "tensorflow_text", "tf_keras"):
    sys.modules[name] = None
import numpy as np
import keras_electra
from keras_electra.metrics import chunk_f1, glue_metrics
from keras_electra.tasks import ElectraMultipleChoicePreprocessor, ElectraTokenClassifierPreprocessor
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "fox", "cat"]
tokenizer = keras_electra.ElectraTokenizer(vocabulary=vocab)
def backbone():
    return keras_electra.ElectraBackbone(vocabulary_size=8, num_layers=1, num_heads=1, hidden_dim=8,
                                         intermediate_dim=16, max_sequence_length=8)
x = keras_electra.ElectraTextClassifierPreprocessor(tokenizer, sequence_length=8)(["the fox"])
x = {k: np.asarray(v).astype("int32") for k, v in x.items()}
assert keras_electra.ElectraTextClassifier(backbone(), num_classes=2, head="hf")(x).shape == (1, 2)
x, y, w = ElectraTokenClassifierPreprocessor(tokenizer, sequence_length=8)([["the", "fox"]], [[0, 1]])
assert keras_electra.ElectraTokenClassifier(backbone(), num_classes=2)(x).shape == (1, 8, 2)
x, y = ElectraMultipleChoicePreprocessor(tokenizer, num_choices=2, sequence_length=8)((["the"], [["fox", "cat"]]), [1])
assert keras_electra.ElectraMultipleChoice(backbone(), num_choices=2)(x).shape == (1, 2)
glue_metrics("cola", [0, 1], [0, 1]); chunk_f1([["B-NP"]], [["B-NP"]])
assert "tensorflow" not in [m for m in sys.modules if sys.modules[m] is not None]
print("OK")
"""


@pytest.mark.skipif(keras.config.backend() == "tensorflow", reason="the tensorflow backend needs TensorFlow")
def test_tasks_without_tensorflow():
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK" in result.stdout
