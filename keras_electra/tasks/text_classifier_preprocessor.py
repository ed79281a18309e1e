"""ElectraTextClassifierPreprocessor: text (or text pairs) to backbone inputs."""

import keras
from keras_hub.models import TextClassifierPreprocessor

from keras_electra.models.backbone import ElectraBackbone
from keras_electra.preprocessing.packer import ElectraPacker
from keras_electra.preprocessing.packer import check_not_empty
from keras_electra.preprocessing.packer import check_sequence_length
from keras_electra.models.tokenizer import ElectraTokenizer


def _host_strings(segment):
    """Whether `segment` is a Python string or a list of them."""
    if isinstance(segment, str):
        return True
    return isinstance(segment, list) and all(isinstance(text, str) for text in segment)


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraTextClassifierPreprocessor(TextClassifierPreprocessor):
    """Tokenizes and packs one or two segments as `[CLS] a [SEP] b [SEP]`.

    Returns `{"token_ids", "segment_ids", "padding_mask"}` of length
    `sequence_length` (plus labels and sample weights when given, untouched).
    A dict with `token_ids` is taken as packed already and passed through.
    Works on Python strings and lists without TensorFlow, and inside
    `tf.data`, batched or unbatched.

    Args:
        tokenizer: an `ElectraTokenizer`.
        sequence_length: int. Output length. Defaults to 512.
        truncate: `"longest_first"` (default, as the original ELECTRA),
            `"round_robin"` or `"waterfall"`.

    Example:
    ```python
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
             "the", "quick", "brown", "fox", "."]
    tokenizer = ElectraTokenizer(vocabulary=vocab)
    preprocessor = ElectraTextClassifierPreprocessor(tokenizer, sequence_length=8)
    preprocessor("The quick fox.")
    # A pair (pass pairs as `x=` so they are not read as (x, y)):
    preprocessor(x=(["The fox."], ["The brown fox."]))
    ```
    """

    backbone_cls = ElectraBackbone
    tokenizer_cls = ElectraTokenizer

    def __init__(self, tokenizer, sequence_length=512, truncate="longest_first", **kwargs):
        check_sequence_length(sequence_length, 2)
        super().__init__(
            tokenizer=tokenizer,
            sequence_length=sequence_length,
            truncate=truncate,
            **kwargs,
        )

    def build(self, input_shape):
        # Skip the keras-hub base build, which makes a packer without "longest_first".
        self.packer = ElectraPacker.for_tokenizer(
            self.tokenizer, self.sequence_length, truncate=self.truncate
        )
        self.built = True

    def call(self, x, y=None, sample_weight=None):
        # Features packed already (a dict of token ids) pass through, so a task's
        # `fit`/`evaluate`/`predict` on them does not tokenize ids a second time.
        if isinstance(x, dict) and "token_ids" in x:
            return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)
        check_sequence_length(self.sequence_length, 2)
        segments = x if isinstance(x, tuple) else (x,)
        if not all(_host_strings(segment) for segment in segments):
            return super().call(x, y, sample_weight)  # tensors, `tf.data`
        # keras-hub's Python path, with the packer's host fast path.
        token_ids, segment_ids = self.packer.pack_host(
            tuple(self.tokenizer(segment) for segment in segments))
        x = {
            "token_ids": token_ids,
            "padding_mask": token_ids != self.tokenizer.pad_token_id,
            "segment_ids": segment_ids,
        }
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def __call__(self, *args, **kwargs):
        # Here, not in `call`, so that Keras does not wrap the error's message.
        x = args[0] if args else kwargs.get("x")
        if not isinstance(x, dict):
            check_not_empty(x, type(self).__name__)
        return super().__call__(*args, **kwargs)
