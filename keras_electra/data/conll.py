"""Reader for CoNLL-2000-style column files (one token a line, blank between sentences)."""

import dataclasses

from keras_electra.data.text_files import no_examples
from keras_electra.data.text_files import text_lines
from keras_electra.errors import InputFileError


@dataclasses.dataclass
class ConllData:
    """Sentences of a CoNLL file.

    Attributes:
        words: list of word lists.
        tags: list of tag lists (same shape as `words`).
        path: the file read, or None.
        lines: list of line-number lists (same shape as `words`), or None.
    """

    words: list
    tags: list
    path: str = None
    lines: list = None

    def __len__(self):
        return len(self.words)

    def select(self, indices):
        """A `ConllData` of the sentences at `indices`, in that order."""
        indices = [int(i) for i in indices]
        lines = None if self.lines is None else [self.lines[i] for i in indices]
        return dataclasses.replace(self, words=[self.words[i] for i in indices],
                                   tags=[self.tags[i] for i in indices], lines=lines)

    def tag_vocabulary(self):
        """The sorted list of tags seen, for mapping tags to class ids."""
        return sorted({t for sentence in self.tags for t in sentence})

    def tag_ids(self, vocabulary):
        """Tags as ids of `vocabulary`.

        Raises:
            InputFileError: a tag not in `vocabulary` (such as a tag of an
                evaluation file the training file never had), naming the
                file and line of its first use.
        """
        index = {t: i for i, t in enumerate(vocabulary)}
        for s, sentence in enumerate(self.tags):
            for w, tag in enumerate(sentence):
                if tag not in index:
                    unknown = sorted({t for s in self.tags for t in s if t not in index})
                    line = self.lines[s][w] if self.lines is not None else None
                    raise InputFileError(
                        f"tag {tag!r} is not in the tag vocabulary {list(vocabulary)[:20]} "
                        f"(the training data's); unknown tags: {unknown[:10]}",
                        path=self.path, line=line, field="tag",
                    )
        return [[index[t] for t in sentence] for sentence in self.tags]


def read_conll(path, word_column=0, tag_column=-1, separator=None, num_columns=None):
    """Reads a CoNLL column file such as CoNLL-2000 chunking (`word POS tag`).

    Lines are split on whitespace (or `separator`); blank lines end a
    sentence; `-DOCSTART-` lines are skipped, as the original tagging reader
    does. Every other line must have exactly `num_columns` columns (by
    default, as many as the first one), so that a line missing a column
    never passes its POS tag off as the tag.

    Args:
        path: str. The file.
        word_column: int. Column of the word.
        tag_column: int. Column of the tag (default the last).
        separator: optional column separator (default any whitespace).
        num_columns: optional int. The layout's column count (3 for
            CoNLL-2000's `word POS chunk`).

    Returns:
        `ConllData`.

    Raises:
        InputFileError: a file that is not UTF-8 text, a line with another
            column count, or a file without sentences, naming file and line.

    Example:
    ```python
    data = read_conll("conll2000/train.txt", num_columns=3)
    data.words[0][:3], data.tags[0][:3]  # ['Confidence', 'in', 'the'], ['B-NP', 'B-PP', 'B-NP']
    ```
    """
    needed = max(word_column, tag_column, -1 - word_column, -1 - tag_column) + 1
    if tag_column < 0 or word_column < 0:
        needed = max(needed, 2)
    expected, first_line = num_columns, None
    words, tags, lines = [], [], []
    sentence_words, sentence_tags, sentence_lines = [], [], []
    for number, line in text_lines(path):
        columns = line.split(separator) if separator else line.split()
        if separator:
            columns = [c.strip() for c in columns]
        if not columns or all(not c for c in columns):
            if sentence_words:
                words.append(sentence_words)
                tags.append(sentence_tags)
                lines.append(sentence_lines)
                sentence_words, sentence_tags, sentence_lines = [], [], []
            continue
        if columns[0] == "-DOCSTART-":
            continue
        if expected is None:
            expected, first_line = max(len(columns), needed), number
        if len(columns) != expected:
            declared = f"line {first_line} has" if first_line else "the layout has"
            raise InputFileError(
                f"expected {expected} columns ({declared} {expected}; word column "
                f"{word_column}, tag column {tag_column}), found {len(columns)}: "
                f"{line.rstrip()!r}",
                path=path, line=number,
            )
        for name, column in (("word", word_column), ("tag", tag_column)):
            if not columns[column]:  # e.g. two separators in a row
                raise InputFileError(
                    f"empty {name} (column {column}): {line.rstrip()!r}",
                    path=path, line=number, field=name,
                )
        sentence_words.append(columns[word_column])
        sentence_tags.append(columns[tag_column])
        sentence_lines.append(number)
    if sentence_words:
        words.append(sentence_words)
        tags.append(sentence_tags)
        lines.append(sentence_lines)
    if not words:
        raise no_examples(path)
    return ConllData(words=words, tags=tags, path=path, lines=lines)
