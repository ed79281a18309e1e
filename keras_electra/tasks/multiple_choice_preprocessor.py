"""ElectraMultipleChoicePreprocessor: (context, choices) to one packed pair per choice."""

import keras
import numpy as np
from keras_hub.models import Preprocessor

from keras_electra.errors import ElectraError
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.preprocessing.packer import ElectraPacker
from keras_electra.preprocessing.packer import check_sequence_length
from keras_electra.models.tokenizer import ElectraTokenizer


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraMultipleChoicePreprocessor(Preprocessor):
    """Packs `[CLS] context [SEP] choice [SEP]` for every choice of an example.

    Input is `(contexts, choices)`: a list of context strings and, for each,
    a list of exactly `num_choices` choice strings (a question can be joined
    to the context or to each choice beforehand). Output features have shape
    `(batch, num_choices, sequence_length)`; labels are the index of the
    right choice. Pairs are truncated longest-first. Runs in Python/numpy on
    host data; dicts that already hold `token_ids` pass through.

    Args:
        tokenizer: an `ElectraTokenizer`.
        num_choices: int. Choices per example.
        sequence_length: int. Length of each packed pair.

    Example:
    ```python
    preprocessor = ElectraMultipleChoicePreprocessor(
        tokenizer, num_choices=2, sequence_length=16
    )
    x, y = preprocessor((["The cat sat on"], [["the mat.", "a fox."]]), [0])
    x["token_ids"].shape  # (1, 2, 16)
    ```
    """

    backbone_cls = ElectraBackbone
    tokenizer_cls = ElectraTokenizer

    def __init__(self, tokenizer, num_choices=2, sequence_length=128, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_choices, int) or num_choices < 2:
            raise ElectraError(f"`num_choices` must be an int >= 2. Received: {num_choices!r}.")
        check_sequence_length(sequence_length, 3, "[CLS] and two [SEP]")
        self.tokenizer = tokenizer
        self.num_choices = num_choices
        self.sequence_length = sequence_length
        self.packer = None

    def build(self, input_shape):
        self.packer = ElectraPacker.for_tokenizer(self.tokenizer, self.sequence_length)
        self.built = True

    def call(self, x, y=None, sample_weight=None):
        if isinstance(x, dict):
            return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)
        if not isinstance(x, (tuple, list)) or len(x) != 2:
            raise ElectraError(
                "ElectraMultipleChoicePreprocessor expects `(contexts, choices)`: "
                "a list of strings and a list of choice lists."
            )
        contexts, choices = list(x[0]), list(x[1])
        if isinstance(x[0], str):
            contexts, choices = [x[0]], [x[1]]
        if not contexts:  # raised from `call`: Keras adds the layer name
            raise ElectraError(
                f"{type(self).__name__} received an empty batch (no contexts). Pass "
                "at least one `(context, choices)` example."
            )
        if len(contexts) != len(choices):
            raise ElectraError(f"Got {len(contexts)} contexts but {len(choices)} choice lists.")
        for index, options in enumerate(choices):
            if len(options) != self.num_choices:
                raise ElectraError(
                    f"Example {index} has {len(options)} choices; this "
                    f"preprocessor packs num_choices={self.num_choices}."
                )
        first = [c for c in contexts for _ in range(self.num_choices)]
        second = [str(o) for options in choices for o in options]
        token_ids, segment_ids = self.packer.pack_host(
            (self.tokenizer(first), self.tokenizer(second))
        )
        shape = (len(contexts), self.num_choices, self.sequence_length)
        token_ids = np.asarray(token_ids).astype("int32").reshape(shape)
        features = {
            "token_ids": token_ids,
            "segment_ids": np.asarray(segment_ids).astype("int32").reshape(shape),
            "padding_mask": (token_ids != self.tokenizer.pad_token_id).astype("int32"),
        }
        if y is not None:
            y = np.asarray(y, "int32").reshape(-1)
            if y.shape[0] != len(contexts):
                raise ElectraError(f"Got {y.shape[0]} labels for {len(contexts)} examples.")
        return keras.utils.pack_x_y_sample_weight(features, y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_choices": self.num_choices, "sequence_length": self.sequence_length}
        )
        return config
