import csv

import keras
import numpy as np
import pytest

from keras_electra.training.callbacks import ThroughputMeter
from keras_electra.training.callbacks import plot_training_curves
from keras_electra.training.callbacks import tensorboard_callback


def test_throughput_meter_counts_steps_and_tokens():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    meter = ThroughputMeter(tokens_per_step=4 * 16)
    model.fit(np.ones((20, 3)), np.ones((20, 1)), batch_size=4, epochs=1, verbose=0, callbacks=[meter])
    assert meter.steps == 5 and meter.timed_steps == 4
    assert meter.tokens_per_second == pytest.approx(meter.steps_per_second * 64)
    assert meter.steps_per_second > 0


def test_tensorboard_callback_writes_event_files(tmp_path):
    callback = tensorboard_callback(str(tmp_path / "tb"))
    if callback is None:
        pytest.skip("no tensorboard writer available")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0, callbacks=[callback])
    assert list((tmp_path / "tb").rglob("events.out.tfevents*"))


def test_plot_training_curves(tmp_path):
    log = tmp_path / "log.csv"
    with open(log, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "loss", "disc_auc"])
        for step in range(1, 6):
            writer.writerow([step * 10, 5.0 / step, 0.5 + step / 20])
    png = plot_training_curves(str(log), str(tmp_path / "curves.png"))
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="none of the metrics"):
        plot_training_curves(str(log), str(tmp_path / "x.png"), metrics=("accuracy",))
