"""ElectraBackbone against transformers' ElectraModel, an independent reference."""

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.models import ElectraBackbone  # noqa: E402

H, HEADS = 16, 2


def copy_hf_weights(backbone, sd):
    """Writes an HF ElectraModel state dict into the backbone (test-local mapping)."""
    e = backbone.embeddings
    e.token_embedding.embeddings.assign(sd["embeddings.word_embeddings.weight"])
    e.position_embedding.position_embeddings.assign(sd["embeddings.position_embeddings.weight"])
    e.segment_embedding.embeddings.assign(sd["embeddings.token_type_embeddings.weight"])
    e.layer_norm.gamma.assign(sd["embeddings.LayerNorm.weight"])
    e.layer_norm.beta.assign(sd["embeddings.LayerNorm.bias"])
    backbone.embeddings_projection.kernel.assign(sd["embeddings_project.weight"].T)
    backbone.embeddings_projection.bias.assign(sd["embeddings_project.bias"])
    for i, layer in enumerate(backbone.transformer_layers):
        p = f"encoder.layer.{i}."
        att = layer._self_attention_layer
        for name, dense in (("query", att._query_dense), ("key", att._key_dense), ("value", att._value_dense)):
            dense.kernel.assign(sd[p + f"attention.self.{name}.weight"].T.reshape(H, HEADS, H // HEADS))
            dense.bias.assign(sd[p + f"attention.self.{name}.bias"].reshape(HEADS, H // HEADS))
        att._output_dense.kernel.assign(sd[p + "attention.output.dense.weight"].T.reshape(HEADS, H // HEADS, H))
        att._output_dense.bias.assign(sd[p + "attention.output.dense.bias"])
        for ours, theirs in ((layer._self_attention_layer_norm, "attention.output.LayerNorm"),
                             (layer._feedforward_layer_norm, "output.LayerNorm")):
            ours.gamma.assign(sd[p + theirs + ".weight"])
            ours.beta.assign(sd[p + theirs + ".bias"])
        for ours, theirs in ((layer._feedforward_intermediate_dense, "intermediate.dense"),
                             (layer._feedforward_output_dense, "output.dense")):
            ours.kernel.assign(sd[p + theirs + ".weight"].T)
            ours.bias.assign(sd[p + theirs + ".bias"])


def test_matches_transformers_electra_model():
    config = transformers.ElectraConfig(
        vocab_size=50, embedding_size=8, hidden_size=H, num_hidden_layers=2,
        num_attention_heads=HEADS, intermediate_size=32, max_position_embeddings=32,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    reference = transformers.ElectraModel(config).eval()
    state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    backbone = ElectraBackbone(vocabulary_size=50, num_layers=2, num_heads=HEADS, hidden_dim=H,
                               intermediate_dim=32, embedding_dim=8, max_sequence_length=32, dropout=0.0)
    copy_hf_weights(backbone, state)
    token_ids = np.array([[2, 7, 9, 11, 3, 0, 0], [2, 5, 6, 3, 8, 9, 3]], "int32")
    segment_ids = np.array([[0] * 7, [0, 0, 0, 0, 1, 1, 1]], "int32")
    padding_mask = np.array([[1, 1, 1, 1, 1, 0, 0], [1] * 7], "int32")
    ours = keras.ops.convert_to_numpy(backbone({
        "token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask,
    })["sequence_output"])
    with torch.no_grad():
        theirs = reference(
            input_ids=torch.tensor(token_ids).long(),
            token_type_ids=torch.tensor(segment_ids).long(),
            attention_mask=torch.tensor(padding_mask).long(),
        ).last_hidden_state.numpy()
    real = padding_mask.astype(bool)
    np.testing.assert_allclose(ours[real], theirs[real], atol=1e-4, rtol=0)
    assert np.abs(ours[real] - theirs[real]).max() < 1e-5
