import keras
import numpy as np

from keras_electra.layers import ElectraEmbedding


def test_output_shape_and_layer_norm():
    layer = ElectraEmbedding(vocabulary_size=50, embedding_dim=12, max_sequence_length=16, dropout=0.0)
    token_ids = np.array([[2, 7, 8, 3, 0]])
    out = keras.ops.convert_to_numpy(layer(token_ids, np.zeros_like(token_ids)))
    assert out.shape == (1, 5, 12)
    # LayerNorm with fresh gamma=1, beta=0: zero mean, unit variance per position.
    np.testing.assert_allclose(out.mean(-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.var(-1), 1.0, atol=1e-3)


def test_matches_numpy_reference():
    layer = ElectraEmbedding(vocabulary_size=30, embedding_dim=6, max_sequence_length=10, dropout=0.0)
    token_ids = np.array([[2, 5, 9, 3]])
    segment_ids = np.array([[0, 0, 1, 1]])
    out = keras.ops.convert_to_numpy(layer(token_ids, segment_ids))
    tok = keras.ops.convert_to_numpy(layer.token_embedding.embeddings)
    pos = keras.ops.convert_to_numpy(layer.position_embedding.position_embeddings)
    seg = keras.ops.convert_to_numpy(layer.segment_embedding.embeddings)
    x = tok[token_ids] + pos[None, :4] + seg[segment_ids]
    x = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-12)
    np.testing.assert_allclose(out, x, atol=1e-5)


def test_config_round_trip():
    layer = ElectraEmbedding(vocabulary_size=50, embedding_dim=12, max_sequence_length=16,
                             num_segments=3, dropout=0.2, layer_norm_epsilon=1e-6,
                             initializer_range=0.01)
    config = layer.get_config()
    assert ElectraEmbedding.from_config(config).get_config() == config
