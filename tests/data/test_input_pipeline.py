"""Input pipeline settings follow the CPUs this process may use."""

import logging
import os

import pytest

from keras_electra.data import input_pipeline
from keras_electra.data.input_pipeline import cpu_count
from keras_electra.data.input_pipeline import pipeline_settings


@pytest.mark.parametrize("cpus, threads, prefetch", [(1, 1, 2), (2, 1, 2), (3, 1, 2), (8, 4, 4), (64, 32, 32)])
def test_settings_follow_the_affinity_mask(monkeypatch, cpus, threads, prefetch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert cpu_count() == cpus
    assert pipeline_settings() == {"cpus": cpus, "threads": threads, "prefetch": prefetch}
    assert pipeline_settings(cpus=cpus) == pipeline_settings()


def test_without_an_affinity_mask_the_cpu_count_is_used(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert pipeline_settings()["threads"] == 3


def test_grain_read_options_follow_the_count_without_warning(monkeypatch, caplog):
    pytest.importorskip("grain")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    with caplog.at_level(logging.WARNING):
        options = input_pipeline.grain_read_options()
    assert (options.num_threads, options.prefetch_buffer_size) == (8, 8)
    assert "smaller than num_threads" not in caplog.text


def test_tf_data_options_follow_the_count(monkeypatch):
    pytest.importorskip("tensorflow")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    options = input_pipeline.tf_data_options()
    assert options.threading.private_threadpool_size == 2


def test_bucketed_batches_on_tensorflow_use_the_settings(monkeypatch):
    pytest.importorskip("tensorflow")
    from keras_electra.data.bucketing import BucketedBatches
    from tests.helpers import tiny_inputs

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(12)), raising=False)
    batches = BucketedBatches(tiny_inputs(batch_size=4), batch_size=2, sort=True)
    dataset = batches.to_tf_dataset(pipeline_settings())
    assert dataset.options().threading.private_threadpool_size == 6
    assert [x["token_ids"].shape[0] for (x,) in dataset.as_numpy_iterator()] == [2, 2]
