"""`import keras_electra` and the models work with TensorFlow hidden."""

import os
import subprocess
import sys

import keras
import pytest

SCRIPT = r"""
import sys
for name in ("tensorflow", "tensorflow_text", "tf_keras"):
    sys.modules[name] = None  # makes `import tensorflow` raise ImportError
import numpy as np
import keras_electra
from keras_electra.models import ElectraBackbone
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraTextClassifierPreprocessor
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "fox"]
preprocessor = ElectraTextClassifierPreprocessor(ElectraTokenizer(vocabulary=vocab), sequence_length=8)
x = preprocessor(["the fox", "fox"])
x = {k: np.asarray(v).astype("int32") for k, v in x.items()}
backbone = ElectraBackbone(vocabulary_size=7, num_layers=1, num_heads=1, hidden_dim=8,
                           intermediate_dim=16, max_sequence_length=8)
out = backbone(x)["sequence_output"]
backbone.save_to_preset(sys.argv[1])
ElectraBackbone.from_preset(sys.argv[1])
from keras_electra.tasks import ElectraTextClassifier
classifier = ElectraTextClassifier(backbone=backbone, preprocessor=preprocessor, num_classes=2)
classifier.compile()
# With TensorFlow absent, keras-hub runs the preprocessor through grain inside fit().
history = classifier.fit(["the fox", "fox", "the", "fox the"], np.array([0, 1, 0, 1]),
                         batch_size=2, epochs=1, verbose=0)
assert np.isfinite(history.history["loss"][0])
assert classifier.predict(["the fox"], verbose=0).shape == (1, 2)
assert "tensorflow" not in [m for m in sys.modules if sys.modules[m] is not None]
print("OK", tuple(out.shape))
"""


@pytest.mark.skipif(keras.config.backend() == "tensorflow", reason="the tensorflow backend needs TensorFlow")
def test_import_and_models_without_tensorflow(tmp_path):
    root = os.path.dirname(os.path.dirname(__file__))
    env = dict(os.environ, PYTHONPATH=root)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "p")],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK (2, 8, 8)" in result.stdout
