"""The pretraining objectives of `ElectraPretrainer`, one small class each.

An objective says which generator towers it needs (and in which attention
direction), which backbone its masked-LM head reads, how it produces the
masked-LM logits, how it labels and scores the discriminator's input, and
which loss the generator side contributes. `ElectraPretrainer` runs the
steps they share (masking, sampling, the discriminator, the RTD loss and
metrics) and asks its objective for the rest.
"""

import dataclasses
import math
from typing import Any
from typing import Optional

from keras import ops

from keras_electra.layers.masking import gather_positions


@dataclasses.dataclass
class MaskedBatch:
    """One batch after masking (in-graph or given pre-masked).

    Attributes:
        inputs: the input dict (`segment_ids`, `padding_mask`, ...).
        original: `[B, T]` int32 ids before masking.
        masked_ids: `[B, T]` int32 ids with the masked positions replaced.
        positions, targets, weights: `[B, P]` masked positions, their
            original ids and their weights (0 for unused slots).
    """

    inputs: Any
    original: Any
    masked_ids: Any
    positions: Any
    targets: Any
    weights: Any


@dataclasses.dataclass
class Generation:
    """What an objective's generator step gives.

    Attributes:
        lm_logits: `[B, P, V]` logits at the masked positions.
        outputs: extra model outputs (e.g. Electric's `cloze_loss`).
        token_log_probs: `[B, T, V]` log-probabilities of every token at every
            position (Electric's cloze model), or None.
    """

    lm_logits: Any
    outputs: dict = dataclasses.field(default_factory=dict)
    token_log_probs: Optional[Any] = None


class Objective:
    """The base objective: replaced-token detection on some generator's samples.

    Attributes:
        name: the `objective` argument that selects it.
        tower_directions: generator tower attribute -> attention direction
            (`{}`: no generator backbone).
        can_share_encoder: whether `embedding_sharing="shared_encoder"` (the
            generator is the discriminator itself) applies.
        has_discriminator: whether a discriminator is trained on replaced
            tokens (False: the MLM baseline).
        exports: what `export_presets` can write besides the discriminator:
            `"generator"` (an `ElectraMaskedLM`) or `"scorer"` (an
            `ElectricScorer`).

    Example:
    ```python
    from keras_electra.models.objectives import get_objective
    get_objective("electric").tower_directions
    # {'generator': 'left_to_right', 'reverse_generator': 'right_to_left'}
    ```
    """

    name = None
    tower_directions = {}
    can_share_encoder = False
    has_discriminator = True
    exports = ()

    def lm_backbone(self, pretrainer):
        """The backbone whose token table the masked-LM head ties to, or None (no head)."""
        return pretrainer.generator

    def lm_head_width(self, pretrainer):
        """The width of the masked-LM head's input."""
        return pretrainer.part(self.lm_backbone(pretrainer)).hidden_dim

    def generate(self, pretrainer, batch, training):
        """The `Generation` of this objective for `batch`.

        By default the masked-LM backbone reads the masked ids and the head
        scores the masked positions.
        """
        hidden = pretrainer.encode(
            self.lm_backbone(pretrainer), batch.masked_ids, batch.inputs, training=training
        )
        return Generation(pretrainer.generator_head(hidden, batch.positions))

    def disc_labels(self, written, fake_ids, original):
        """`[B, T]` int32 discriminator labels: 1 where a token is fake."""
        return written * ops.cast(ops.not_equal(fake_ids, original), "int32")

    def disc_logits(self, scores, fake_ids, generation, mask_probability):
        """The discriminator's logits from its head's `scores`."""
        return scores

    def generator_loss(self, y_pred):
        """The generator side's loss: the masked-LM NLL averaged over masked slots."""
        weights = y_pred["masked_lm_weights"]
        return ops.sum(y_pred["masked_lm_nll"] * weights) / (ops.sum(weights) + 1e-6)


class ReplacedTokenDetection(Objective):
    """`"electra"`: a bidirectional masked-LM generator samples the replacements."""

    name = "electra"
    tower_directions = {"generator": "bidirectional"}
    can_share_encoder = True
    exports = ("generator",)


class MaskedLanguageModeling(Objective):
    """`"mlm"`: the BERT baseline; the discriminator alone with a masked-LM head."""

    name = "mlm"
    has_discriminator = False

    def lm_backbone(self, pretrainer):
        return pretrainer.discriminator


class UniformReplacement(Objective):
    """`"uniform"`: replacements drawn uniformly from the vocabulary (no generator)."""

    name = "uniform"

    def lm_backbone(self, pretrainer):
        return None

    def generate(self, pretrainer, batch, training):
        vocabulary_size = pretrainer.part(pretrainer.discriminator).vocabulary_size
        return Generation(ops.zeros(ops.shape(batch.targets) + (vocabulary_size,), "float32"))


class Electric(Objective):
    """`"electric"`: a two-tower cloze generator; every masked position is fake.

    The towers read the *unmasked* input; the cloze loss covers all candidate
    positions; the discriminator logit is
    `s + stop_gradient(log q(x_t)) + log(p / (1 - p))`.
    """

    name = "electric"
    tower_directions = {"generator": "left_to_right", "reverse_generator": "right_to_left"}
    exports = ("scorer",)

    def lm_head_width(self, pretrainer):
        return 2 * pretrainer.generator.hidden_dim

    def generate(self, pretrainer, batch, training):
        cloze = pretrainer.cloze_logits(batch.original, batch.inputs, training=training)
        cloze_log_probs = ops.log_softmax(ops.cast(cloze, "float32"), axis=-1)
        lm_logits = gather_positions(cloze, batch.positions)
        candidates = pretrainer.masking.candidates(batch.original, batch.inputs["padding_mask"])
        cloze_nll = -token_log_prob(cloze_log_probs, batch.original)
        cloze_loss = ops.sum(cloze_nll * candidates) / (ops.sum(candidates) + 1e-6)
        return Generation(lm_logits, {"cloze_loss": cloze_loss}, cloze_log_probs)

    def disc_labels(self, written, fake_ids, original):
        return written

    def disc_logits(self, scores, fake_ids, generation, mask_probability):
        log_q = token_log_prob(generation.token_log_probs, fake_ids)
        return electric_logits(scores, log_q, mask_probability)

    def generator_loss(self, y_pred):
        return y_pred["cloze_loss"]


# The objectives, by `objective` name: the one table.
OBJECTIVE_TYPES = {
    cls.name: cls
    for cls in (ReplacedTokenDetection, MaskedLanguageModeling, UniformReplacement, Electric)
}
OBJECTIVES = tuple(OBJECTIVE_TYPES)


def get_objective(name):
    """The `Objective` named `name`; a `ValueError` listing `OBJECTIVES` otherwise."""
    if name not in OBJECTIVE_TYPES:
        raise ValueError(f"Unknown `objective` {name!r}; expected one of {OBJECTIVES}.")
    return OBJECTIVE_TYPES[name]()


def token_log_prob(log_probs, token_ids):
    """`[B, T]` log-probability of `token_ids` under `[B, T, V]` `log_probs`."""
    return ops.squeeze(ops.take_along_axis(log_probs, ops.expand_dims(token_ids, -1), axis=-1), -1)


def masked_lm_nll(lm_logits, targets):
    """Per-slot negative log-likelihood of `targets` `[B, P]`, and the log-probs.

    Computed once in `call`, so the loss, the metrics and the sampler share
    one vocabulary-sized `log_softmax`.
    """
    log_probs = ops.log_softmax(ops.cast(lm_logits, "float32"), axis=-1)
    return -token_log_prob(log_probs, ops.cast(targets, "int32")), log_probs


def electric_logits(scores, log_q, mask_probability):
    """Electric's discriminator logit: `s + stop_gradient(log q(x)) + log(p / (1 - p))`.

    `scores` are the discriminator head outputs `s_t`, `log_q` the cloze
    model's log-probability of the token at each position.
    """
    prior = math.log(mask_probability / (1.0 - mask_probability))
    return scores + ops.stop_gradient(log_q) + prior
