"""ElectricScorer: one-pass pseudo-log-likelihood scores from an Electric model."""

import keras
import numpy as np
from keras import ops
from keras_hub.models import Task

from keras_electra.layers.heads import ElectraDiscriminatorHead
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.models.direct_functional import DirectFunctional
from keras_electra.tasks.array_inputs import ArrayInputs
from keras_electra.preprocessing.text_classifier_preprocessor import (
    ElectraTextClassifierPreprocessor,
)
from keras_electra.utils.sparse_gradients import DenseSparseGradients


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectricScorer(DirectFunctional, ArrayInputs, DenseSparseGradients, Task):
    """Scores text with an Electric-trained discriminator in one forward pass.

    Electric (Clark et al. 2020b) trains the discriminator output `s_t` as an
    energy: `-s_t` is an unnormalised log-likelihood of token t in context.
    The score of a sentence is `-sum_t s_t` over its real tokens (not [CLS],
    [SEP] or padding): higher means more plausible. Use it to re-rank n-best
    lists from speech recognition or translation.

    Args:
        backbone: the Electric discriminator `ElectraBackbone`.
        preprocessor: optional `ElectraTextClassifierPreprocessor` (to score
            strings).
        cls_token_id, sep_token_id: ids excluded from the score; taken from
            the preprocessor's tokenizer when it has one.

    Example:
    ```python
    scorer = ElectricScorer.from_preset("./electric_scorer")
    scorer.score(["the cat sat on the mat .", "the mat sat on the cat ."])
    # {"scores": array([...]), "token_scores": array([...]), "lengths": ...}
    ```
    """

    backbone_cls = ElectraBackbone
    preprocessor_cls = ElectraTextClassifierPreprocessor

    def __init__(self, backbone, preprocessor=None, cls_token_id=None, sep_token_id=None, **kwargs):
        tokenizer = getattr(preprocessor, "tokenizer", None)
        if cls_token_id is None:
            cls_token_id = tokenizer.cls_token_id if tokenizer else 101
        if sep_token_id is None:
            sep_token_id = tokenizer.sep_token_id if tokenizer else 102
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.discriminator_head = ElectraDiscriminatorHead(
            backbone.hidden_dim,
            initializer_range=backbone.initializer_range,
            dtype=backbone.dtype_policy,
            name="discriminator_predictions",
        )

        # === Functional Model ===
        inputs = backbone.input
        hidden = backbone(inputs)["sequence_output"]
        outputs = self.discriminator_head(hidden)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.cls_token_id = cls_token_id
        self.sep_token_id = sep_token_id

    def token_mask(self, token_ids, padding_mask):
        """1 for real tokens (not [CLS], [SEP] or padding), else 0."""
        token_ids = np.asarray(token_ids)
        real = np.asarray(padding_mask).astype(bool)
        real &= (token_ids != self.cls_token_id) & (token_ids != self.sep_token_id)
        return real.astype("float32")

    def score(self, inputs, normalize=False, batch_size=32):
        """Per-token and per-sentence scores, `-s_t` and `-sum_t s_t`.

        Args:
            inputs: list of strings (needs a preprocessor) or a dict of numpy
                `token_ids`, `segment_ids`, `padding_mask`.
            normalize: bool. Divide each sentence score by its token count.
            batch_size: int. Sentences per forward pass.

        Returns:
            Dict of numpy arrays: `scores` `[N]`, `token_scores` `[N, T]` (0 on
            non-real tokens) and `lengths` `[N]` (real tokens per sentence).
        """
        if isinstance(inputs, str):
            inputs = [inputs]
        if isinstance(inputs, (list, tuple)):
            if self.preprocessor is None:
                raise ValueError("Scoring strings needs a preprocessor; pass token ids instead.")
            inputs = {k: np.asarray(v).astype("int32") for k, v in self.preprocessor(list(inputs)).items()}
        energies = self.predict(
            {k: np.asarray(inputs[k], "int32") for k in ("token_ids", "segment_ids", "padding_mask")},
            batch_size=batch_size,
            verbose=0,
        )
        mask = self.token_mask(inputs["token_ids"], inputs["padding_mask"])
        token_scores = -np.asarray(energies, "float32") * mask
        lengths = mask.sum(-1)
        scores = token_scores.sum(-1)
        if normalize:
            scores = scores / np.maximum(lengths, 1.0)
        return {"scores": scores, "token_scores": token_scores, "lengths": lengths}

    def get_config(self):
        config = super().get_config()
        config.update({"cls_token_id": self.cls_token_id, "sep_token_id": self.sep_token_id})
        return config
