"""ElectraMaskedLM: an ELECTRA generator (backbone + MLM head) as a keras-hub task."""

import warnings

import keras
import numpy as np
from keras import ops
from keras_hub.models import MaskedLM
from keras_hub.models import MaskedLMPreprocessor

from keras_electra.errors import ElectraError
from keras_electra.layers.heads import ElectraMaskedLMHead
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.models.tokenizer import ElectraTokenizer
from keras_electra.tasks.task import ElectraTask


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraMaskedLMPreprocessor(MaskedLMPreprocessor):
    """Tokenizes, packs and masks text for `ElectraMaskedLM` (needs TensorFlow).

    keras-hub's `MaskedLMPreprocessor` with ELECTRA's defaults: 15% of the
    tokens chosen, 85% of those replaced by [MASK], none by random tokens.
    A dict with `token_ids` (and `padding_mask`, `mask_positions`) is taken
    as masked already and passed through, labels untouched.

    Example:
    ```python
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "fox", "."]
    preprocessor = ElectraMaskedLMPreprocessor(
        ElectraTokenizer(vocabulary=vocab), sequence_length=8)
    x, y, sample_weight = preprocessor(["the fox ."])
    ```
    """

    backbone_cls = ElectraBackbone
    tokenizer_cls = ElectraTokenizer

    def __init__(self, tokenizer, sequence_length=512, mask_selection_rate=0.15,
                 mask_token_rate=0.85, random_token_rate=0.0, **kwargs):
        super().__init__(
            tokenizer=tokenizer,
            sequence_length=sequence_length,
            mask_selection_rate=mask_selection_rate,
            mask_token_rate=mask_token_rate,
            random_token_rate=random_token_rate,
            **kwargs,
        )

    def call(self, x, y=None, sample_weight=None):
        # Features masked already (a dict of token ids) pass through, so
        # `ElectraMaskedLM.fit`/`evaluate`/`predict` on them do not tokenize
        # ids a second time.
        if isinstance(x, dict) and "token_ids" in x:
            return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)
        return super().call(x, y, sample_weight)


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraMaskedLM(ElectraTask, MaskedLM):
    """An ELECTRA generator: `ElectraBackbone` plus the tied masked-LM head.

    Inputs: `token_ids`, `padding_mask` and `mask_positions` (`[B, P]`);
    output: logits `[B, P, vocabulary_size]` at the mask positions (single
    segment: segment ids are zero). `keras_electra.convert.pretrainer_export.export_presets` saves
    a trained generator as this task; `fill_mask` predicts [MASK] tokens.

    Args:
        backbone: `ElectraBackbone`.
        preprocessor: optional `ElectraMaskedLMPreprocessor`.

    Example:
    ```python
    import numpy as np
    backbone = ElectraBackbone(vocabulary_size=30, num_layers=1, num_heads=1,
                               hidden_dim=16, intermediate_dim=32,
                               max_sequence_length=16)
    masked_lm = ElectraMaskedLM(backbone)
    masked_lm.predict({"token_ids": np.array([[2, 4, 9, 3]]),
                       "padding_mask": np.ones((1, 4), "int32"),
                       "mask_positions": np.array([[1]])}).shape  # (1, 1, 30)
    ```
    """

    backbone_cls = ElectraBackbone
    preprocessor_cls = ElectraMaskedLMPreprocessor
    transformers_architecture = "ElectraForMaskedLM"
    # keras-hub's masked-LM defaults: Adam 5e-5, cross-entropy on logits,
    # accuracy weighted to the masked positions.
    compile = MaskedLM.compile

    def __init__(self, backbone, preprocessor=None, **kwargs):
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.masked_lm_head = ElectraMaskedLMHead(
            backbone.token_embedding,
            layer_norm_epsilon=backbone.layer_norm_epsilon,
            initializer_range=backbone.initializer_range,
            dtype=backbone.dtype_policy,
            name="generator_predictions",
        )

        # === Functional Model ===
        inputs = {
            "token_ids": keras.Input(shape=(None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input(shape=(None,), dtype="int32", name="padding_mask"),
            "mask_positions": keras.Input(shape=(None,), dtype="int32", name="mask_positions"),
        }
        hidden = backbone(
            {
                "token_ids": inputs["token_ids"],
                "segment_ids": ops.zeros_like(inputs["token_ids"]),
                "padding_mask": inputs["padding_mask"],
            }
        )["sequence_output"]
        outputs = self.masked_lm_head(hidden, positions=inputs["mask_positions"])
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    def fill_mask(self, inputs, top_k=5, mask_token_id=None):
        """Top-k predictions for every [MASK] token.

        Args:
            inputs: a list of strings containing "[MASK]" (needs the
                preprocessor's tokenizer), or a dict with `token_ids` and
                `padding_mask` (numpy).
            top_k: int. Candidates per mask.
            mask_token_id: id of [MASK]; defaults to the tokenizer's.

        Returns:
            One list per example, one list per [MASK] of `(token, probability)`
            pairs (tokens are ids when there is no tokenizer).
        """
        tokenizer = getattr(self.preprocessor, "tokenizer", None)
        if mask_token_id is None:
            if tokenizer is None:
                raise ElectraError("Pass `mask_token_id` when the task has no preprocessor.")
            mask_token_id = tokenizer.mask_token_id
        if isinstance(inputs, (str, list, tuple)):
            if tokenizer is None:
                raise ElectraError("Strings need a preprocessor with a tokenizer.")
            inputs = self._encode(inputs if not isinstance(inputs, str) else [inputs], tokenizer)
        token_ids = np.asarray(inputs["token_ids"], "int32")
        is_mask = token_ids == mask_token_id
        slots = max(1, int(is_mask.sum(-1).max()))
        positions = np.zeros((len(token_ids), slots), "int32")
        for row, mask in enumerate(is_mask):
            found = np.flatnonzero(mask)
            positions[row, : len(found)] = found
        # Call the model itself: `predict_on_batch` would run the preprocessor
        # again on these already-encoded inputs.
        logits = self(
            {"token_ids": token_ids, "padding_mask": np.asarray(inputs["padding_mask"], "int32"),
             "mask_positions": positions},
            training=False,
        )
        probs = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
        results = []
        for row, mask in enumerate(is_mask):
            row_results = []
            for slot in range(int(mask.sum())):
                best = np.argsort(-probs[row, slot])[:top_k]
                name = (lambda i: tokenizer.id_to_token(int(i))) if tokenizer else int
                row_results.append([(name(i), float(probs[row, slot, i])) for i in best])
            results.append(row_results)
        return results

    def _encode(self, texts, tokenizer):
        length = self.preprocessor.sequence_length
        rows = []
        for text in texts:
            ids = [tokenizer.cls_token_id]
            parts = text.split("[MASK]")
            for i, part in enumerate(parts):
                if part.strip():
                    ids += [int(t) for t in np.asarray(tokenizer(part))]
                if i < len(parts) - 1:
                    ids.append(tokenizer.mask_token_id)
            if len(ids) > length - 1:
                cut = ids[length - 1:].count(tokenizer.mask_token_id)
                warnings.warn(
                    f"fill_mask: {text[:40]!r}... has {len(ids) - 1} wordpieces, more than "
                    f"the {length - 2} that fit; it is truncated"
                    + (f" and its last {cut} [MASK] get no predictions." if cut else "."),
                    stacklevel=3,
                )
            ids = ids[: length - 1] + [tokenizer.sep_token_id]
            rows.append(ids)
        token_ids = np.full((len(rows), length), tokenizer.pad_token_id, "int32")
        padding_mask = np.zeros((len(rows), length), "int32")
        for r, ids in enumerate(rows):
            token_ids[r, : len(ids)] = ids
            padding_mask[r, : len(ids)] = 1
        return {"token_ids": token_ids, "padding_mask": padding_mask}
