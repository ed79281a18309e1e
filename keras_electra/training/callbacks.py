"""Callbacks for long training runs: throughput, a CSV step log, TensorBoard on any backend."""

import csv
import os
import time
import warnings

import keras


class ThroughputMeter(keras.callbacks.Callback):
    """Measures steps/s and tokens/s over the run (excluding the first step).

    The first step includes compilation, so it is timed separately as
    `first_step_seconds`.

    Args:
        tokens_per_step: int. Tokens per training step (batch x sequence length).
    """

    def __init__(self, tokens_per_step):
        super().__init__()
        self.tokens_per_step = tokens_per_step
        self.steps = 0
        self.timed_steps = 0
        self.timed_seconds = 0.0
        self.first_step_seconds = None
        self._start = None

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        elapsed = time.perf_counter() - self._start
        self.steps += 1
        if self.first_step_seconds is None:
            self.first_step_seconds = elapsed
        else:
            self.timed_steps += 1
            self.timed_seconds += elapsed

    @property
    def steps_per_second(self):
        return self.timed_steps / self.timed_seconds if self.timed_seconds else 0.0

    @property
    def tokens_per_second(self):
        return self.steps_per_second * self.tokens_per_step


def tensorboard_callback(log_dir):
    """A TensorBoard callback for the current backend, or None with a warning.

    Keras' own callback needs TensorFlow; without it, epoch logs are written
    with `torch.utils.tensorboard` when torch and tensorboard are installed.
    """
    try:
        import tensorflow  # noqa: F401

        return keras.callbacks.TensorBoard(log_dir=log_dir, update_freq="epoch")
    except ImportError:
        pass
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        warnings.warn(
            "TensorBoard logs need tensorflow, or torch with tensorboard; "
            "neither is installed, so no TensorBoard logs are written."
        )
        return None
    return _SummaryWriterCallback(SummaryWriter(log_dir=log_dir))


class _SummaryWriterCallback(keras.callbacks.Callback):
    def __init__(self, writer):
        super().__init__()
        self.writer = writer

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.writer.add_scalar(f"epoch_{name}", float(value), epoch)
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.writer.close()


def plot_training_curves(csv_path, png_path, metrics=("loss", "disc_auc"), step_column="step"):
    """Plots metrics from a CSV log (one row per logging interval) to a PNG.

    Example:
    ```python
    plot_training_curves("run/log.csv", "run/curves.png")
    ```
    """
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    present = [m for m in metrics if rows and m in rows[0]]
    if not present:
        raise ValueError(f"{csv_path} has none of the metrics {list(metrics)}")
    fig, axes = plt.subplots(1, len(present), figsize=(5 * len(present), 3.5), squeeze=False)
    steps = [float(r[step_column]) if step_column in r else i for i, r in enumerate(rows)]
    for ax, metric in zip(axes[0], present):
        ax.plot(steps, [float(r[metric]) for r in rows], marker=".")
        ax.set_xlabel("step")
        ax.set_title(metric)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path


class StepLog(keras.callbacks.Callback):
    """Writes `step` and the epoch metrics to a CSV file, one row per fit epoch.

    Each fit epoch is `interval` steps. On resume, rows past the restored step
    are dropped (those steps are redone). The file is replaced atomically.

    Args:
        path: str. CSV file.
        interval: int. Steps per fit epoch.
        initial_step: int. The step the run starts (or resumes) at.

    Example:
    ```python
    log = StepLog("run/log.csv", interval=100, initial_step=0)
    model.fit(dataset, steps_per_epoch=100, epochs=10, callbacks=[log])
    ```
    """

    def __init__(self, path, interval, initial_step=0):
        super().__init__()
        self.path, self.interval, self.step = path, interval, initial_step

    def on_epoch_end(self, epoch, logs=None):
        self.step += self.interval
        row = {"step": self.step} | {k: float(v) for k, v in (logs or {}).items()}
        rows = []
        if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            with open(self.path, encoding="utf-8") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) < self.step]
        rows.append(row)
        with open(self.path + ".tmp", "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            writer.writeheader()
            writer.writerows({k: r.get(k, "") for k in row} for r in rows)
        os.replace(self.path + ".tmp", self.path)

    def last_row(self):
        """The metrics of the last row written (without `step`), or {}."""
        if not os.path.exists(self.path):
            return {}
        with open(self.path, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return {k: float(v) for k, v in rows[-1].items() if k != "step"} if rows else {}
