"""SQuAD v1.1 / v2.0 JSON reader, as google-research/electra's qa_tasks.py."""

import dataclasses
import json
import warnings

from keras_electra.data.text_files import open_text_file
from keras_electra.errors import InputFileError


@dataclasses.dataclass
class SquadExample:
    """One SQuAD question over its (whitespace-split) context.

    `doc_tokens` splits the context on whitespace; `char_to_word_offset[c]`
    is the index of the word holding character `c`. `start_position` and
    `end_position` are word indices of the first gold answer, or None when
    the question is unanswerable or the answer can't be found in the context.
    """

    qas_id: str
    question_text: str
    context_text: str
    doc_tokens: list
    char_to_word_offset: list
    answers: list  # all gold answer texts (evaluation)
    orig_answer_text: str = None
    start_position: int = None
    end_position: int = None
    is_impossible: bool = False
    plausible_answers: list = dataclasses.field(default_factory=list)
    answer_found: bool = True
    answer_start_mismatch: bool = False  # `answer_start` does not point at the text

    @property
    def trainable(self):
        """Whether the example has usable training labels."""
        return self.is_impossible or self.answer_found


@dataclasses.dataclass
class SquadDataset:
    """The examples of one SQuAD file, with its raw `data` for the metric."""

    path: str
    version: str
    examples: list
    data: list
    answers_not_found: int = 0
    answer_start_mismatches: int = 0

    @property
    def is_v2(self):
        return self.version.startswith("2")

    def __len__(self):
        return len(self.examples)

    def report(self):
        """One line on what was read."""
        impossible = sum(e.is_impossible for e in self.examples)
        return (
            f"{self.path}: SQuAD v{self.version}, {len(self.examples)} questions "
            f"({impossible} unanswerable), {self.answers_not_found} answers "
            "not found in their context (kept for evaluation, skipped in training; "
            f"{self.answer_start_mismatches} of them with an answer_start that does "
            "not point at the answer text)"
        )


def is_whitespace(c):
    """Whitespace as the original reader defines it (includes U+202F)."""
    return c in " \t\r\n" or ord(c) == 0x202F


def split_context(text):
    """Splits on whitespace; returns `(doc_tokens, char_to_word_offset)`."""
    doc_tokens = []
    char_to_word_offset = []
    prev_is_whitespace = True
    for c in text:
        if is_whitespace(c):
            prev_is_whitespace = True
        else:
            if prev_is_whitespace:
                doc_tokens.append(c)
            else:
                doc_tokens[-1] += c
            prev_is_whitespace = False
        char_to_word_offset.append(len(doc_tokens) - 1)
    return doc_tokens, char_to_word_offset


def answer_start_matches(context, answer_text, answer_start):
    """Whether `context[answer_start:]` starts with `answer_text` exactly."""
    return (
        isinstance(answer_start, int)
        and not isinstance(answer_start, bool)
        and answer_start >= 0
        and bool(answer_text)
        and context[answer_start : answer_start + len(answer_text)] == answer_text
    )


def _locate_answer(answer_text, answer_start, doc_tokens, char_to_word_offset):
    """Word span of an answer, or None when it can't be recovered from the text."""
    if not isinstance(answer_start, int) or answer_start < 0 or not answer_text:
        return None
    end_char = answer_start + len(answer_text) - 1
    if end_char >= len(char_to_word_offset):
        return None
    start = char_to_word_offset[answer_start]
    end = char_to_word_offset[end_char]
    if start < 0:
        return None
    actual = " ".join(doc_tokens[start : end + 1]).lower()
    cleaned = " ".join(answer_text.split()).lower()
    if actual.find(cleaned) == -1:
        return None
    return start, end


def make_example(qa, context, doc_tokens, char_to_word_offset, is_v2):
    """Builds a `SquadExample` from one entry of `paragraph["qas"]`."""
    is_impossible = bool(qa.get("is_impossible", False)) if is_v2 else False
    answers = qa.get("answers") or []
    for answer in list(answers) + list(qa.get("plausible_answers") or []):
        if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
            raise TypeError(f"answer {answer!r} has no 'text' string")
    example = SquadExample(
        qas_id=str(qa["id"]),
        question_text=qa["question"],
        context_text=context,
        doc_tokens=doc_tokens,
        char_to_word_offset=char_to_word_offset,
        answers=[a["text"] for a in answers],
        is_impossible=is_impossible,
        plausible_answers=[a["text"] for a in qa.get("plausible_answers", [])],
    )
    if is_impossible:
        example.orig_answer_text = ""
        return example
    if not answers:
        example.answer_found = False
        return example
    first = answers[0]
    example.orig_answer_text = first["text"]
    if not answer_start_matches(context, first["text"], first.get("answer_start")):
        # Never guess: the words around a wrong offset would widen the span.
        example.answer_found = False
        example.answer_start_mismatch = True
        return example
    span = _locate_answer(
        first["text"], first.get("answer_start"), doc_tokens, char_to_word_offset
    )
    if span is None:
        example.answer_found = False
    else:
        example.start_position, example.end_position = span
    return example


def read_squad(path, version=None, verbose=True):
    """Reads a SQuAD v1.1 or v2.0 JSON file.

    Answers that can't be found in their context are counted in
    `answers_not_found` (and reported), never raised: such questions stay
    for evaluation and are skipped when building training features. An
    answer whose `answer_start` does not point at its text
    (`context[start:start + len(text)] != text`) counts as not found, never
    as the words around the offset; their number is
    `answer_start_mismatches`, with one warning naming the file.

    Args:
        path: path to the official-format JSON file.
        version: `"1.1"` or `"2.0"`; defaults to the file's `version` field
            (a file with `is_impossible` fields counts as 2.0).
        verbose: print the `report()` line and warn on missing answers.

    Returns:
        A `SquadDataset`.

    Raises:
        InputFileError: the file is missing, not UTF-8, not valid JSON or not
            in SQuAD format; the message names the file (and line, or the
            offending question).

    Example:
    ```python
    dataset = read_squad("dev-v1.1.json")
    dataset.examples[0].question_text
    ```
    """
    with open_text_file(path) as f:
        content = f.read()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = content[: e.start].count(b"\n") + 1
        raise InputFileError(
            f"is not UTF-8 text: byte 0x{content[e.start]:02x}", path=path, line=line
        ) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFileError(
            f"not valid JSON ({e.msg}, column {e.colno})", path=path, line=e.lineno
        ) from None
    except RecursionError:
        raise InputFileError("JSON nested too deeply", path=path) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise InputFileError(
            "not a SQuAD file (expected an object with a 'data' list)", path=path
        )
    data = raw["data"]
    if version is None:
        version = str(raw.get("version", "1.1"))
        if _has_impossible(data):
            version = "2.0"
    if version not in ("1.1", "2.0"):
        version = "2.0" if str(version).startswith("2") else "1.1"
    is_v2 = version == "2.0"
    examples = []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(_get_list(article, "paragraphs", path, f"data[{a}]")):
            where = f"data[{a}].paragraphs[{p}]"
            context = _get(paragraph, "context", path, where)
            if not isinstance(context, str):
                raise InputFileError("is not a string", path=path, field=f"{where}.context")
            doc_tokens, char_to_word_offset = split_context(context)
            for q, qa in enumerate(_get_list(paragraph, "qas", path, where)):
                qwhere = f"{where}.qas[{q}]"
                for key in ("id", "question"):
                    _get(qa, key, path, qwhere)
                if not isinstance(qa["question"], str):
                    raise InputFileError("is not a string", path=path, field=f"{qwhere}.question")
                try:
                    examples.append(
                        make_example(qa, context, doc_tokens, char_to_word_offset, is_v2)
                    )
                except (KeyError, TypeError) as e:
                    raise InputFileError(
                        f"malformed question (id {qa.get('id')!r}): {type(e).__name__}: {e}",
                        path=path, field=qwhere,
                    ) from e
    dataset = SquadDataset(
        path=path,
        version=version,
        examples=examples,
        data=data,
        answers_not_found=sum(not e.trainable for e in examples),
        answer_start_mismatches=sum(e.answer_start_mismatch for e in examples),
    )
    if dataset.answer_start_mismatches:
        warnings.warn(
            f"{path}: {dataset.answer_start_mismatches} answer(s) have an answer_start "
            "that does not point at the answer text; those questions are skipped in "
            "training (kept for evaluation).",
            stacklevel=2,
        )
    if verbose:
        print(dataset.report())
        if dataset.answers_not_found:
            warnings.warn(
                f"{path}: {dataset.answers_not_found} answers could not be found "
                "in their context; those questions are skipped in training.",
                stacklevel=2,
            )
    return dataset


def _get(obj, key, path, where):
    if not isinstance(obj, dict) or key not in obj:
        raise InputFileError(f"has no '{key}' field", path=path, field=where)
    return obj[key]


def _get_list(obj, key, path, where):
    value = _get(obj, key, path, where)
    if not isinstance(value, list):
        raise InputFileError(
            f"is not a list (found {type(value).__name__})", path=path, field=f"{where}.{key}"
        )
    return value


def _list_of(obj, key):
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def _has_impossible(data):
    for article in data:
        for paragraph in _list_of(article, "paragraphs"):
            for qa in _list_of(paragraph, "qas"):
                if isinstance(qa, dict) and "is_impossible" in qa:
                    return True
    return False

