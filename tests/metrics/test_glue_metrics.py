import numpy as np
import pytest

from keras_electra.metrics import accuracy
from keras_electra.metrics import f1
from keras_electra.metrics import glue_metrics
from keras_electra.metrics import matthews_corrcoef
from keras_electra.metrics import pearson
from keras_electra.metrics import spearman

sklearn_metrics = pytest.importorskip("sklearn.metrics")
scipy_stats = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(0)
LABELS = RNG.integers(0, 2, 200)
PREDICTIONS = np.where(RNG.random(200) < 0.7, LABELS, 1 - LABELS)
MULTI_LABELS = RNG.integers(0, 3, 150)
MULTI_PREDICTIONS = np.where(RNG.random(150) < 0.5, MULTI_LABELS, RNG.integers(0, 3, 150))
SCORES = RNG.normal(size=100)
# Ties in both, as STS-B's 0-5 scores have.
ROUNDED_TRUE = np.round(RNG.uniform(0, 5, 100) * 2) / 2
ROUNDED_PRED = np.round(ROUNDED_TRUE + RNG.normal(scale=1.0, size=100))


def test_classification_metrics_match_scikit_learn():
    assert accuracy(LABELS, PREDICTIONS) == pytest.approx(sklearn_metrics.accuracy_score(LABELS, PREDICTIONS))
    assert f1(LABELS, PREDICTIONS) == pytest.approx(sklearn_metrics.f1_score(LABELS, PREDICTIONS))
    assert matthews_corrcoef(LABELS, PREDICTIONS) == pytest.approx(
        sklearn_metrics.matthews_corrcoef(LABELS, PREDICTIONS))
    assert matthews_corrcoef(MULTI_LABELS, MULTI_PREDICTIONS) == pytest.approx(
        sklearn_metrics.matthews_corrcoef(MULTI_LABELS, MULTI_PREDICTIONS))


def test_degenerate_cases_match_scikit_learn():
    constant = np.ones(10, "int64")
    assert matthews_corrcoef(LABELS[:10], constant) == pytest.approx(
        sklearn_metrics.matthews_corrcoef(LABELS[:10], constant))
    assert f1(np.zeros(4), np.zeros(4)) == 0.0


def test_correlations_match_scipy():
    noisy = SCORES + RNG.normal(scale=0.5, size=100)
    assert pearson(SCORES, noisy) == pytest.approx(scipy_stats.pearsonr(SCORES, noisy)[0])
    assert spearman(SCORES, noisy) == pytest.approx(scipy_stats.spearmanr(SCORES, noisy)[0])
    assert spearman(ROUNDED_TRUE, ROUNDED_PRED) == pytest.approx(
        scipy_stats.spearmanr(ROUNDED_TRUE, ROUNDED_PRED)[0])


def test_headline_metric_per_task_is_the_papers():
    # The ELECTRA paper: "Spearman correlation for STS, MCC for CoLA, and
    # accuracy for the other GLUE tasks"; the headline comes first.
    headline = {"cola": "mcc", "sst2": "accuracy", "mrpc": "accuracy", "stsb": "spearman",
                "qqp": "accuracy", "mnli": "accuracy", "qnli": "accuracy", "rte": "accuracy"}
    for task, metric in headline.items():
        labels, predictions = (SCORES, SCORES[::-1]) if task == "stsb" else (LABELS, PREDICTIONS)
        assert next(iter(glue_metrics(task, labels, predictions))) == metric
    assert list(glue_metrics("mrpc", LABELS, PREDICTIONS)) == ["accuracy", "f1"]
    assert list(glue_metrics("sts-b", SCORES, SCORES)) == ["spearman", "pearson"]


def test_metrics_in_percent_as_the_original_scorers():
    # classification_metrics.py: 100 * accuracy, 100 * sklearn MCC, F1 in
    # percent, 100 * scipy pearsonr / spearmanr.
    noisy = SCORES + RNG.normal(scale=0.5, size=100)
    cola = glue_metrics("cola", LABELS, PREDICTIONS)
    assert cola["mcc"] == pytest.approx(100 * sklearn_metrics.matthews_corrcoef(LABELS, PREDICTIONS))
    mrpc = glue_metrics("mrpc", LABELS, PREDICTIONS)
    assert mrpc["accuracy"] == pytest.approx(100 * np.mean(LABELS == PREDICTIONS))
    assert mrpc["f1"] == pytest.approx(100 * sklearn_metrics.f1_score(LABELS, PREDICTIONS))
    assert glue_metrics("mrpc", [1, 0, 1], [1, 1, 1])["f1"] == pytest.approx(80.0)
    # STS-B: the original scores predictions of score / 5 against score / 5.
    sts = glue_metrics("stsb", SCORES / 5, noisy / 5)
    assert sts["spearman"] == pytest.approx(100 * scipy_stats.spearmanr(SCORES, noisy)[0])
    assert sts["pearson"] == pytest.approx(100 * scipy_stats.pearsonr(SCORES, noisy)[0])


def test_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        accuracy([1, 0], [1])
    with pytest.raises(ValueError, match="empty"):
        accuracy([], [])
