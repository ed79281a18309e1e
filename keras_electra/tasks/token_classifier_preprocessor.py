"""ElectraTokenClassifierPreprocessor: words and word labels to wordpiece inputs."""

import keras
import numpy as np
from keras_hub.models import Preprocessor

from keras_electra.errors import ElectraError
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.preprocessing.packer import check_sequence_length
from keras_electra.models.tokenizer import ElectraTokenizer
from keras_electra.utils.input_validation import to_host_array


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraTokenClassifierPreprocessor(Preprocessor):
    """Tokenizes pre-split words and aligns word-level labels to wordpieces.

    Each word is split into wordpieces; the sequence is packed as
    `[CLS] pieces [SEP]` and padded to `sequence_length`. The label of a word
    goes on its first wordpiece, which gets sample weight 1; every other
    position (later pieces, [CLS], [SEP], padding) gets label 0 and sample
    weight 0, as google-research/electra's tagging tasks. Words that no longer
    fit are dropped, with every word after them (their predictions come back as `None`).
    Every real token, [CLS] and [SEP] included, has segment id 1 as in the
    original (`tagging_tasks.py`: `segment_ids = [1] * len(input_ids)`);
    padding has 0.

    Runs in Python/numpy on host data (no TensorFlow needed). Dicts that
    already hold `token_ids` pass through unchanged, so preprocessed arrays
    can be fed to the task model.

    Args:
        tokenizer: an `ElectraTokenizer`.
        sequence_length: int. Output length, including [CLS] and [SEP].
        segment_id: int. Segment id of the real tokens (1, the original's;
            0 as transformers' token classification).

    Example:
    ```python
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat",
             "sat", "##s"]
    preprocessor = ElectraTokenClassifierPreprocessor(
        ElectraTokenizer(vocabulary=vocab), sequence_length=8
    )
    x, y, sample_weight = preprocessor([["The", "cats", "sat"]], [[1, 2, 3]])
    # x["token_ids"][0]:  [2, 5, 6, 8, 7, 3, 0, 0]
    # y[0]:               [0, 1, 2, 0, 3, 0, 0, 0]
    # sample_weight[0]:   [0, 1, 1, 0, 1, 0, 0, 0]
    ```
    """

    backbone_cls = ElectraBackbone
    tokenizer_cls = ElectraTokenizer

    def __init__(self, tokenizer, sequence_length=128, segment_id=1, **kwargs):
        super().__init__(**kwargs)
        check_sequence_length(sequence_length, 3, "[CLS], one piece and [SEP]")
        if segment_id not in (0, 1):
            raise ValueError(f"`segment_id` must be 0 or 1. Received: {segment_id!r}.")
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        self.segment_id = segment_id

    def encode(self, words):
        """Packs a batch of word lists.

        Args:
            words: list of lists of str.

        Returns:
            `(features, first_positions)`: a dict of int32 arrays
            `token_ids`, `segment_ids`, `padding_mask` of shape
            `(batch, sequence_length)`, and per example the wordpiece index
            of the first piece of each kept word.
        """
        words = _as_word_batch(words)
        flat = [w for sentence in words for w in sentence]
        pieces = self.tokenizer(flat) if flat else []
        pieces = [_to_list(p) for p in pieces]
        unk = self.tokenizer.unk_token_id
        length = self.sequence_length
        token_ids = np.full((len(words), length), self.tokenizer.pad_token_id, "int32")
        padding_mask = np.zeros((len(words), length), "int32")
        first_positions = []
        cursor = 0
        for row, sentence in enumerate(words):
            ids = [self.tokenizer.cls_token_id]
            starts = []
            sentence_pieces = pieces[cursor : cursor + len(sentence)]
            cursor += len(sentence)
            for word_pieces in sentence_pieces:
                word_pieces = word_pieces or [unk]
                if len(ids) + len(word_pieces) > length - 1:
                    break  # this and later words do not fit
                starts.append(len(ids))
                ids.extend(word_pieces)
            ids.append(self.tokenizer.sep_token_id)
            token_ids[row, : len(ids)] = ids
            padding_mask[row, : len(ids)] = 1
            first_positions.append(starts)
        features = {
            "token_ids": token_ids,
            "segment_ids": padding_mask * np.int32(self.segment_id),
            "padding_mask": padding_mask,
        }
        return features, first_positions

    def call(self, x, y=None, sample_weight=None):
        if isinstance(x, dict):
            return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)
        words = _as_word_batch(x)
        features, first_positions = self.encode(words)
        if y is None:
            return features
        labels = _as_label_batch(y, words)
        shape = features["token_ids"].shape
        aligned = np.zeros(shape, "int32")
        weights = np.zeros(shape, "float32")
        word_weights = None
        if sample_weight is not None:
            word_weights = _as_label_batch(sample_weight, words, "sample_weight")
        for row, starts in enumerate(first_positions):
            for index, position in enumerate(starts):
                aligned[row, position] = labels[row][index]
                weights[row, position] = (
                    1.0 if word_weights is None else word_weights[row][index]
                )
        return features, aligned, weights

    def word_predictions(self, words, predictions):
        """Maps wordpiece predictions back to words.

        Args:
            words: the batch of word lists given to the preprocessor.
            predictions: `(batch, sequence_length)` class ids or
                `(batch, sequence_length, num_classes)` scores.

        Returns:
            Per example, one prediction per word (`None` for words that were
            truncated away).
        """
        words = _as_word_batch(words)
        predictions = np.asarray(predictions)
        if predictions.ndim == 3:
            predictions = predictions.argmax(-1)
        _, first_positions = self.encode(words)
        result = []
        for row, sentence in enumerate(words):
            kept = [int(predictions[row, p]) for p in first_positions[row]]
            result.append(kept + [None] * (len(sentence) - len(kept)))
        return result

    def get_config(self):
        config = super().get_config()
        config.update(
            {"sequence_length": self.sequence_length, "segment_id": self.segment_id}
        )
        return config


def _to_list(value):
    if isinstance(value, list):
        return value
    return np.asarray(value).tolist()


def _as_word_batch(x):
    if isinstance(x, tuple):
        x = list(x)
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if not isinstance(x, list):
        raise ValueError(
            "ElectraTokenClassifierPreprocessor expects a list of word lists "
            f"(or one word list). Received: {type(x).__name__}."
        )
    if not x:
        raise ElectraError(
            "ElectraTokenClassifierPreprocessor received an empty batch (no sentences). "
            'Pass at least one word list, e.g. `[["The", "cat"]]`.'
        )
    if isinstance(x[0], str):
        x = [x]
    batch = []
    for index, sentence in enumerate(x):
        sentence = list(sentence) if not isinstance(sentence, str) else None
        if sentence is None or not all(isinstance(w, str) for w in sentence):
            raise ValueError(
                f"Example {index} is not a list of word strings. Pass words "
                "already split, e.g. [['The', 'cat', 'sat']]."
            )
        batch.append(sentence)
    return batch


def _as_label_batch(y, words, name="labels"):
    host = to_host_array(y) if not isinstance(y, (list, tuple)) else None
    rows = host.tolist() if host is not None else list(y)
    if len(words) == 1 and rows and not isinstance(rows[0], (list, tuple, np.ndarray)):
        rows = [rows]
    if len(rows) != len(words):
        raise ValueError(
            f"Got {len(rows)} rows of {name} for {len(words)} examples."
        )
    result = []
    for index, (row, sentence) in enumerate(zip(rows, words)):
        row = _to_list(row)
        if len(row) != len(sentence):
            raise ValueError(
                f"Example {index} has {len(sentence)} words but {len(row)} "
                f"{name}; word-level {name} need one value per word."
            )
        result.append(row)
    return result
