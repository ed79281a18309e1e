"""Reader for CoNLL-2000-style column files (one token a line, blank between sentences)."""

import dataclasses


@dataclasses.dataclass
class ConllData:
    """Sentences of a CoNLL file.

    Attributes:
        words: list of word lists.
        tags: list of tag lists (same shape as `words`).
    """

    words: list
    tags: list

    def __len__(self):
        return len(self.words)

    def tag_vocabulary(self):
        """The sorted list of tags seen, for mapping tags to class ids."""
        return sorted({t for sentence in self.tags for t in sentence})

    def tag_ids(self, vocabulary):
        """Tags as ids of `vocabulary`; unknown tags raise `ValueError`."""
        index = {t: i for i, t in enumerate(vocabulary)}
        unknown = sorted({t for s in self.tags for t in s if t not in index})
        if unknown:
            raise ValueError(f"Tags {unknown[:10]} are not in the tag vocabulary {vocabulary}.")
        return [[index[t] for t in sentence] for sentence in self.tags]


def read_conll(path, word_column=0, tag_column=-1, separator=None):
    """Reads a CoNLL column file such as CoNLL-2000 chunking (`word POS tag`).

    Lines are split on whitespace (or `separator`); blank lines end a
    sentence; `-DOCSTART-` lines are skipped, as the original tagging reader
    does.

    Args:
        path: str. The file.
        word_column: int. Column of the word.
        tag_column: int. Column of the tag (default the last).
        separator: optional column separator (default any whitespace).

    Returns:
        `ConllData`.

    Raises:
        ValueError: a line with too few columns, naming file and line.

    Example:
    ```python
    data = read_conll("conll2000/train.txt")
    data.words[0][:3], data.tags[0][:3]  # ['Confidence', 'in', 'the'], ['B-NP', 'B-PP', 'B-NP']
    ```
    """
    needed = max(word_column, tag_column, -1 - word_column, -1 - tag_column) + 1
    if tag_column < 0 or word_column < 0:
        needed = max(needed, 2)
    words, tags, sentence_words, sentence_tags = [], [], [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            columns = line.split(separator) if separator else line.split()
            if separator:
                columns = [c.strip() for c in columns]
            if not columns or columns == [""]:
                if sentence_words:
                    words.append(sentence_words)
                    tags.append(sentence_tags)
                    sentence_words, sentence_tags = [], []
                continue
            if columns[0] == "-DOCSTART-":
                continue
            if len(columns) < needed:
                raise ValueError(
                    f"{path}:{number}: expected at least {needed} columns "
                    f"(word and tag), found {len(columns)}: {line.rstrip()!r}"
                )
            sentence_words.append(columns[word_column])
            sentence_tags.append(columns[tag_column])
    if sentence_words:
        words.append(sentence_words)
        tags.append(sentence_tags)
    return ConllData(words=words, tags=tags)
