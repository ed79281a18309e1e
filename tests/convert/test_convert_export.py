"""ElectraBackbone -> transformers checkpoint -> transformers' ElectraModel reproduces it."""

import os

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.convert import export_to_transformers  # noqa: E402
from keras_electra.convert import transformers as hf  # noqa: E402
from keras_electra.models import ElectraBackbone  # noqa: E402
from keras_electra.models import ElectraTokenizer  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402
from tests.helpers import VOCAB  # noqa: E402


@pytest.mark.parametrize("embedding_dim", [h.EMBED, h.HIDDEN])
def test_export_round_trip(tmp_path, embedding_dim):
    backbone = ElectraBackbone(
        vocabulary_size=len(VOCAB), num_layers=h.LAYERS, num_heads=h.HEADS, hidden_dim=h.HIDDEN,
        intermediate_dim=h.INTER, embedding_dim=embedding_dim, max_sequence_length=h.MAX_LEN,
        dropout=0.0, initializer_range=0.2,
    )
    out = str(tmp_path / "hf")
    export_to_transformers(backbone, out, tokenizer=ElectraTokenizer(vocabulary=VOCAB))
    model = transformers.ElectraModel.from_pretrained(out).eval()
    x = h.inputs()
    ours = h.sequence_output(backbone, x)
    with torch.no_grad():
        theirs = model(**h.torch_inputs(x)).last_hidden_state.numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    tokenizer = transformers.BertTokenizer(os.path.join(out, "vocab.txt"), do_lower_case=True)
    assert tokenizer.convert_ids_to_tokens(list(range(len(VOCAB)))) == VOCAB
    # Importing the export gives back the same weights.
    again = hf.load_backbone(out)
    for a, b in zip(backbone.weights, again.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_export_rejects_directional_backbone(tmp_path):
    backbone = ElectraBackbone(
        vocabulary_size=10, num_layers=1, num_heads=1, hidden_dim=8, intermediate_dim=16,
        max_sequence_length=8, attention_direction="left_to_right",
    )
    with pytest.raises(ValueError, match="bidirectional"):
        export_to_transformers(backbone, str(tmp_path / "hf"))
