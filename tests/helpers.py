"""Small builders shared by the tests."""

import importlib.util
import os

import numpy as np

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [
    "the", "quick", "brown", "fox", "jumped", "over", "lazy", "dog", ".",
    ",", "a", "cat", "sat", "on", "mat", "##s", "##ed", "run", "is", "was",
]


def tiny_backbone_kwargs(**overrides):
    kwargs = dict(
        vocabulary_size=len(VOCAB),
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        embedding_dim=8,
        max_sequence_length=32,
    )
    kwargs.update(overrides)
    return kwargs


def tiny_inputs(batch_size=2, sequence_length=8, vocabulary_size=len(VOCAB), seed=0):
    rng = np.random.default_rng(seed)
    token_ids = rng.integers(5, vocabulary_size, (batch_size, sequence_length))
    token_ids[:, 0] = 2
    padding_mask = np.ones((batch_size, sequence_length), "int32")
    padding_mask[-1, sequence_length // 2 :] = 0
    token_ids = np.where(padding_mask == 1, token_ids, 0).astype("int32")
    segment_ids = np.zeros((batch_size, sequence_length), "int32")
    segment_ids[:, sequence_length // 2 :] = padding_mask[:, sequence_length // 2 :]
    return {
        "token_ids": token_ids,
        "segment_ids": segment_ids,
        "padding_mask": padding_mask,
    }


def use_keras_dropout():
    """A context in which the lean paths draw dropout with Keras' own `Dropout.call`.

    `apply_dropout` draws different masks on torch than Keras for the same
    seed; tests that compare a lean path with Keras' path mask-for-mask use
    this (the public switch `keras_electra.config.set_noise_routing`).
    """
    from keras_electra import config

    return config.settings(noise_routing=False)


def load_tool(name):
    """A fresh module of `tools/<name>.py` (the scripts are run as files, not imported)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOOLS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
