"""SQuAD exact match and F1, as the official v1.1 and v2.0 evaluation scripts."""

import collections
import re
import string

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s):
    """Lowercases, drops punctuation and articles, and squeezes whitespace."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCTUATION)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def _f1(prediction_tokens, gold_tokens):
    common = collections.Counter(prediction_tokens) & collections.Counter(gold_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(prediction_tokens)
    recall = num_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


# --- v1.1 -----------------------------------------------------------------


def exact_match_v1(prediction, ground_truth):
    """1.0 when the normalized strings are equal (v1.1 script)."""
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def f1_v1(prediction, ground_truth):
    """Token F1 of the normalized strings (v1.1: empty answers score 0)."""
    return _f1(normalize_answer(prediction).split(), normalize_answer(ground_truth).split())


def squad_v1_evaluate(data, predictions, verbose=False):
    """The official v1.1 script's `evaluate` on the file's `data` list.

    Questions without a prediction score 0 (and are counted in
    `missing`).

    Example:
    ```python
    squad_v1_evaluate(dataset.data, {"56be4db0acb8001400a502ec": "Denver Broncos"})
    ```
    """
    f1 = exact = total = missing = 0
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                total += 1
                if qa["id"] not in predictions:
                    missing += 1
                    continue
                golds = [a["text"] for a in qa["answers"]]
                prediction = predictions[qa["id"]]
                exact += max(exact_match_v1(prediction, g) for g in golds)
                f1 += max(f1_v1(prediction, g) for g in golds)
    if verbose and missing:
        print(f"{missing} unanswered questions receive score 0.")
    return {
        "exact_match": 100.0 * exact / total,
        "f1": 100.0 * f1 / total,
        "total": total,
        "missing": missing,
    }


# --- v2.0 -----------------------------------------------------------------


def get_tokens(s):
    if not s:
        return []
    return normalize_answer(s).split()


def compute_exact(a_gold, a_pred):
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold, a_pred):
    """v2.0 F1: when either side is empty, 1 if both are, else 0."""
    gold_toks, pred_toks = get_tokens(a_gold), get_tokens(a_pred)
    if not gold_toks or not pred_toks:
        return int(gold_toks == pred_toks)
    return _f1(pred_toks, gold_toks)


def _qid_to_has_ans(data):
    return {
        qa["id"]: bool(qa["answers"])
        for article in data
        for p in article["paragraphs"]
        for qa in p["qas"]
    }


def _raw_scores(data, predictions):
    exact, f1 = {}, {}
    for article in data:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                qid = qa["id"]
                golds = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])]
                golds = golds or [""]
                if qid not in predictions:
                    continue
                pred = predictions[qid]
                exact[qid] = max(compute_exact(a, pred) for a in golds)
                f1[qid] = max(compute_f1(a, pred) for a in golds)
    return exact, f1


def _apply_threshold(scores, na_probs, has_ans, threshold):
    return {
        qid: float(not has_ans[qid]) if na_probs[qid] > threshold else s
        for qid, s in scores.items()
    }


def _eval_dict(exact, f1, qids=None):
    qids = list(exact) if not qids else qids
    total = len(qids)
    return collections.OrderedDict(
        [
            ("exact", 100.0 * sum(exact[k] for k in qids) / total),
            ("f1", 100.0 * sum(f1[k] for k in qids) / total),
            ("total", total),
        ]
    )


def _best_threshold(predictions, scores, na_probs, has_ans):
    num_no_ans = sum(1 for k in has_ans if not has_ans[k])
    cur = best = num_no_ans
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if has_ans[qid]:
            diff = scores[qid]
        else:
            diff = -1 if predictions[qid] else 0
        cur += diff
        if cur > best:
            best = cur
            best_thresh = na_probs[qid]
    return 100.0 * best / len(scores), best_thresh


def squad_v2_evaluate(data, predictions, na_probs=None, na_prob_thresh=1.0):
    """The official v2.0 script on the file's `data` list.

    Args:
        data: the SQuAD file's `data` list.
        predictions: question id to predicted text ("" for no answer).
        na_probs: question id to a no-answer score (e.g. the decoder's
            `null_scores`); with it, a prediction counts as "no answer" when
            its score exceeds `na_prob_thresh`, and `best_exact`/`best_f1`
            with their thresholds are added.
        na_prob_thresh: see `na_probs` (the script's default is 1.0).

    Returns:
        An ordered dict with `exact`, `f1`, `total`, `HasAns_*`, `NoAns_*`
        and, with `na_probs`, `best_exact`, `best_exact_thresh`, `best_f1`,
        `best_f1_thresh`.
    """
    has_ans = _qid_to_has_ans(data)
    has_qids = [k for k, v in has_ans.items() if v]
    no_qids = [k for k, v in has_ans.items() if not v]
    exact_raw, f1_raw = _raw_scores(data, predictions)
    if not exact_raw:
        raise ValueError("No predictions for any question of the dataset.")
    probs = na_probs if na_probs is not None else {k: 0.0 for k in predictions}
    exact = _apply_threshold(exact_raw, probs, has_ans, na_prob_thresh)
    f1 = _apply_threshold(f1_raw, probs, has_ans, na_prob_thresh)
    out = _eval_dict(exact, f1)
    for prefix, qids in (("HasAns", has_qids), ("NoAns", no_qids)):
        if qids:
            for k, v in _eval_dict(exact, f1, qids).items():
                out[f"{prefix}_{k}"] = v
    if na_probs is not None:
        out["best_exact"], out["best_exact_thresh"] = _best_threshold(
            predictions, exact_raw, na_probs, has_ans
        )
        out["best_f1"], out["best_f1_thresh"] = _best_threshold(
            predictions, f1_raw, na_probs, has_ans
        )
    return out


def squad_evaluate(data, predictions, version="1.1", na_probs=None, na_prob_thresh=1.0):
    """Dispatches to `squad_v1_evaluate` or `squad_v2_evaluate` by `version`."""
    if str(version).startswith("2"):
        return dict(squad_v2_evaluate(data, predictions, na_probs, na_prob_thresh))
    return squad_v1_evaluate(data, predictions)
