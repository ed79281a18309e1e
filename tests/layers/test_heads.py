import keras
import numpy as np

from keras_electra.layers.heads import ElectraDiscriminatorHead
from keras_electra.layers.heads import ElectraMaskedLMHead
from keras_electra.models import ElectraBackbone
from tests.helpers import tiny_backbone_kwargs


def test_masked_lm_head_is_tied_and_gathers_positions():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    head = ElectraMaskedLMHead(backbone.token_embedding)
    hidden = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")
    positions = np.array([[1, 4], [0, 5]])
    logits = keras.ops.convert_to_numpy(head(hidden, positions=positions))
    assert logits.shape == (2, 2, backbone.vocabulary_size)
    # Reference: dense -> gelu -> LayerNorm -> @ table.T + bias, in numpy.
    kernel, bias = [keras.ops.convert_to_numpy(w) for w in head.dense.weights]
    gamma, beta = [keras.ops.convert_to_numpy(w) for w in head.layer_norm.weights]
    table = keras.ops.convert_to_numpy(backbone.token_embedding.embeddings)
    x = hidden[np.arange(2)[:, None], positions] @ kernel + bias
    from scipy.special import erf

    x = 0.5 * x * (1 + erf(x / np.sqrt(2)))
    x = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-12) * gamma + beta
    expected = x @ table.T + keras.ops.convert_to_numpy(head.output_bias)
    np.testing.assert_allclose(logits, expected, atol=1e-4)
    names = {w.path.split("/")[-2] + "/" + w.path.split("/")[-1] for w in head.weights}
    assert "dense/kernel" in names and "layer_norm/gamma" in names
    # The tied table is the backbone's own variable, not a copy.
    assert any(w is backbone.token_embedding.embeddings for w in head.weights)


def test_discriminator_head_shape_and_names():
    head = ElectraDiscriminatorHead(hidden_dim=16)
    out = head(np.zeros((2, 5, 16), "float32"))
    assert tuple(out.shape) == (2, 5)
    assert [l.name for l in (head.dense, head.dense_prediction)] == ["dense", "dense_prediction"]
