"""ElectraTokenizer: the original ELECTRA/BERT tokenization as a keras-hub tokenizer."""

import itertools
import sys

import keras
import numpy as np
from keras_hub.tokenizers import WordPieceTokenizer

from keras_electra.errors import ElectraError
from keras_electra.errors import InputFileError
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.preprocessing.full_tokenizer import FullTokenizer

# keras-hub options this tokenizer cannot honour, with the only value it takes.
FIXED_OPTIONS = {"split": True, "split_on_cjk": True, "special_tokens_in_strings": False}


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraTokenizer(WordPieceTokenizer):
    """WordPiece tokenizer that tokenizes exactly as the original ELECTRA.

    The ids are those of google-research/electra's `FullTokenizer` (the same
    as BERT's; see `keras_electra.preprocessing.full_tokenizer`): control
    characters dropped, every Unicode space separates words, CJK ideographs
    split apart, lowercasing and accent stripping per word (uncased), BERT's
    punctuation split, greedy longest-match WordPiece, and `[UNK]` for words
    over 200 characters. Text that looks like a special token ("[MASK]") is
    split like any other text. Python strings and `tf.data` give the same ids:
    inside a `tf.function` the same Python code runs in a `tf.numpy_function`.
    keras-hub's `WordPieceTokenizer` (NFKC case folding, ASCII-whitespace
    split) is not used for tokenizing; its vocabulary handling, detokenizer and
    saving are.

    The vocabulary must contain [PAD], [UNK], [CLS], [SEP] and [MASK]. The
    public ELECTRA checkpoints use an uncased vocabulary, so `lowercase`
    defaults to True; `strip_accents=None` follows `lowercase`, as in the
    original. `strip_accents=True` with `lowercase=False` strips accents
    without lowercasing (the original ignores `strip_accents` when cased).

    Args:
        vocabulary: list of tokens or path to a `vocab.txt` (one per line).
        lowercase: bool. Lowercase the input. Defaults to True.
        strip_accents: bool or None. Strip accents; None follows `lowercase`.
        **kwargs: passed to `keras_hub.tokenizers.WordPieceTokenizer`
            (`sequence_length`, `dtype`, `oov_token`, `suffix_indicator`).

    Example:
    ```python
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
             "the", "quick", "brown", "fox", "."]
    tokenizer = ElectraTokenizer(vocabulary=vocab)
    tokenizer("The quick brown fox.")  # [5, 6, 7, 8, 9]
    tokenizer.wordpieces("The fox.")  # ['the', 'fox', '.']
    tokenizer.detokenize([5, 6, 7, 8])  # "the quick brown fox"
    ```
    """

    backbone_cls = ElectraBackbone

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """The tokenizer of a preset, as keras-hub's, or of a converted checkpoint.

        A transformers checkpoint directory (or `hf://` handle) gives the
        tokenizer of its `vocab.txt` and `tokenizer_config.json`.

        Example:
        ```python
        tokenizer = ElectraTokenizer.from_preset("./my_electra_preset")
        ```
        """
        from keras_electra.models import preset_loading

        return preset_loading.load_tokenizer(cls, preset, **kwargs)

    def __init__(self, vocabulary=None, lowercase=True, strip_accents=None, **kwargs):
        self._add_special_token("[CLS]", "cls_token")
        self._add_special_token("[SEP]", "sep_token")
        self._add_special_token("[PAD]", "pad_token")
        self._add_special_token("[MASK]", "mask_token")
        self._add_special_token("[UNK]", "unk_token")
        # `start_token` / `end_token` let generic keras-hub packers find them.
        self._add_special_token("[CLS]", "start_token")
        self._add_special_token("[SEP]", "end_token")
        for name, value in FIXED_OPTIONS.items():
            if kwargs.get(name, value) != value:
                raise ElectraError(
                    f"ElectraTokenizer tokenizes as the original ELECTRA and takes only "
                    f"`{name}={value}`. Received: {name}={kwargs[name]!r}."
                )
        self.strip_accents_arg = strip_accents
        self._full_tokenizer = None
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
            self._full_tokenizer = self._make_full_tokenizer()
            return
        if isinstance(vocabulary, str):
            raise InputFileError(
                f"Could not use the vocabulary file: {reason}", path=vocabulary
            ) from error
        raise ElectraError(f"Could not use the vocabulary: {reason}") from error

    def _make_full_tokenizer(self):
        if getattr(self, "vocabulary", None) is None:
            return None
        return FullTokenizer(
            self._token_to_id_map,
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            unk_token=self.oov_token,
            suffix_indicator=self.suffix_indicator,
        )

    def wordpieces(self, text):
        """The wordpiece strings of one text (the original's `FullTokenizer.tokenize`).

        Args:
            text: str, or UTF-8 bytes (undecodable bytes are dropped, as in
                the original).

        Returns:
            A list of strings.
        """
        self._check_vocabulary()
        return self._full_tokenizer.tokenize(text)

    def basic_tokenize(self, text):
        """The words of one text before WordPiece (the original's `BasicTokenizer`)."""
        self._check_vocabulary()
        return self._full_tokenizer.basic_tokenize(text)

    def tokenize(self, inputs):
        self._check_vocabulary()
        if _in_tf_graph():
            return self._tokenize_graph(inputs)
        return self._tokenize_eager(inputs)

    def _row(self, text):
        """Ids (or strings, for a string dtype) of one text."""
        if not isinstance(text, (str, bytes)):
            raise ElectraError(
                f"ElectraTokenizer takes strings. Received an element of type "
                f"{type(text).__name__}: {text!r:.80}"
            )
        if self.compute_dtype == "string":
            return self._full_tokenizer.tokenize(text)
        return self._full_tokenizer.token_ids(text)

    def _fit_length(self, row):
        if not self.sequence_length:
            return row
        pad = "" if self.compute_dtype == "string" else 0
        return row[: self.sequence_length] + [pad] * (self.sequence_length - len(row))

    def _tokenize_eager(self, inputs):
        """Python strings, lists (nested too), NumPy arrays or eager tensors."""
        tf = sys.modules.get("tensorflow")
        if tf is not None and isinstance(inputs, tf.RaggedTensor):
            inputs = inputs.to_list()
        elif tf is not None and isinstance(inputs, tf.Tensor):
            inputs = inputs.numpy()
        if isinstance(inputs, np.ndarray):
            inputs = inputs.item() if inputs.ndim == 0 else inputs.tolist()
        is_int = self.compute_dtype != "string"
        if isinstance(inputs, (str, bytes)):
            row = self._fit_length(self._row(inputs))
            return np.array(row, self.compute_dtype) if is_int else row
        if not isinstance(inputs, (list, tuple)):
            return self._row(inputs)  # raises the error for a non-string
        if any(isinstance(x, (list, tuple, np.ndarray)) for x in inputs):
            rows = [self._tokenize_eager(x) for x in inputs]
            if is_int and self.sequence_length and len({np.shape(r) for r in rows}) == 1:
                return np.stack(rows).astype(self.compute_dtype)
            return rows
        rows = [self._fit_length(self._row(x)) for x in inputs]
        if is_int and self.sequence_length:
            return np.array(rows, self.compute_dtype).reshape(len(rows), self.sequence_length)
        return rows

    def _tokenize_graph(self, inputs):
        """Inside `tf.function` / `tf.data`: the Python tokenizer in a numpy_function."""
        import tensorflow as tf

        if not isinstance(inputs, (tf.Tensor, tf.RaggedTensor)):
            inputs = tf.convert_to_tensor(inputs)
        unbatched = isinstance(inputs, tf.Tensor) and inputs.shape.rank == 0
        if isinstance(inputs, tf.RaggedTensor):
            tokens = inputs.with_flat_values(self._graph_rows(inputs.flat_values))
        elif inputs.shape.rank in (0, 1):
            tokens = self._graph_rows(tf.reshape(inputs, [-1]))
        else:
            ragged = tf.RaggedTensor.from_tensor(inputs, ragged_rank=inputs.shape.rank - 1)
            tokens = ragged.with_flat_values(self._graph_rows(ragged.flat_values))
        if self.sequence_length:
            shape = tokens.shape.as_list()
            shape[-1] = self.sequence_length
            tokens = tokens.to_tensor(shape=shape)
        if unbatched:
            tokens = tokens[0]
        return tokens

    def _graph_rows(self, strings):
        """A ragged `[len(strings), None]` tensor of the tokens of 1-D `strings`."""
        import tensorflow as tf

        dtype = tf.as_dtype(self.compute_dtype)
        flat, lengths = tf.numpy_function(
            self._numpy_rows, [strings], [dtype, tf.int64], stateful=False
        )
        flat.set_shape([None])
        lengths.set_shape(strings.shape)
        return tf.RaggedTensor.from_row_lengths(flat, lengths, validate=False)

    def _numpy_rows(self, strings):
        rows = [self._row(bytes(s)) for s in strings]
        lengths = np.array([len(r) for r in rows], np.int64)
        if self.compute_dtype == "string":
            pieces = [p.encode("utf-8") for p in itertools.chain.from_iterable(rows)]
            return np.array(pieces, dtype=object), lengths
        flat = itertools.chain.from_iterable(rows)
        return np.fromiter(flat, self.compute_dtype, count=int(lengths.sum())), lengths

    def get_config(self):
        config = super().get_config()
        config["strip_accents"] = self.strip_accents_arg
        return config


def _in_tf_graph():
    """Whether a `tf.function` or `tf.data` graph is being traced."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and not tf.executing_eagerly()
