"""FullTokenizer: the original ELECTRA/BERT tokenization, in pure Python.

A re-implementation of google-research/electra's `model/tokenization.py`
(`BasicTokenizer` + `WordpieceTokenizer`, the same as BERT's), character for
character: control characters, U+0000 and U+FFFD are dropped; Unicode `Zs`
spaces, tab, newline and carriage return become spaces; CJK ideographs are
split apart; the text is split with `str.split()`; each word is lowercased
and stripped of `Mn` marks after NFD (uncased), split on punctuation (ASCII
symbols and Unicode `P*`), and cut into wordpieces greedily, longest match
first; a word longer than 200 characters, or with no wordpiece cover, is
`[UNK]`. Character classes come from Python's `unicodedata`, as in the original.

Only speed differs from the original: characters and whitespace-separated
words are memoized, and ASCII text takes a `str.translate` shortcut.
"""

import unicodedata

# The original's `WordpieceTokenizer(max_input_chars_per_word=200)`.
MAX_CHARS_PER_WORD = 200
# Words memoized per tokenizer before the memo is cleared.
WORD_CACHE_SIZE = 1 << 17

# ASCII: control characters other than \t \n \r are dropped, those three and
# the space become a space (`_clean_text`); nothing ASCII is CJK.
_ASCII_TABLE = {cp: None for cp in list(range(32)) + [127]}
_ASCII_TABLE.update({ord("\t"): " ", ord("\n"): " ", ord("\r"): " "})


def is_whitespace(char):
    """The original's `_is_whitespace`: space, \\t, \\n, \\r or category Zs."""
    if char in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(char) == "Zs"


def is_control(char):
    """The original's `_is_control`: category C* other than \\t, \\n, \\r."""
    if char in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(char).startswith("C")


def is_punctuation(char):
    """The original's `_is_punctuation`: non-alphanumeric ASCII or category P*."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_chinese_char(cp):
    """The original's `_is_chinese_char`: a code point of the CJK ideograph blocks."""
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class _CharTable(dict):
    """`str.translate` table of `_clean_text` then `_tokenize_chinese_chars`."""

    def __missing__(self, cp):
        char = chr(cp)
        if cp == 0 or cp == 0xFFFD or is_control(char):
            out = None
        elif is_whitespace(char):
            out = " "
        elif is_chinese_char(cp):
            out = f" {char} "
        else:
            out = cp
        self[cp] = out
        return out


_CHAR_TABLE = _CharTable()


def to_text(text):
    """The original's `convert_to_unicode`: bytes are UTF-8, bad bytes dropped."""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes):
        return text.decode("utf-8", "ignore")
    raise TypeError(f"Expected a string. Received: {type(text).__name__}.")


def clean_text(text):
    """`_clean_text` and `_tokenize_chinese_chars` of the original, in one pass."""
    if text.isascii():
        return text.translate(_ASCII_TABLE)
    return text.translate(_CHAR_TABLE)


def strip_accents(text):
    """The original's `_run_strip_accents`: NFD, then drop category Mn."""
    text = unicodedata.normalize("NFD", text)
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def split_on_punctuation(text):
    """The original's `_run_split_on_punc`: each punctuation character alone."""
    output = []
    start = 0
    for i, char in enumerate(text):
        if is_punctuation(char):
            if start < i:
                output.append(text[start:i])
            output.append(char)
            start = i + 1
    if start < len(text):
        output.append(text[start:])
    return output


def basic_tokenize(text, lowercase=True, strip_accents_=None):
    """The original's `BasicTokenizer.tokenize`: words and punctuation.

    Args:
        text: str or UTF-8 bytes.
        lowercase: bool. The original's `do_lower_case`.
        strip_accents_: bool or None. Strip accents (NFD, drop Mn); None
            follows `lowercase`, as in the original.

    Returns:
        A list of strings.
    """
    if strip_accents_ is None:
        strip_accents_ = lowercase
    words = []
    for token in clean_text(to_text(text)).split():
        words.extend(normalize_word(token, lowercase, strip_accents_))
    return words


def normalize_word(token, lowercase, strip_accents_):
    """One whitespace-separated token's basic-tokenizer words."""
    if lowercase:
        token = token.lower()
    if strip_accents_:
        token = strip_accents(token)
    # The original joins the pieces with spaces and splits again.
    return [word for piece in split_on_punctuation(token) for word in piece.split()]


class FullTokenizer:
    """The original ELECTRA/BERT `FullTokenizer` (basic tokenizer + WordPiece).

    Gives exactly the wordpieces of google-research/electra's
    `model/tokenization.py`, with Python's Unicode tables. Pure Python, no
    TensorFlow; `ElectraTokenizer` runs it in Python and inside `tf.data`.

    Args:
        vocabulary: dict token -> id, or a list of tokens (id = position).
        lowercase: bool. The original's `do_lower_case`.
        strip_accents: bool or None. None follows `lowercase` (the original).
            `True` with `lowercase=False` strips accents without lowercasing
            (the original ignores it then; transformers does this too).
        unk_token: the token of words without a wordpiece cover.
        suffix_indicator: the prefix of word-continuing wordpieces.
        max_chars_per_word: longer words are `unk_token` (the original: 200).

    Example:
    ```python
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "fox", "##es", "."]
    tokenizer = FullTokenizer(vocab)
    tokenizer.tokenize("The foxes.")  # ['the', 'fox', '##es', '.']
    tokenizer.token_ids("The foxes.")  # [5, 6, 7, 8]
    ```
    """

    def __init__(
        self,
        vocabulary,
        lowercase=True,
        strip_accents=None,
        unk_token="[UNK]",
        suffix_indicator="##",
        max_chars_per_word=MAX_CHARS_PER_WORD,
    ):
        if not isinstance(vocabulary, dict):
            vocabulary = {token: i for i, token in enumerate(vocabulary)}
        if unk_token not in vocabulary:
            raise ValueError(f"The vocabulary lacks the unknown token {unk_token!r}.")
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.unk_token = unk_token
        self.suffix_indicator = suffix_indicator
        self.max_chars_per_word = max_chars_per_word
        self._words = {}

    def wordpieces(self, word):
        """The original's `WordpieceTokenizer` on one word (no whitespace)."""
        if len(word) > self.max_chars_per_word:
            return [self.unk_token]
        vocabulary = self.vocabulary
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            piece = None
            while start < end:
                candidate = word[start:end]
                if start > 0:
                    candidate = self.suffix_indicator + candidate
                if candidate in vocabulary:
                    piece = candidate
                    break
                end -= 1
            if piece is None:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def _token(self, token):
        """Wordpieces of one whitespace-separated token of the cleaned text."""
        pieces = self._words.get(token)
        if pieces is None:
            pieces = []
            for word in normalize_word(token, self.lowercase, self.strip_accents):
                pieces.extend(self.wordpieces(word))
            if len(self._words) >= WORD_CACHE_SIZE:
                self._words.clear()
            self._words[token] = pieces
        return pieces

    def tokenize(self, text):
        """Wordpiece strings of `text` (str, or UTF-8 bytes with bad bytes dropped)."""
        pieces = []
        for token in clean_text(to_text(text)).split():
            pieces.extend(self._token(token))
        return pieces

    def token_ids(self, text):
        """Wordpiece ids of `text`."""
        vocabulary = self.vocabulary
        return [vocabulary[piece] for piece in self.tokenize(text)]

    def basic_tokenize(self, text):
        """The original's `BasicTokenizer.tokenize` with this tokenizer's settings."""
        return basic_tokenize(text, self.lowercase, self.strip_accents)
