"""ElectraTokenizer: the WordPiece tokenizer of ELECTRA, on keras-hub's WordPieceTokenizer."""

import keras
from keras_hub.tokenizers import WordPieceTokenizer

from keras_electra.errors import ElectraError
from keras_electra.errors import InputFileError
from keras_electra.models.backbone import ElectraBackbone

@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraTokenizer(WordPieceTokenizer):
    """WordPiece tokenizer with ELECTRA's special tokens.

    Splits on whitespace and punctuation (BERT's basic tokenizer), then applies
    greedy longest-match WordPiece. Works on Python strings without TensorFlow
    and inside `tf.data` (TensorFlow Text), with the same ids.

    The vocabulary must contain [PAD], [UNK], [CLS], [SEP] and [MASK]. The
    public ELECTRA checkpoints use an uncased vocabulary, so `lowercase`
    defaults to True; `strip_accents=None` follows `lowercase`, as BERT's and
    transformers' tokenizers do.

    Args:
        vocabulary: list of tokens or path to a `vocab.txt` (one per line).
        lowercase: bool. Lowercase the input. Defaults to True.
        strip_accents: bool or None. Strip accents; None follows `lowercase`.
        **kwargs: passed to `keras_hub.tokenizers.WordPieceTokenizer`.

    Example:
    ```python
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
             "the", "quick", "brown", "fox", "."]
    tokenizer = ElectraTokenizer(vocabulary=vocab)
    tokenizer("The quick brown fox.")  # [5, 6, 7, 8, 9]
    tokenizer.detokenize([5, 6, 7, 8])  # "the quick brown fox"
    ```
    """

    backbone_cls = ElectraBackbone

    def __init__(self, vocabulary=None, lowercase=True, strip_accents=None, **kwargs):
        self._add_special_token("[CLS]", "cls_token")
        self._add_special_token("[SEP]", "sep_token")
        self._add_special_token("[PAD]", "pad_token")
        self._add_special_token("[MASK]", "mask_token")
        self._add_special_token("[UNK]", "unk_token")
        # `start_token` / `end_token` let generic keras-hub packers find them.
        self._add_special_token("[CLS]", "start_token")
        self._add_special_token("[SEP]", "end_token")
        self.strip_accents_arg = strip_accents
        if strip_accents is None:
            strip_accents = lowercase
        super().__init__(
            vocabulary=vocabulary,
            lowercase=lowercase,
            strip_accents=strip_accents,
            **kwargs,
        )

    def set_vocabulary(self, vocabulary):
        try:
            super().set_vocabulary(vocabulary)
            reason = None
        except (OSError, UnicodeDecodeError, ValueError, RuntimeError) as e:
            if isinstance(e, ElectraError):
                raise
            reason, error = str(e), e
        # A repeated token (such as two blank lines) fails in TensorFlow Text
        # with a RuntimeError and is silently shadowed without it: refuse it.
        seen = {}
        unit = "line" if isinstance(vocabulary, str) else "entry"
        for number, token in enumerate(getattr(self, "vocabulary", None) or [], 1):
            if token in seen:
                reason = f"token {token!r} on {unit} {number} repeats {unit} {seen[token]}"
                error = None
                break
            seen[token] = number
        if reason is None:
            return
        if isinstance(vocabulary, str):
            raise InputFileError(
                f"Could not use the vocabulary file: {reason}", path=vocabulary
            ) from error
        raise ElectraError(f"Could not use the vocabulary: {reason}") from error

    def tokenize(self, inputs):
        try:
            return super().tokenize(inputs)
        except UnicodeError as e:  # a lone surrogate, or bytes that are not UTF-8
            raise ElectraError(f"The text to tokenize is not valid Unicode: {e}") from None

    def get_config(self):
        config = super().get_config()
        config["strip_accents"] = self.strip_accents_arg
        return config
