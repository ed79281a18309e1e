"""ElectricScorer: one-pass pseudo-log-likelihood scores from an Electric model."""

import warnings

import keras
import numpy as np
from keras_hub.models import Task

from keras_electra.errors import ElectraError
from keras_electra.layers.heads import ElectraDiscriminatorHead
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.tasks.text_classifier_preprocessor import (
    ElectraTextClassifierPreprocessor,
)
from keras_electra.tasks.task import ElectraTask


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectricScorer(ElectraTask, Task):
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
    # Scoring only: Keras' plain defaults (RMSprop, no loss), not fine-tuning.
    compile = Task.compile

    def __init__(self, backbone, preprocessor=None, cls_token_id=None, sep_token_id=None, **kwargs):
        tokenizer = getattr(preprocessor, "tokenizer", None)
        if cls_token_id is None:
            cls_token_id = tokenizer.cls_token_id if tokenizer else 101
        if sep_token_id is None:
            sep_token_id = tokenizer.sep_token_id if tokenizer else 102
        # === Config === (before `super().__init__`, which compiles)
        self.cls_token_id = cls_token_id
        self.sep_token_id = sep_token_id

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

    def token_mask(self, token_ids, padding_mask):
        """1 for real tokens (not [CLS], [SEP] or padding), else 0."""
        token_ids = np.asarray(token_ids)
        real = np.asarray(padding_mask).astype(bool)
        real &= (token_ids != self.cls_token_id) & (token_ids != self.sep_token_id)
        return real.astype("float32")

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Loads a scorer saved by `keras_electra.convert.export_pretrainer_presets(..., scorer_dir=...)` or `save_to_preset`.

        A backbone-only preset (no `task.json`) is refused when loading
        weights: its discriminator head would be random, and so would the
        scores.

        Example:
        ```python
        scorer = ElectricScorer.from_preset("./electric/electric_scorer")
        ```
        """
        import os

        from keras_electra.models.preset_loading import PresetError
        from keras_electra.models.preset_loading import TASK_CONFIG_FILE
        from keras_electra.models.preset_loading import preset_directory
        from keras_electra.tasks.task_presets import load_task

        directory, _ = preset_directory(preset)
        if load_weights and not os.path.isfile(os.path.join(directory, TASK_CONFIG_FILE)):
            raise PresetError(
                f"{directory} has no {TASK_CONFIG_FILE}: it is a backbone preset, not an "
                "ElectricScorer preset, so the discriminator head would be random. Use "
                "the electric_scorer folder that `keras-electra pretrain --objective "
                "electric` writes (or `keras_electra.convert.pretrainer_export.export_presets(pretrainer, scorer_dir=...)`)."
            )
        return load_task(cls, directory, load_weights=load_weights, **kwargs)

    @property
    def sequence_length(self):
        """Tokens per scored sentence, [CLS] and [SEP] included."""
        length = self.backbone.max_sequence_length
        if self.preprocessor is not None:
            length = min(length, self.preprocessor.sequence_length)
        return length

    def encode(self, texts):
        """Tokenizes and packs sentences as `[CLS] tokens [SEP]`, truncating long ones.

        Args:
            texts: list of strings.

        Returns:
            `(features, num_tokens)`: a dict of int32 numpy `token_ids`,
            `segment_ids` and `padding_mask` `[N, sequence_length]`, and the
            untruncated wordpiece count of each sentence `[N]` (a sentence
            is truncated when it exceeds `sequence_length - 2`).
        """
        tokenizer = getattr(self.preprocessor, "tokenizer", None)
        if tokenizer is None:
            raise ElectraError(
                "Scoring strings needs the scorer's preprocessor (its tokenizer); "
                "load a preset that has one, or pass token ids instead."
            )
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise ElectraError(
                    f"inputs[{index}] must be a string; received {type(text).__name__}."
                )
        length = self.sequence_length
        token_ids = np.full((len(texts), length), tokenizer.pad_token_id, "int32")
        padding_mask = np.zeros((len(texts), length), "int32")
        num_tokens = np.zeros((len(texts),), "int32")
        pieces = tokenizer(list(texts)) if texts else []
        for row, ids in enumerate(pieces):
            ids = [int(i) for i in np.asarray(ids).reshape(-1)]
            num_tokens[row] = len(ids)
            ids = [tokenizer.cls_token_id] + ids[: length - 2] + [tokenizer.sep_token_id]
            token_ids[row, : len(ids)] = ids
            padding_mask[row, : len(ids)] = 1
        features = {
            "token_ids": token_ids,
            "segment_ids": np.zeros_like(token_ids),
            "padding_mask": padding_mask,
        }
        return features, num_tokens

    def score(self, inputs, normalize=False, batch_size=32):
        """Per-token and per-sentence scores, `-s_t` and `-sum_t s_t`.

        Sentences longer than `sequence_length - 2` wordpieces are scored on
        their first `sequence_length - 2` and reported in `truncated`, with a
        warning: two sentences that differ only after the cut get the same
        score.

        Args:
            inputs: list of strings (needs a preprocessor) or a dict of
                `token_ids`, `padding_mask` and optionally `segment_ids`
                (numpy arrays or tensors), already packed.
            normalize: bool. Divide each sentence score by its token count.
            batch_size: int. Sentences per forward pass.

        Returns:
            Dict of numpy arrays: `scores` `[N]`, `token_scores` `[N, T]` (0 on
            non-real tokens), `lengths` `[N]` (real tokens per sentence) and
            `truncated` `[N]` (bool; always False for packed inputs).
        """
        if isinstance(inputs, str):
            inputs = [inputs]
        if isinstance(inputs, (list, tuple)):
            features, num_tokens = self.encode(list(inputs))
            truncated = num_tokens > self.sequence_length - 2
            if truncated.any():
                first = int(np.flatnonzero(truncated)[0])
                warnings.warn(
                    f"{int(truncated.sum())} of {len(truncated)} sentences are longer than "
                    f"{self.sequence_length - 2} wordpieces (e.g. inputs[{first}], "
                    f"{int(num_tokens[first])}) and are scored on their first "
                    f"{self.sequence_length - 2} only.",
                    stacklevel=2,
                )
        elif isinstance(inputs, dict):
            missing = [k for k in ("token_ids", "padding_mask") if k not in inputs]
            if missing:
                raise ElectraError(
                    f"Packed inputs need 'token_ids' and 'padding_mask'; missing {missing}."
                )
            features = {
                k: np.asarray(inputs[k]).astype("int32")
                for k in ("token_ids", "segment_ids", "padding_mask") if k in inputs
            }
            features.setdefault("segment_ids", np.zeros_like(features["token_ids"]))
            truncated = np.zeros((len(features["token_ids"]),), bool)
        else:
            raise ElectraError(
                "`inputs` must be a string, a list of strings or a dict of token ids; "
                f"received {type(inputs).__name__}."
            )
        if len(features["token_ids"]) == 0:
            energies = np.zeros(features["token_ids"].shape, "float32")
        else:
            # The features are packed already: the preprocessor passes a dict
            # of token ids through, so `predict` does not tokenize again.
            energies = self.predict(features, batch_size=batch_size, verbose=0)
        mask = self.token_mask(features["token_ids"], features["padding_mask"])
        token_scores = -np.asarray(energies, "float32") * mask
        lengths = mask.sum(-1)
        scores = token_scores.sum(-1)
        if normalize:
            scores = scores / np.maximum(lengths, 1.0)
        return {
            "scores": scores,
            "token_scores": token_scores,
            "lengths": lengths,
            "truncated": truncated,
        }

    def get_config(self):
        config = super().get_config()
        config.update({"cls_token_id": self.cls_token_id, "sep_token_id": self.sep_token_id})
        return config
