"""The `hf` head against transformers' ElectraForQuestionAnswering (logits and loss)."""

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.models import ElectraBackbone  # noqa: E402
from keras_electra.tasks import ElectraQuestionAnswerer  # noqa: E402
from tests.models.test_backbone_vs_transformers import H, HEADS, copy_hf_weights  # noqa: E402


def test_hf_head_matches_electra_for_question_answering():
    config = transformers.ElectraConfig(
        vocab_size=50, embedding_size=8, hidden_size=H, num_hidden_layers=2,
        num_attention_heads=HEADS, intermediate_size=32, max_position_embeddings=32,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    reference = transformers.ElectraForQuestionAnswering(config).eval()
    state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    backbone = ElectraBackbone(vocabulary_size=50, num_layers=2, num_heads=HEADS, hidden_dim=H,
                               intermediate_dim=32, embedding_dim=8, max_sequence_length=32, dropout=0.0)
    copy_hf_weights(backbone, {k[len("electra."):]: v for k, v in state.items() if k.startswith("electra.")})
    qa = ElectraQuestionAnswerer(backbone, head="hf")
    qa.get_layer("qa_outputs").kernel.assign(state["qa_outputs.weight"].T)
    qa.get_layer("qa_outputs").bias.assign(state["qa_outputs.bias"])

    x = {
        "token_ids": np.array([[2, 7, 9, 3, 11, 12, 13, 3], [2, 5, 3, 8, 9, 3, 0, 0]], "int32"),
        "segment_ids": np.array([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 0, 0]], "int32"),
        "padding_mask": np.array([[1] * 8, [1] * 6 + [0, 0]], "int32"),
    }
    y = {"start_positions": np.array([4, 3], "int32"), "end_positions": np.array([6, 4], "int32")}
    with torch.no_grad():
        theirs = reference(
            input_ids=torch.tensor(x["token_ids"], dtype=torch.long),
            token_type_ids=torch.tensor(x["segment_ids"], dtype=torch.long),
            attention_mask=torch.tensor(x["padding_mask"], dtype=torch.long),
            start_positions=torch.tensor(y["start_positions"], dtype=torch.long),
            end_positions=torch.tensor(y["end_positions"], dtype=torch.long),
        )
    ours = qa(x)
    for key in ("start_logits", "end_logits"):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ours[key]), getattr(theirs, key).numpy(),
                                   atol=1e-4)
    # transformers averages over the batch; the original (our default) sums.
    loss = keras.ops.convert_to_numpy(qa.compute_loss(x, y, ours))
    np.testing.assert_allclose(loss, 2 * theirs.loss.numpy(), atol=1e-4)
    qa.compile(loss_reduction="mean")
    loss = keras.ops.convert_to_numpy(qa.compute_loss(x, y, ours))
    np.testing.assert_allclose(loss, theirs.loss.numpy(), atol=1e-4)
