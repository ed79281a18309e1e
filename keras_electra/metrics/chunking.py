"""Span-level chunk F1 with conlleval semantics, for BIO and BIOES tags."""


def _split(tag):
    if tag in ("O", ".", "[", "]") or "-" not in tag:
        return (tag if tag in ("O", ".", "[", "]") else tag[:1] or "O"), ""
    prefix, _, chunk_type = tag.partition("-")
    return prefix, chunk_type


def _end_of_chunk(prev_tag, tag, prev_type, chunk_type):
    """conlleval's `endOfChunk`, with the S/E rules of the BIOES extension."""
    if prev_tag in ("E", "S", "]", "["):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != chunk_type


def _start_of_chunk(prev_tag, tag, prev_type, chunk_type):
    """conlleval's `startOfChunk`, with the S/E rules of the BIOES extension."""
    if tag in ("B", "S", "[", "]"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_type != chunk_type


def chunks(tags):
    """The chunks of one tag sequence as `(type, start, end)` (end exclusive).

    Example:
    ```python
    chunks(["B-NP", "I-NP", "O", "I-VP"])  # [('NP', 0, 2), ('VP', 3, 4)]
    ```
    """
    result = []
    prev_tag, prev_type, start = "O", "", None
    for index, tag in enumerate(list(tags) + ["O"]):
        prefix, chunk_type = _split(tag)
        if start is not None and _end_of_chunk(prev_tag, prefix, prev_type, chunk_type):
            result.append((prev_type, start, index))
            start = None
        if _start_of_chunk(prev_tag, prefix, prev_type, chunk_type):
            start = index
        prev_tag, prev_type = prefix, chunk_type
    return result


def chunk_f1(true_tags, predicted_tags):
    """Chunk precision, recall and F1 (in percent, as conlleval prints them).

    A predicted chunk counts when a true chunk has the same type, start and
    end. Sentences are scored separately (a sentence boundary ends every
    chunk), which is what conlleval does with its blank lines. Works for BIO
    (IOB2 and IOB1, read the conlleval way) and BIOES tags.

    Args:
        true_tags: list of tag lists, one per sentence (or one flat list).
        predicted_tags: same shape as `true_tags`.

    Returns:
        dict with `precision`, `recall`, `f1`, `accuracy` (token level, in
        percent), `true_chunks`, `predicted_chunks`, `correct_chunks` and a
        `per_type` dict of `{type: {precision, recall, f1}}`.

    Example:
    ```python
    chunk_f1([["B-NP", "I-NP", "B-VP"]], [["B-NP", "I-NP", "B-NP"]])["f1"]  # 50.0
    ```
    """
    if true_tags and isinstance(true_tags[0], str):
        true_tags, predicted_tags = [true_tags], [predicted_tags]
    if len(true_tags) != len(predicted_tags):
        raise ValueError(f"Got {len(true_tags)} true and {len(predicted_tags)} predicted sentences.")
    counts = {}
    correct_tokens = total_tokens = 0
    for index, (gold, guess) in enumerate(zip(true_tags, predicted_tags)):
        if len(gold) != len(guess):
            raise ValueError(f"Sentence {index} has {len(gold)} true tags but {len(guess)} predicted.")
        correct_tokens += sum(g == p for g, p in zip(gold, guess))
        total_tokens += len(gold)
        gold_chunks, guess_chunks = set(chunks(gold)), set(chunks(guess))
        for kind, chunk_set in (("true", gold_chunks), ("predicted", guess_chunks),
                                ("correct", gold_chunks & guess_chunks)):
            for chunk_type, _, _ in chunk_set:
                per = counts.setdefault(chunk_type, {"true": 0, "predicted": 0, "correct": 0})
                per[kind] += 1
    totals = {k: sum(c[k] for c in counts.values()) for k in ("true", "predicted", "correct")}
    result = _scores(totals)
    result.update({
        "accuracy": 100.0 * correct_tokens / total_tokens if total_tokens else 0.0,
        "true_chunks": totals["true"],
        "predicted_chunks": totals["predicted"],
        "correct_chunks": totals["correct"],
        "per_type": {t: _scores(c) for t, c in sorted(counts.items())},
    })
    return result


def _scores(counts):
    precision = 100.0 * counts["correct"] / counts["predicted"] if counts["predicted"] else 0.0
    recall = 100.0 * counts["correct"] / counts["true"] if counts["true"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
