"""Reference models built with TensorFlow Model Garden's own classes, for the TF Hub / Model Garden tests.

These tests need TensorFlow, tf-keras, tensorflow-hub and tf-models-official
(`.ci/run` installs them; they skip when absent) and run in the jax pass only:
the conversions are backend-independent and TensorFlow-heavy
(`TF_INTEROP_ALL_BACKENDS=1` runs them on the others too).
"""

import os

import keras
import numpy as np
import pytest

# TF_INTEROP_ALL_BACKENDS=1 runs them on any backend.
one_pass = pytest.mark.skipif(keras.config.backend() != "jax" and not os.environ.get("TF_INTEROP_ALL_BACKENDS"),
                              reason="TF interop: run in the jax pass only (CI time)")

VOCAB_SIZE = 40
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"W{i}" for i in range(VOCAB_SIZE - 5)]


def import_model_garden():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_keras")
    pytest.importorskip("official.nlp.modeling")
    import tensorflow as tf
    import tf_keras
    from official.modeling import tf_utils
    from official.nlp.modeling import models
    from official.nlp.modeling import networks

    return tf, tf_keras, networks, models, tf_utils


def randomize(variables, seed, scale=0.1):
    """Small random values everywhere (LayerNorm gammas around 1), so nothing is left at its init."""
    rng = np.random.default_rng(seed)
    for v in variables:
        value = rng.normal(0.0, scale, v.shape)
        if "gamma" in v.name:
            value += 1.0
        v.assign(value.astype("float32"))


def exact_gelu():
    import tf_keras

    return tf_keras.activations.gelu  # approximate=False by default


def bert_encoder(networks, tf_utils, hidden=16, embedding=8, heads=2, layers=2, max_length=32,
                 embedding_layer=None, vocab_size=VOCAB_SIZE, model_garden_gelu=False):
    """Model Garden's BertEncoder as the ELECTRA TF Hub models use it.

    `model_garden_gelu`: Model Garden's own `"gelu"` (the tanh approximation,
    what its ELECTRA configs name); else ELECTRA's exact GELU.
    """
    activation = tf_utils.get_activation("gelu") if model_garden_gelu else exact_gelu()
    return networks.BertEncoder(
        vocab_size=vocab_size, hidden_size=hidden, num_layers=layers, num_attention_heads=heads,
        max_sequence_length=max_length, type_vocab_size=2, inner_dim=2 * hidden,
        inner_activation=activation, embedding_width=embedding,
        embedding_layer=embedding_layer, dict_outputs=True)


def inputs(length=10, seed=0, vocab_size=VOCAB_SIZE):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, vocab_size, (2, length)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, 7:] = 0
    segments = np.zeros_like(ids)
    segments[:, 5:] = 1
    return ids, mask, segments
