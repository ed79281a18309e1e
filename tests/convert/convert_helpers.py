"""Tiny reference models and inputs shared by the conversion tests."""

import keras
import numpy as np

VOCAB_SIZE, EMBED, HIDDEN, HEADS, INTER, LAYERS, MAX_LEN = 40, 8, 16, 2, 32, 2, 32


def inputs():
    token_ids = np.array([[2, 7, 9, 11, 3, 0, 0], [2, 5, 6, 3, 8, 9, 3]], "int32")
    segment_ids = np.array([[0] * 7, [0, 0, 0, 0, 1, 1, 1]], "int32")
    padding_mask = np.array([[1, 1, 1, 1, 1, 0, 0], [1] * 7], "int32")
    return {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}


def torch_inputs(x):
    import torch

    return dict(
        input_ids=torch.tensor(x["token_ids"], dtype=torch.long),
        token_type_ids=torch.tensor(x["segment_ids"], dtype=torch.long),
        attention_mask=torch.tensor(x["padding_mask"], dtype=torch.long),
    )


def sequence_output(backbone, x):
    return keras.ops.convert_to_numpy(backbone(x)["sequence_output"])


def assert_close_on_tokens(ours, reference, padding_mask, atol=1e-4):
    """Compares hidden states at real (non-padding) positions."""
    keep = padding_mask.astype(bool)
    np.testing.assert_allclose(ours[keep], reference[keep], atol=atol, rtol=0)


def electra_config(embedding_size=EMBED, **overrides):
    import transformers

    kwargs = dict(
        vocab_size=VOCAB_SIZE, embedding_size=embedding_size, hidden_size=HIDDEN,
        num_hidden_layers=LAYERS, num_attention_heads=HEADS, intermediate_size=INTER,
        max_position_embeddings=MAX_LEN, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0, initializer_range=0.2,
    )
    kwargs.update(overrides)
    return transformers.ElectraConfig(**kwargs)
