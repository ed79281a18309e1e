"""Span decoding: model outputs per window to answer texts in the original context."""

import dataclasses

import numpy as np

from keras_electra.preprocessing.full_tokenizer import basic_tokenize
from keras_electra.tasks.question_answerer_preprocessor import feature_groups

# The original's `qa_na_threshold` on the no-answer logit (SQuAD 2.0).
ORIGINAL_NULL_THRESHOLD = -2.75
# transformers' default `null_score_diff_threshold`.
HF_NULL_THRESHOLD = 0.0


@dataclasses.dataclass
class SquadPredictions:
    """Decoded answers, keyed by question id.

    Attributes:
        answers: the answer text, "" when predicted unanswerable (v2.0 and
            a null score above the threshold).
        best_non_null: the best non-empty answer, whatever the null score
            (what the official v2.0 script takes with `null_scores`).
        null_scores: the null score (higher means more likely no answer);
            empty for v1.1 decoding.
        nbest: the n-best list per question (text, probability, logits).
    """

    answers: dict
    best_non_null: dict
    null_scores: dict
    nbest: dict


def decode_squad_predictions(
    features,
    outputs,
    version_2=False,
    n_best_size=20,
    max_answer_length=30,
    null_score_threshold=None,
):
    """Turns per-window model outputs into answers, as the original scorer.

    Joint outputs (the original head: `start_top_index`, `end_top_index`, ...)
    are decoded from the beam; plain `start_logits`/`end_logits` (the `hf`
    head) from the `n_best_size` best starts and ends. Spans must lie in the
    context, start in a window that gives that token its maximum context,
    end after they start and be at most `max_answer_length` wordpieces long.
    The wordpieces are mapped back to the context's words, then to the exact
    characters of the original text (`get_final_text`).

    For SQuAD 2.0 the null score is the smallest no-answer logit over the
    windows (original head), or `min(start[0] + end[0]) - best span score`
    (`hf` head); the answer is "" when it exceeds `null_score_threshold`
    (defaults: -2.75 original, 0.0 hf).

    Args:
        features: the `QAFeatures` the outputs were computed on.
        outputs: dict of arrays with one row per feature (from `predict`).
        version_2: decode SQuAD 2.0 (allow "no answer").
        n_best_size: candidates kept per question (20).
        max_answer_length: longest answer in wordpieces (30).
        null_score_threshold: see above.

    Returns:
        A `SquadPredictions`.

    Example:
    ```python
    features = qa.preprocessor.featurize(dataset.examples)
    outputs = qa.predict(features.inputs())
    predictions = decode_squad_predictions(features, outputs)
    ```
    """
    outputs = {k: np.asarray(v) for k, v in outputs.items()}
    joint = "start_top_index" in outputs
    if not joint and not {"start_logits", "end_logits"} <= set(outputs):
        raise ValueError(
            "`outputs` must hold 'start_top_index'/'end_top_index' (original "
            "head) or 'start_logits'/'end_logits' (hf head). Received keys: "
            f"{sorted(outputs)}."
        )
    n = len(features.features)
    for key, value in outputs.items():
        if len(value) != n:
            raise ValueError(
                f"outputs[{key!r}] has {len(value)} rows but there are {n} features."
            )
    if null_score_threshold is None:
        null_score_threshold = ORIGINAL_NULL_THRESHOLD if joint else HF_NULL_THRESHOLD
    tokenizer = _final_text_tokenizer(features)
    groups = feature_groups(features.features)
    answers, best_non_null, null_scores, all_nbest = {}, {}, {}, {}
    for example_index, example in enumerate(features.examples):
        prelim = []
        score_null = 1e6
        for feature_index in groups.get(example_index, []):
            feature = features.features[feature_index]
            if version_2:
                if joint and "no_answer_logits" in outputs:
                    null = float(outputs["no_answer_logits"][feature_index])
                else:
                    null = float(
                        outputs["start_logits"][feature_index][0]
                        + outputs["end_logits"][feature_index][0]
                    )
                score_null = min(score_null, null)
            for start, end, start_logit, end_logit in _candidates(
                outputs, feature_index, joint, n_best_size
            ):
                if not _valid_span(feature, start, end, max_answer_length):
                    continue
                prelim.append((feature_index, start, end, start_logit, end_logit))
        prelim.sort(key=lambda p: p[3] + p[4], reverse=True)
        seen, nbest = set(), []
        for feature_index, start, end, start_logit, end_logit in prelim:
            if len(nbest) >= n_best_size:
                break
            feature = features.features[feature_index]
            text = span_text(example, feature, start, end, tokenizer)
            if text in seen:
                continue
            seen.add(text)
            nbest.append((text, start_logit, end_logit))
        if not nbest:
            nbest.append(("empty", 0.0, 0.0))
        scores = np.array([s + e for _, s, e in nbest], "float64")
        probs = np.exp(scores - scores.max())
        probs = probs / probs.sum()
        best = next((entry for entry in nbest if entry[0]), nbest[0])
        qid = example.qas_id
        all_nbest[qid] = [
            {"text": t, "probability": float(p), "start_logit": float(s), "end_logit": float(e)}
            for (t, s, e), p in zip(nbest, probs)
        ]
        best_non_null[qid] = best[0]
        answers[qid] = best[0]
        if version_2:
            diff = score_null if joint and "no_answer_logits" in outputs else (
                score_null - best[1] - best[2]
            )
            null_scores[qid] = float(diff)
            if diff > null_score_threshold:
                answers[qid] = ""
    return SquadPredictions(answers, best_non_null, null_scores, all_nbest)


def _candidates(outputs, i, joint, n_best_size):
    if joint:
        start_index = outputs["start_top_index"][i]
        end_index = outputs["end_top_index"][i]
        start_lp = outputs["start_top_log_probs"][i]
        end_lp = outputs["end_top_log_probs"][i]
        for a, start in enumerate(start_index):
            for b, end in enumerate(end_index[a]):
                yield int(start), int(end), float(start_lp[a]), float(end_lp[a, b])
        return
    start_logits = outputs["start_logits"][i]
    end_logits = outputs["end_logits"][i]
    starts = np.argsort(-start_logits, kind="stable")[:n_best_size]
    ends = np.argsort(-end_logits, kind="stable")[:n_best_size]
    for start in starts:
        for end in ends:
            yield int(start), int(end), float(start_logits[start]), float(end_logits[end])


def _valid_span(feature, start, end, max_answer_length):
    n = len(feature.tokens)
    if start >= n or end >= n or start == 0:
        return False
    if start not in feature.token_to_orig_map or end not in feature.token_to_orig_map:
        return False
    if not feature.token_is_max_context.get(start, False):
        return False
    return start <= end and end - start + 1 <= max_answer_length


def span_text(example, feature, start, end, tokenizer):
    """The original-context text of wordpiece span `[start, end]` of `feature`."""
    tok_text = " ".join(feature.tokens[start : end + 1])
    tok_text = tok_text.replace(" ##", "").replace("##", "")
    tok_text = " ".join(tok_text.strip().split())
    orig_start = feature.token_to_orig_map[start]
    orig_end = feature.token_to_orig_map[end]
    orig_text = " ".join(example.doc_tokens[orig_start : orig_end + 1])
    return get_final_text(tok_text, orig_text, tokenizer)


def get_final_text(pred_text, orig_text, basic_tokenize):
    """Projects normalized wordpiece text back onto the original characters.

    E.g. `pred_text="steve smith"`, `orig_text="Steve Smith's"` gives
    `"Steve Smith"`. Falls back to `orig_text` when the alignment fails.
    """

    def strip_spaces(text):
        chars, ns_to_s = [], {}
        for i, c in enumerate(text):
            if c == " ":
                continue
            ns_to_s[len(chars)] = i
            chars.append(c)
        return "".join(chars), ns_to_s

    tok_text = " ".join(basic_tokenize(orig_text))
    start = tok_text.find(pred_text)
    if start == -1:
        return orig_text
    end = start + len(pred_text) - 1
    orig_ns, orig_ns_to_s = strip_spaces(orig_text)
    tok_ns, tok_ns_to_s = strip_spaces(tok_text)
    if len(orig_ns) != len(tok_ns):
        return orig_text
    tok_s_to_ns = {s: ns for ns, s in tok_ns_to_s.items()}
    if start not in tok_s_to_ns or end not in tok_s_to_ns:
        return orig_text
    orig_start = orig_ns_to_s.get(tok_s_to_ns[start])
    orig_end = orig_ns_to_s.get(tok_s_to_ns[end])
    if orig_start is None or orig_end is None:
        return orig_text
    return orig_text[orig_start : orig_end + 1]


def _final_text_tokenizer(features):
    """The original's `BasicTokenizer` with the wordpiece tokenizer's settings."""
    tokenizer = getattr(features, "tokenizer", None)
    lowercase = getattr(tokenizer, "lowercase", True)
    strip_accents = getattr(tokenizer, "strip_accents", lowercase)

    def tokenize(text):
        return basic_tokenize(text, lowercase, strip_accents)

    return tokenize


def gold_outputs(features):
    """Plain logits that put all mass on each feature's gold span (for checks)."""
    n = len(features.features)
    length = max((len(f.token_ids) for f in features.features), default=1)
    start = np.full((n, length), -10.0, "float32")
    end = np.full((n, length), -10.0, "float32")
    for i, f in enumerate(features.features):
        if f.start_position is None:
            raise ValueError(f"feature {i} has no gold span")
        start[i, f.start_position] = 10.0
        end[i, f.end_position] = 10.0
    return {"start_logits": start, "end_logits": end}

