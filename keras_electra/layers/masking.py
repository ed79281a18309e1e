"""In-graph dynamic masking and Gumbel-max sampling for ELECTRA pretraining.

Faithful to `pretrain_helpers.mask` and `sample_from_softmax` of
google-research/electra, written with `keras.ops` / `keras.random` so that it
runs inside compiled train steps on every backend with static shapes.
"""

import keras
from keras import ops

from keras_electra.errors import ElectraError
from keras_electra.fast_paths.random_noise import uniform


def max_predictions_for(sequence_length, mask_probability):
    """Masked slots per row, as the original derives `max_predictions_per_seq`.

    `int((mask_probability + 0.005) * sequence_length)`, at least 1. It is
    computed from the final sequence length (the original computed it before
    its size overrides, a known bug that this does not copy).
    """
    return max(1, min(sequence_length, int((mask_probability + 0.005) * sequence_length)))


def gather_positions(sequence, positions):
    """`sequence[b, positions[b, p]]` for a `[B, T, ...]` tensor and `[B, P]` positions."""
    positions = ops.cast(positions, "int32")
    if len(sequence.shape) == 2:
        return ops.take_along_axis(sequence, positions, axis=1)
    index = ops.expand_dims(positions, -1)
    index = ops.broadcast_to(
        index, ops.shape(positions) + tuple(sequence.shape[2:])
    )
    return ops.take_along_axis(sequence, index, axis=1)


def scatter_positions(token_ids, positions, values, weights):
    """Writes `values[b, p]` at `token_ids[b, positions[b, p]]` where `weights` is 1.

    Returns `(updated_ids, written)`, `written` a 0/1 int32 `[B, T]` mask.
    Distinct positions get their value. A position written by several slots
    (position sampling with replacement) gets the floor of the mean of their
    values, as the original's `scatter_update` does (`pretrain_helpers.py`:
    `tf.scatter_nd` sums the duplicates, then `floordiv` by their count): equal
    values (all [MASK]) stay themselves, different sampled ids give an id that
    may be none of them.
    """
    length = token_ids.shape[1]
    one_hot = ops.one_hot(ops.cast(positions, "int32"), length, dtype="int32")
    one_hot = one_hot * ops.expand_dims(ops.cast(weights, "int32"), -1)  # [B, P, T]
    count = ops.sum(one_hot, axis=1)
    total = ops.sum(one_hot * ops.expand_dims(ops.cast(values, "int32"), -1), axis=1)
    new_values = ops.floor_divide(total, ops.maximum(count, 1))
    written = ops.minimum(count, 1)
    updated = ops.where(written > 0, new_values, ops.cast(token_ids, "int32"))
    return updated, written


# How `DynamicMasking` draws the positions to predict.
POSITION_SAMPLING = ("with_replacement", "without_replacement")

# Vocabulary block of the two-level sampler (a multiple of 128 for TPU lanes).
SAMPLING_BLOCK_SIZE = 128


def sample_from_logits(logits, seed, temperature=1.0, disallow=None):
    """Samples token ids from `softmax(logits / temperature)` with Gumbel-max.

    As the original `sample_from_softmax`: `disallow` (a 0/1 one-hot of the same
    shape, e.g. the correct tokens) subtracts 1000 from those logits. The
    result is an int32 tensor with no gradient.

    A vocabulary larger than `SAMPLING_BLOCK_SIZE` is sampled in two exact
    Gumbel-max stages: a block of 128 ids with probability equal to its total
    softmax mass, then an id within that block.
    The distribution is the one the original samples from, but it draws about
    370 random numbers per position for a 30,522-token vocabulary instead of
    30,522; the full-vocabulary noise was the slowest part of the RTD step
    (4-10x faster sampling on every backend, see BENCHMARKS.md).

    Args:
        logits: float tensor `[..., V]`.
        seed: a `keras.random.SeedGenerator` or seed for `keras.random.uniform`.
        temperature: float. Sampling temperature.
        disallow: optional 0/1 tensor like `logits` of forbidden tokens.

    Example:
    ```python
    import keras, numpy as np
    logits = np.log(np.array([[0.1, 0.9]], "float32"))
    sample_from_logits(logits, keras.random.SeedGenerator(0))  # mostly [1]
    ```
    """
    logits = ops.stop_gradient(ops.cast(logits, "float32")) / temperature
    if disallow is not None:
        logits = logits - 1000.0 * ops.cast(disallow, "float32")
    vocabulary_size = logits.shape[-1]
    block = SAMPLING_BLOCK_SIZE
    if vocabulary_size <= block:
        return ops.stop_gradient(ops.cast(_gumbel_argmax(logits, seed), "int32"))
    num_blocks = vocabulary_size // block
    full = num_blocks * block
    flat = ops.reshape(logits, (-1, vocabulary_size))
    probs = ops.exp(flat - ops.max(flat, axis=-1, keepdims=True))  # unnormalised
    mass = ops.sum(ops.reshape(probs[:, :full], (-1, num_blocks, block)), axis=-1)
    if full < vocabulary_size:  # the last, shorter block
        mass = ops.concatenate(
            [mass, ops.sum(probs[:, full:], axis=-1, keepdims=True)], axis=-1
        )
    chosen = ops.cast(_gumbel_argmax(ops.log(mass), seed), "int32")
    index = chosen[:, None] * block + ops.arange(block, dtype="int32")[None, :]
    within = ops.take_along_axis(flat, ops.minimum(index, vocabulary_size - 1), axis=1)
    within = ops.where(index < vocabulary_size, within, -1e9)
    within = ops.cast(_gumbel_argmax(within, seed), "int32")
    sampled = chosen * block + within
    return ops.stop_gradient(ops.reshape(sampled, ops.shape(logits)[:-1]))


def _gumbel_argmax(logits, seed):
    noise = uniform(ops.shape(logits), seed)
    gumbel = -ops.log(-ops.log(noise + 1e-9) + 1e-9)
    return ops.argmax(logits + gumbel, axis=-1)


@keras.saving.register_keras_serializable(package="keras_electra")
class DynamicMasking(keras.layers.Layer):
    """Chooses and corrupts positions to predict, freshly on every call.

    Candidates are real (non-pad) tokens other than the special ids (by
    default [CLS], [SEP] and [MASK]). Each row gets
    `count = max(1, min(max_predictions, round(num_non_pad * mask_probability)))`
    prediction slots, whose positions are drawn uniformly among the
    candidates:

    - `position_sampling="with_replacement"` (default): the original's
      `pretrain_helpers.mask`, `tf.random.categorical(log(candidates / n),
      max_predictions)` keeping the first `count` draws. Two slots can pick
      the same position: it then counts twice in the MLM loss, and on full
      128-token rows a row gets about 17.7 distinct positions out of 19.
      A row with fewer candidates than `count` simply gets repeats.
    - `position_sampling="without_replacement"`: `count` distinct positions
      (fewer only if the row has fewer candidates), as BERT's static masking.

    A chosen token becomes `mask_token_id` with probability
    `mask_token_rate`, a uniformly random non-special token with probability
    `random_token_rate`, and stays itself otherwise: 85/0/15 by default as in
    ELECTRA (for both its RTD and its MLM baseline), 80/10/10 for BERT's
    recipe. Each slot draws its own outcome; a position chosen by several
    slots is written as the original's `scatter_update` does
    (see `scatter_positions`): [MASK] if any of its slots says [MASK].

    Outputs have static shapes: `masked_lm_positions`, `masked_lm_ids` and
    `masked_lm_weights` are `[B, max_predictions]` (weight 0 marks an unused
    slot, whose position and id are 0).

    Args:
        vocabulary_size: int. Number of token ids (for random replacements).
        mask_token_id: int. Id of [MASK].
        pad_token_id: int. Id of [PAD]; never chosen nor drawn as a random token.
        special_token_ids: list of ints never chosen (besides padding).
        mask_probability: float. Fraction of real tokens to choose.
        max_predictions: int or None. Slots per row; `None` derives it from
            the (static) sequence length with `max_predictions_for`.
        mask_token_rate: float. Chosen tokens replaced by [MASK].
        random_token_rate: float. Chosen tokens replaced by a random token.
        position_sampling: `"with_replacement"` (the original's, default) or
            `"without_replacement"`.
        seed: int or None. Seed of the layer's `SeedGenerator`. Without one,
            on torch the draws come from torch's global generator (see
            `random_noise.draws_from_global_torch_rng`): no device sync per draw.

    Example:
    ```python
    import numpy as np
    masking = DynamicMasking(vocabulary_size=30, mask_token_id=4,
                             special_token_ids=[2, 3, 4], mask_probability=0.3,
                             position_sampling="without_replacement")
    out = masking(np.array([[2, 7, 8, 9, 10, 3, 0, 0]]),
                  np.array([[1, 1, 1, 1, 1, 1, 0, 0]]))
    out["token_ids"], out["masked_lm_positions"], out["masked_lm_weights"]
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        mask_token_id,
        special_token_ids=(),
        pad_token_id=0,
        mask_probability=0.15,
        max_predictions=None,
        mask_token_rate=0.85,
        random_token_rate=0.0,
        position_sampling="with_replacement",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0.0 < mask_probability < 1.0:
            raise ElectraError(
                f"`mask_probability` must be in (0, 1). Received: {mask_probability}."
            )
        if mask_token_rate < 0 or random_token_rate < 0 or mask_token_rate + random_token_rate > 1:
            raise ElectraError(
                "`mask_token_rate` and `random_token_rate` must be >= 0 and sum "
                f"to at most 1. Received: {mask_token_rate}, {random_token_rate}."
            )
        if position_sampling not in POSITION_SAMPLING:
            raise ElectraError(
                f"Unknown `position_sampling` {position_sampling!r}; expected one "
                f"of {POSITION_SAMPLING}."
            )
        self.vocabulary_size = vocabulary_size
        self.mask_token_id = mask_token_id
        self.pad_token_id = pad_token_id
        self.special_token_ids = sorted(
            set(int(i) for i in special_token_ids) | {int(mask_token_id), int(pad_token_id)}
        )
        self.mask_probability = mask_probability
        self.max_predictions = max_predictions
        self.mask_token_rate = mask_token_rate
        self.random_token_rate = random_token_rate
        self.position_sampling = position_sampling
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self.built = True

    def num_predictions(self, sequence_length):
        """Static number of prediction slots for a sequence length."""
        if self.max_predictions is not None:
            return min(self.max_predictions, sequence_length)
        return max_predictions_for(sequence_length, self.mask_probability)

    def candidates(self, token_ids, padding_mask):
        """0/1 float `[B, T]` mask of the positions that may be chosen."""
        candidate = ops.cast(padding_mask, "bool")
        for special in self.special_token_ids:
            candidate = ops.logical_and(candidate, ops.not_equal(token_ids, special))
        return ops.cast(candidate, "float32")

    def call(self, token_ids, padding_mask):
        token_ids = ops.cast(token_ids, "int32")
        length = token_ids.shape[1]
        if length is None:
            raise ElectraError(
                "Dynamic masking needs a static sequence length; pad batches to a "
                "fixed length (e.g. `padded_batch(..., padded_shapes=...)`)."
            )
        num_slots = self.num_predictions(length)
        candidates = self.candidates(token_ids, padding_mask)
        num_tokens = ops.sum(ops.cast(padding_mask, "float32"), axis=-1)
        count = ops.clip(ops.round(num_tokens * self.mask_probability), 1, num_slots)
        slot = ops.expand_dims(ops.arange(num_slots, dtype="float32"), 0)
        weights = slot < ops.expand_dims(count, -1)
        if self.position_sampling == "with_replacement":
            positions, found = self._positions_with_replacement(candidates, num_slots)
        else:
            positions, found = self._positions_without_replacement(candidates, num_slots)
        weights = ops.cast(ops.logical_and(weights, found), "float32")
        positions = positions * ops.cast(weights, "int32")
        original = gather_positions(token_ids, positions) * ops.cast(weights, "int32")

        # 85% [MASK] / 15% unchanged by default; optionally random tokens.
        draw = uniform(ops.shape(weights), self.seed_generator)
        replacement = ops.full_like(original, self.mask_token_id)
        if self.random_token_rate > 0:
            random_ids = self._random_tokens(ops.shape(weights))
            use_random = ops.logical_and(
                draw >= self.mask_token_rate,
                draw < self.mask_token_rate + self.random_token_rate,
            )
            replacement = ops.where(use_random, random_ids, replacement)
        # Kept slots write nothing, as the original's `replace_with_mask_positions`
        # (position 0, ignored): a repeated position is [MASK] if any slot says so.
        change = ops.cast(draw < self.mask_token_rate + self.random_token_rate, "float32")
        masked_ids, _ = scatter_positions(token_ids, positions, replacement, weights * change)
        return {
            "token_ids": masked_ids,
            "masked_lm_positions": positions,
            "masked_lm_ids": original,
            "masked_lm_weights": weights,
        }

    def _positions_without_replacement(self, candidates, num_slots):
        # Uniform choice without replacement: the top `num_slots` random keys.
        keys = uniform(ops.shape(candidates), self.seed_generator)
        keys = ops.where(candidates > 0, keys, -1.0)
        values, positions = ops.top_k(keys, k=num_slots, sorted=True)
        return ops.cast(positions, "int32"), values >= 0.0

    def _positions_with_replacement(self, candidates, num_slots):
        # `num_slots` independent uniform draws among the candidates, as the
        # original's `tf.random.categorical(sample_logits, N)`: draw a rank k
        # in [0, n) and take the k-th candidate, the position t where the
        # running count of candidates first exceeds k.
        num_candidates = ops.sum(candidates, axis=-1, keepdims=True)  # [B, 1]
        draw = uniform(ops.shape(candidates)[:1] + (num_slots,), self.seed_generator)
        rank = ops.minimum(ops.floor(draw * num_candidates), num_candidates - 1)
        running = ops.cumsum(candidates, axis=-1)  # [B, T], exact small integers
        before = ops.expand_dims(running, 1) <= ops.expand_dims(rank, -1)  # [B, P, T]
        positions = ops.sum(ops.cast(before, "int32"), axis=-1)
        found = ops.broadcast_to(num_candidates > 0, ops.shape(draw))
        return positions, found

    def _random_tokens(self, shape):
        # Uniform over non-special ids: sample with -inf logits on specials.
        logits = [0.0] * self.vocabulary_size
        for special in self.special_token_ids:
            if special < self.vocabulary_size:
                logits[special] = -1e9
        logits = ops.broadcast_to(ops.convert_to_tensor(logits, "float32"), tuple(shape) + (self.vocabulary_size,))
        return sample_from_logits(logits, self.seed_generator)

    def compute_output_spec(self, token_ids, padding_mask):
        batch, length = token_ids.shape
        slots = self.num_predictions(length)
        return {
            "token_ids": keras.KerasTensor((batch, length), "int32"),
            "masked_lm_positions": keras.KerasTensor((batch, slots), "int32"),
            "masked_lm_ids": keras.KerasTensor((batch, slots), "int32"),
            "masked_lm_weights": keras.KerasTensor((batch, slots), "float32"),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "mask_token_id": self.mask_token_id,
                "special_token_ids": self.special_token_ids,
                "pad_token_id": self.pad_token_id,
                "mask_probability": self.mask_probability,
                "max_predictions": self.max_predictions,
                "mask_token_rate": self.mask_token_rate,
                "random_token_rate": self.random_token_rate,
                "position_sampling": self.position_sampling,
                "seed": self.seed,
            }
        )
        return config
