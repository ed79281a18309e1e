"""ELECTRA pretraining examples from raw text, as the original `build_pretraining_dataset.py`."""

import random

from keras_electra.data.text_files import read_lines
from keras_electra.errors import ElectraError


class ExampleBuilder:
    """Packs tokenized sentences into pretraining examples, ELECTRA's way.

    Follows `ExampleBuilder` of google-research/electra's
    `build_pretraining_dataset.py`, including the order of its random draws:

    - Input is one sentence per line; a blank line ends a document, and the
      sentences gathered so far become an example. Examples never cross
      documents.
    - Sentences are gathered until they reach the target length, which is
      `max_seq_length`; after each example there is a 5% chance the next target
      is `randint(5, max_seq_length)`.
    - 10% of examples are single-segment. Otherwise segment A aims for
      `(target - 3) // 2` tokens: a sentence joins A if A is empty, if it keeps
      A under that length, or with probability 1/2 when it would put A over
      while B is still empty and A is still under; every other sentence goes
      to B.
    - A is cut to `max_seq_length - 2` tokens and B to what is left after
      [CLS] A [SEP] ... [SEP]; the cut tokens are dropped.

    Args:
        tokenize: callable, `str -> list[int]` (no special tokens).
        max_seq_length: int. Length of every example (padded).
        rng: `random.Random`, or an int seed.
        cls_id, sep_id, pad_id: ids of [CLS], [SEP] and [PAD] (2, 3, 0 in
            ELECTRA vocabularies made by `train_vocabulary`).

    Example:
    ```python
    builder = ExampleBuilder(lambda s: [5] * len(s.split()), 16, rng=0)
    examples = [e for line in ["a b c", "d e", ""] if (e := builder.add_line(line))]
    examples[0]["token_ids"]  # [2, 5, 5, 5, 3, 5, 5, 3, 0, ...] or one segment
    ```
    """

    def __init__(self, tokenize, max_seq_length, rng=0, cls_id=2, sep_id=3, pad_id=0):
        if max_seq_length < 5:
            raise ElectraError(f"max_seq_length must be at least 5, got {max_seq_length}.")
        self.tokenize = tokenize
        self.max_seq_length = max_seq_length
        self.rng = rng if isinstance(rng, random.Random) else random.Random(rng)
        self.cls_id, self.sep_id, self.pad_id = cls_id, sep_id, pad_id
        self._sentences = []
        self._length = 0
        self._target_length = max_seq_length

    def add_line(self, line):
        """Adds a line of text; returns a finished example or None."""
        line = line.strip().replace("\n", " ")
        if not line:
            return self.end_document()
        return self.add_sentence(self.tokenize(line))

    def add_sentence(self, token_ids):
        """Adds a tokenized sentence; returns a finished example or None."""
        token_ids = list(token_ids)
        if token_ids:  # the original appends empty sentences too; they change nothing
            self._sentences.append(token_ids)
            self._length += len(token_ids)
        if self._length >= self._target_length:
            return self._create_example()
        return None

    def end_document(self):
        """Ends the document; returns the example of its last sentences, or None."""
        if self._length != 0:
            return self._create_example()
        return None

    def _create_example(self):
        rng = self.rng
        if rng.random() < 0.1:
            first_target = 100000  # single segment, as in classification tasks
        else:
            first_target = (self._target_length - 3) // 2  # room for [CLS] [SEP] [SEP]
        first, second = [], []
        for sentence in self._sentences:
            if (not first
                    or len(first) + len(sentence) < first_target
                    or (not second and len(first) < first_target and rng.random() < 0.5)):
                first += sentence
            else:
                second += sentence
        first = first[: self.max_seq_length - 2]
        second = second[: max(0, self.max_seq_length - len(first) - 3)]

        self._sentences = []
        self._length = 0
        if rng.random() < 0.05:
            self._target_length = rng.randint(5, self.max_seq_length)
        else:
            self._target_length = self.max_seq_length
        return self._pack(first, second)

    def _pack(self, first, second):
        token_ids = [self.cls_id] + first + [self.sep_id]
        segment_ids = [0] * len(token_ids)
        if second:
            token_ids += second + [self.sep_id]
            segment_ids += [1] * (len(second) + 1)
        padding = self.max_seq_length - len(token_ids)
        return {
            "token_ids": token_ids + [self.pad_id] * padding,
            "segment_ids": segment_ids + [0] * padding,
            "padding_mask": [1] * len(token_ids) + [0] * padding,
        }


def unit_rng(seed, unit_index):
    """The random stream of one work unit: fixed by (seed, unit), not by worker."""
    return random.Random(f"keras-electra-data:{seed}:{unit_index}")


def build_examples(lines, tokenize, max_seq_length, rng=0, cls_id=2, sep_id=3, pad_id=0):
    """Yields the pretraining examples of an iterable of lines.

    The end of `lines` ends a document. Each example is a dict of
    `token_ids`, `segment_ids` and `padding_mask`, lists of `max_seq_length`
    ints. See `ExampleBuilder` for the rules.

    Example:
    ```python
    lines = ["The cat sat.", "It purred.", "", "A new document."]
    for example in build_examples(lines, tokenize, 128, rng=0):
        print(example["token_ids"][:10])
    ```
    """
    builder = ExampleBuilder(tokenize, max_seq_length, rng, cls_id, sep_id, pad_id)
    for line in lines:
        example = builder.add_line(line)
        if example:
            yield example
    example = builder.end_document()
    if example:
        yield example


def build_unit_examples(unit, unit_index, tokenize, max_seq_length, seed, stats=None,
                        cls_id=2, sep_id=3, pad_id=0):
    """Examples of one work unit `(path, start, end)` of a text file."""
    path, start, end = unit
    lines = read_lines(path, start, end, stats)
    return build_examples(lines, tokenize, max_seq_length, unit_rng(seed, unit_index),
                          cls_id, sep_id, pad_id)
