"""WordPiece vocabulary training, and a fast tokenize function for a `vocab.txt`."""

import os

from keras_electra.errors import InputFileError
from keras_electra.errors import ElectraError
# ELECTRA's special tokens, with ids 0..4 (the order ElectraTokenizer and the
# demo vocabulary use). The one list: here, below `preprocessing`, because
# `keras_electra.data` must not import the model packages.
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# The original's longest word (`preprocessing.full_tokenizer.MAX_CHARS_PER_WORD`;
# `keras_electra.data` cannot import `preprocessing`, a test checks they agree).
MAX_CHARS_PER_WORD = 200


def check_text_files(paths):
    """Raises `InputFileError` naming the first missing, unreadable, empty or non-text file.

    Every file must be UTF-8 text without NUL bytes; the error names the
    file and line of the first bad byte.
    """
    from keras_electra.data.text_files import check_text_file

    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        raise InputFileError("No input files were given.")
    for path in paths:
        if not os.path.exists(path):
            raise InputFileError(f"Input file not found: {path}")
        if not os.path.isfile(path):
            raise InputFileError(f"Input is not a file: {path}")
        if not os.access(path, os.R_OK):
            raise InputFileError(f"Input file is not readable: {path}")
    if all(os.path.getsize(p) == 0 for p in paths):
        raise InputFileError(f"All input files are empty: {', '.join(paths)}")
    for path in paths:
        check_text_file(path)
    return list(paths)


def train_vocabulary(files, vocabulary_size, out=None, lowercase=True, min_frequency=2,
                     limit_alphabet=1000):
    """Trains a WordPiece vocabulary (BERT/ELECTRA format) on text files.

    Uses the `tokenizers` library's WordPiece trainer (Rust, multi-threaded).
    The text is split like ElectraTokenizer splits it (whitespace, punctuation
    and CJK characters), lowercased and accent-stripped when `lowercase`. The
    vocabulary starts with [PAD], [UNK], [CLS], [SEP], [MASK] (ids 0..4);
    continuation pieces carry the `##` prefix.

    Args:
        files: list of text file paths.
        vocabulary_size: int. Size of the vocabulary, special tokens included.
            The result is smaller when the corpus has fewer distinct pieces.
        out: str or None. Where to write `vocab.txt` (one token per line).
        lowercase: bool. Uncased (True, as the public ELECTRA models) or cased.
        min_frequency: int. Pieces seen fewer times are not merged.
        limit_alphabet: int. Most distinct characters kept as single pieces.

    Returns:
        The vocabulary, a list of tokens in id order.

    Example:
    ```python
    corpus = stdlib_docstring_corpus(max_files=20)
    vocab = train_vocabulary([corpus], 2000, out="vocab.txt")
    tokenizer = ElectraTokenizer(vocabulary="vocab.txt")
    ```
    """
    from tokenizers import BertWordPieceTokenizer

    files = check_text_files(files)
    if vocabulary_size < len(SPECIAL_TOKENS) + 1:
        raise ElectraError(
            f"vocabulary_size must be more than {len(SPECIAL_TOKENS)} (the special tokens), "
            f"got {vocabulary_size}."
        )
    tokenizer = BertWordPieceTokenizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=lowercase,
        lowercase=lowercase,
    )
    tokenizer.train(
        files, vocab_size=vocabulary_size, min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS, limit_alphabet=limit_alphabet,
        wordpieces_prefix="##", show_progress=False,
    )
    vocab = tokenizer.get_vocab()
    tokens = sorted(vocab, key=vocab.get)
    if tokens[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
        raise RuntimeError(f"Unexpected special token order: {tokens[:5]}")
    if len(tokens) == len(SPECIAL_TOKENS):
        raise ElectraError(f"The corpus has no text to learn from: {', '.join(files)}")
    if out:
        write_vocabulary(tokens, out)
    return tokens


def write_vocabulary(tokens, path):
    """Writes `tokens` to `path`, one per line (the `vocab.txt` format)."""
    bad = [t for t in tokens if not t or "\n" in t or t != t.strip()]
    if bad:
        raise ElectraError(f"Tokens cannot be written one per line: {bad[:5]}")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")


def read_vocabulary(path):
    """Reads a `vocab.txt` and checks it has ELECTRA's special tokens."""
    if not os.path.isfile(path):
        raise ElectraError(f"Vocabulary file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f]
    except UnicodeDecodeError as e:
        raise ElectraError(f"Vocabulary file {path} is not UTF-8: {e}") from e
    while tokens and not tokens[-1]:
        tokens.pop()
    missing = [t for t in SPECIAL_TOKENS if t not in tokens]
    if missing:
        raise ElectraError(f"Vocabulary file {path} lacks the special tokens {missing}.")
    return tokens


def fast_tokenize_function(vocabulary, lowercase=True):
    """A fast `str -> list[int]` WordPiece function for a `vocab.txt`.

    Built on the `tokenizers` library (Rust), configured as the original
    `FullTokenizer` (words up to 200 characters). It gives the same ids as
    `ElectraTokenizer(vocabulary, lowercase=lowercase)` on ordinary text (the
    tests check this on the standard library's docstrings and on the shared
    evaluation data); it can differ on characters whose Unicode class differs
    between Rust's tables and Python's `unicodedata`. Picklable, so it can be
    sent to worker processes.

    Args:
        vocabulary: path of a `vocab.txt`.
        lowercase: bool. Lowercase and strip accents.

    Returns:
        A callable taking a string and returning a list of token ids.

    Example:
    ```python
    tokenize = fast_tokenize_function("vocab.txt")
    tokenize("The quick brown fox.")
    ```
    """
    return _FastTokenize(vocabulary, lowercase)


class _FastTokenize:
    def __init__(self, vocabulary, lowercase):
        read_vocabulary(vocabulary)
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        self._tokenizer = None

    def _build(self):
        from tokenizers import BertWordPieceTokenizer

        self._tokenizer = BertWordPieceTokenizer(
            self.vocabulary, clean_text=True, handle_chinese_chars=True,
            strip_accents=self.lowercase, lowercase=self.lowercase, unk_token="[UNK]",
            sep_token="[SEP]", cls_token="[CLS]", pad_token="[PAD]", mask_token="[MASK]",
        )
        # The original allows 200 characters a word (tokenizers: 100).
        self._tokenizer.model.max_input_chars_per_word = MAX_CHARS_PER_WORD

    def __call__(self, text):
        if self._tokenizer is None:
            self._build()
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def batch(self, texts):
        """Tokenizes a list of strings (in parallel threads)."""
        if self._tokenizer is None:
            self._build()
        return [e.ids for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)]

    def __getstate__(self):
        return {"vocabulary": self.vocabulary, "lowercase": self.lowercase, "_tokenizer": None}
