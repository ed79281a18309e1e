"""A throwaway vocabulary for demos and tests that have no real vocab.txt."""

import re

from keras_electra.data.vocabulary import SPECIAL_TOKENS


def demo_vocabulary(texts):
    """Special tokens plus every lowercased word and punctuation mark in `texts`.

    Example:
    ```python
    demo_vocabulary(["The fox."])  # ['[PAD]', ..., '[MASK]', '.', 'fox', 'the']
    ```
    """
    words = set()
    for text in texts:
        words.update(re.findall(r"\w+|[^\w\s]", text.lower()))
    return SPECIAL_TOKENS + sorted(words)
