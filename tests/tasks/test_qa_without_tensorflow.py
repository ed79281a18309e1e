"""Question answering (preprocess, fit, predict, decode, presets) with TensorFlow hidden."""

import os
import subprocess
import sys

import keras
import pytest

SCRIPT = r"""
import sys, pathlib
for name in ("tensorflow", "tensorflow_text", "tf_keras"):
    sys.modules[name] = None  # makes `import tensorflow` raise ImportError
import keras
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraQuestionAnswerer, decode_squad_predictions
from tests.tasks.qa_helpers import VOCAB, WORDS, preprocessor, read
tmp = pathlib.Path(sys.argv[1])
dataset = read(tmp, [(" ".join(WORDS[:20]), [("q1", "who w1", "w3 w4"), ("q2", "what", None)])], "2.0")
p = preprocessor(sequence_length=16, max_query_length=4, doc_stride=4)
features = p.featurize(dataset.examples, training=True)
backbone = ElectraBackbone(vocabulary_size=len(VOCAB), num_layers=1, num_heads=1, hidden_dim=8,
                           intermediate_dim=16, max_sequence_length=16)
qa = ElectraQuestionAnswerer(backbone, p, beam_size=2, head_hidden_dim=8)
qa.fit(features.inputs(), features.labels(), batch_size=4, epochs=1, verbose=0)
outputs = qa.predict(features.inputs(), verbose=0)
answers = decode_squad_predictions(features, outputs, version_2=True).answers
qa.save_to_preset(str(tmp / "task"))
ElectraQuestionAnswerer.from_preset(str(tmp / "task"))
assert "tensorflow" not in [m for m in sys.modules if sys.modules[m] is not None]
print("OK", sorted(answers))
"""


@pytest.mark.skipif(keras.config.backend() == "tensorflow", reason="the tensorflow backend needs TensorFlow")
def test_question_answering_without_tensorflow(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)],
                            capture_output=True, text=True, env=env, cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK ['q1', 'q2']" in result.stdout
