"""Copies a tiny transformers Electra*For* model into our task models (test-local mapping)."""

import numpy as np

from tests.helpers import VOCAB
from tests.models.test_backbone_vs_transformers import copy_hf_weights


def hf_config(transformers, **kwargs):
    return transformers.ElectraConfig(
        vocab_size=len(VOCAB), embedding_size=8, hidden_size=16, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=32, max_position_embeddings=32,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **kwargs,
    )


def state_dict(model, prefix="electra."):
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    backbone = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    return sd, backbone


def copy_dense(layer, sd, name):
    layer.kernel.assign(np.asarray(sd[name + ".weight"]).T)
    layer.bias.assign(sd[name + ".bias"])


__all__ = ["copy_hf_weights", "hf_config", "state_dict", "copy_dense"]
