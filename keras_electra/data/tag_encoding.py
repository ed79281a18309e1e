"""Chunk tag encodings (BIO, BIOES) as google-research/electra converts them.

The original's tagging tasks (`finetune/tagging/tagging_tasks.py`,
`tagging_utils.py`) train on BIOES tags: the gold BIO tags are read as spans
(`span_labels`) and written back with `tags_from_spans(..., "BIOES")`.
Predictions are read as spans the same way, so `to_bio(predicted_bioes)`
gives the BIO tags whose conlleval chunks are the original's predicted spans.
"""

TAG_ENCODINGS = ("BIO", "BIOES")


def span_labels(tags):
    """Spans `(start, end, type)` (end inclusive) of a tag sequence, as the original.

    `tagging_utils.get_span_labels`: a span ends before a `B-`, `S-` or `O`
    tag, and starts at `B-`/`S-` or after an `O`; an `E-` tag does not end
    a span by itself, and a type change inside a span does not split it.

    Example:
    ```python
    span_labels(["B-NP", "E-NP", "S-VP", "O"])  # [(0, 1, "NP"), (2, 2, "VP")]
    ```
    """
    tags = list(tags)
    spans = []
    last = "O"
    start = -1
    for i, tag in enumerate(tags):
        position = None if tag == "O" else tag.split("-")[0]
        if (position in ("S", "B") or tag == "O") and last != "O":
            spans.append((start, i - 1, last.split("-")[-1]))
        if position in ("B", "S") or last == "O":
            start = i
        last = tag
    if tags and tags[-1] != "O":
        spans.append((start, len(tags) - 1, tags[-1].split("-")[-1]))
    return spans


def tags_from_spans(spans, length, encoding="BIOES"):
    """Tags of `length` tokens for `spans`, in `encoding` (`tagging_utils.get_tags`).

    Example:
    ```python
    tags_from_spans([(0, 1, "NP"), (2, 2, "VP")], 4)  # ["B-NP", "E-NP", "S-VP", "O"]
    ```
    """
    if encoding not in TAG_ENCODINGS:
        raise ValueError(f"`encoding` must be one of {TAG_ENCODINGS}. Received: {encoding!r}.")
    tags = ["O"] * length
    for start, end, kind in spans:
        for i in range(start, end + 1):
            tags[i] = "I-" + kind
        if "E" in encoding:
            tags[end] = "E-" + kind
        tags[start] = "B-" + kind
        if "S" in encoding and start == end:
            tags[start] = "S-" + kind
    return tags


def to_bioes(tags):
    """BIO (or any) tags -> the original's BIOES training tags."""
    return tags_from_spans(span_labels(tags), len(tags), "BIOES")


def to_bio(tags):
    """BIOES (or any) tags -> BIO tags of the same spans, for conlleval scoring."""
    return tags_from_spans(span_labels(tags), len(tags), "BIO")


def tag_vocabulary(*tag_sets, encoding="BIOES"):
    """The sorted label map of the original: tags of every set, in `encoding`.

    The original builds it from the train, dev and test files together.

    Args:
        *tag_sets: lists of tag lists (one per sentence), e.g. train and dev.
        encoding: "BIOES" (the original's) or "BIO" (tags as read).

    Example:
    ```python
    tag_vocabulary([["B-NP", "I-NP"]], [["B-VP"]])  # ["B-NP", "E-NP", "S-VP"]
    ```
    """
    convert = to_bioes if encoding == "BIOES" else list
    if encoding not in TAG_ENCODINGS:
        raise ValueError(f"`encoding` must be one of {TAG_ENCODINGS}. Received: {encoding!r}.")
    return sorted({t for tags in tag_sets for sentence in tags for t in convert(sentence)})
