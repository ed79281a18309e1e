"""Synthetic, seeded benchmark batches shared by every framework."""

import numpy as np

from keras_electra.models.sizes import MODEL_SIZES
from keras_electra.models.sizes import SIZE_NAMES as SIZES
from keras_electra.training.recipes import PRETRAINING_RECIPES


def model_sizes(size):
    """(discriminator, generator, mask_probability) of a named size."""
    recipe = PRETRAINING_RECIPES[size]
    return MODEL_SIZES[size], recipe.generator_model, recipe.mask_probability


def num_predictions(sequence_length, mask_probability):
    """Masked positions per sequence, derived from the final length."""
    return max(1, int((mask_probability + 0.005) * sequence_length))


def synthetic_batch(batch_size, sequence_length, vocabulary_size, seed=0):
    """Token ids with [CLS]/[SEP] (ids 2/3), pad id 0, and a padded tail in
    every other row, as int32 numpy arrays."""
    rng = np.random.default_rng(seed)
    token_ids = rng.integers(5, vocabulary_size, (batch_size, sequence_length))
    lengths = np.full(batch_size, sequence_length)
    lengths[1::2] = max(4, (sequence_length * 3) // 4)
    positions = np.arange(sequence_length)[None, :]
    padding_mask = (positions < lengths[:, None]).astype("int32")
    token_ids[:, 0] = 2
    token_ids[np.arange(batch_size), lengths - 1] = 3
    token_ids = np.where(padding_mask == 1, token_ids, 0).astype("int32")
    segment_ids = np.zeros_like(token_ids)
    labels = rng.integers(0, 2, (batch_size,)).astype("int32")
    return {
        "token_ids": token_ids,
        "segment_ids": segment_ids,
        "padding_mask": padding_mask,
    }, labels
