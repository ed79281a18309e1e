"""Atomic, resumable training checkpoints.

A checkpoint is `ckpt-<step>.weights.h5` (model and optimizer variables) plus
`ckpt-<step>.rng.npz` (the states of every `keras.random.SeedGenerator`, which
Keras does not save, and on torch the global RNG that unseeded dropout draws
from, so that masking and dropout continue exactly), and
`latest.json` naming the newest complete pair. Each file is written under a
temporary name and moved into place with `os.replace`, so a crash mid-write
never corrupts the last good checkpoint. Should a checkpoint still be
unreadable (a disk fault, a copy cut short), `restore_latest_checkpoint` falls
back to the newest one that loads, and says so.
"""

import glob
import json
import os
import re
import sys

import keras
import numpy as np

from keras_electra.errors import ElectraError

LATEST_FILE = "latest.json"
_NAME = re.compile(r"ckpt-(\d+)\.weights\.h5$")


def seed_generator_states(model):
    """The `SeedGenerator` state variables of `model`, in model order.

    They are matched by position, not path: Keras uniquifies seed-generator
    names per process, so paths differ between two builds of one model.
    """
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def global_rng_states():
    """Backend RNG state outside SeedGenerators: torch's unseeded dropout uses it."""
    if keras.config.backend() != "torch":
        return {}
    import torch

    states = {"torch_cpu_rng": torch.get_rng_state().numpy()}
    if torch.cuda.is_available():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            states[f"torch_cuda_rng_{i}"] = state.cpu().numpy()
    return states


def set_global_rng_states(saved):
    """Sets the state `global_rng_states` returned (that dict or an `np.load` of it)."""
    names = getattr(saved, "files", saved)
    if keras.config.backend() != "torch" or "torch_cpu_rng" not in names:
        return
    import torch

    torch.set_rng_state(torch.from_numpy(saved["torch_cpu_rng"]))
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            if f"torch_cuda_rng_{i}" in names:
                torch.cuda.set_rng_state(torch.from_numpy(saved[f"torch_cuda_rng_{i}"]), i)


def _atomic_write(path, write):
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-{name}")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_checkpoint(model, directory, step, keep=2, extra=None):
    """Saves model, optimizer and RNG state for `step`; keeps the newest `keep`."""
    os.makedirs(directory, exist_ok=True)
    weights = os.path.join(directory, f"ckpt-{step:09d}.weights.h5")
    rng = os.path.join(directory, f"ckpt-{step:09d}.rng.npz")
    # Temporary names keep the suffix, which keras and numpy insist on.
    _atomic_write(weights, model.save_weights)
    states = [keras.ops.convert_to_numpy(v) for v in seed_generator_states(model)]
    extra_states = global_rng_states()
    _atomic_write(rng, lambda tmp: np.savez(tmp, *states, **extra_states))
    record = {"step": int(step), "weights": os.path.basename(weights), "rng": os.path.basename(rng)}
    record.update(extra or {})

    def write_latest(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2)

    _atomic_write(os.path.join(directory, LATEST_FILE), write_latest)
    for old_step, old in list_checkpoints(directory)[:-keep]:
        for path in (old, old.replace(".weights.h5", ".rng.npz")):
            if os.path.exists(path):
                os.remove(path)
    return weights


def list_checkpoints(directory):
    """(step, weights path) of every complete checkpoint, oldest first."""
    found = []
    for path in glob.glob(os.path.join(directory, "ckpt-*.weights.h5")):
        match = _NAME.search(os.path.basename(path))
        if match and os.path.exists(path.replace(".weights.h5", ".rng.npz")):
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_checkpoint(directory):
    """The newest complete checkpoint as `(step, weights_path)`, or None."""
    latest = os.path.join(directory, LATEST_FILE)
    if os.path.exists(latest):
        try:
            with open(latest, encoding="utf-8") as f:
                record = json.load(f)
            path = os.path.join(directory, record["weights"])
            if os.path.exists(path):
                return int(record["step"]), path
        except (json.JSONDecodeError, KeyError, ValueError):
            pass  # fall back to scanning the directory
    found = list_checkpoints(directory)
    return found[-1] if found else None


class UnreadableCheckpointError(ElectraError):
    """A checkpoint that cannot be restored (truncated, corrupt, or another model's)."""


def restore_checkpoint(model, weights_path):
    """Loads a checkpoint written by `save_checkpoint` into a compiled model.

    Raises:
        UnreadableCheckpointError: naming the file that cannot be read.
    """
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(weights_path)
    except Exception as e:
        raise UnreadableCheckpointError(
            f"Could not restore checkpoint {weights_path}: {type(e).__name__}: {e}"
        ) from e
    rng_path = weights_path.replace(".weights.h5", ".rng.npz")
    states = seed_generator_states(model)
    try:
        with np.load(rng_path) as saved:
            count = len([name for name in saved.files if name.startswith("arr_")])
            if count != len(states):
                raise UnreadableCheckpointError(
                    f"{rng_path} holds {count} RNG states but the model "
                    f"has {len(states)} seed generators: it is not this model's."
                )
            for i, variable in enumerate(states):
                variable.assign(saved[f"arr_{i}"])
            set_global_rng_states(saved)
    except UnreadableCheckpointError:
        raise
    except Exception as e:  # a truncated or corrupt .npz (zipfile, pickle, OS errors)
        raise UnreadableCheckpointError(
            f"Could not restore checkpoint {rng_path}: {type(e).__name__}: {e}"
        ) from e


UNREADABLE_SUFFIX = ".unreadable"


def restore_latest_checkpoint(model, directory):
    """Restores the newest checkpoint in `directory` that can be read.

    Checkpoints are tried newest first. One that fails to load is reported
    on stderr and the previous one is tried; once one loads, the newer
    unreadable files are renamed with a `.unreadable` suffix (kept, but no
    longer taken for checkpoints, so later saves and pruning ignore them).

    Returns:
        `(step, weights_path)` of the restored checkpoint, or None when the
        directory holds no checkpoint.

    Raises:
        UnreadableCheckpointError: when no checkpoint can be read; the
            message lists each one and why.

    Example:
    ```python
    found = restore_latest_checkpoint(model, "run/checkpoints")
    initial_step = found[0] if found else 0
    ```
    """
    candidates = list_checkpoints(directory)
    latest = latest_checkpoint(directory)
    if latest is not None and latest not in candidates:
        candidates.append(latest)
    candidates.sort(reverse=True)
    failures = []
    for step, path in candidates:
        try:
            restore_checkpoint(model, path)
        except UnreadableCheckpointError as e:
            failures.append((path, e))
            print(f"warning: checkpoint {path} is unreadable ({e}); trying the previous one",
                  file=sys.stderr)
            continue
        for bad, _ in failures:
            for name in (bad, bad.replace(".weights.h5", ".rng.npz")):
                if os.path.exists(name):
                    os.replace(name, name + UNREADABLE_SUFFIX)
        if failures:
            print(f"warning: resuming from the older checkpoint {path} (step {step}); "
                  f"{len(failures)} newer one(s) could not be read and were renamed "
                  f"*{UNREADABLE_SUFFIX}", file=sys.stderr)
        return step, path
    if failures:
        raise UnreadableCheckpointError(
            f"No checkpoint in {directory} can be read:\n  "
            + "\n  ".join(f"{path}: {e}" for path, e in failures)
        )
    return None


class CheckpointCallback(keras.callbacks.Callback):
    """Saves a checkpoint every `every_steps` training steps and at the end.

    Counts steps on the host (no device sync per batch), starting from
    `initial_step` when resuming. Pass the restored checkpoint as
    `resumed_from`: the backend's global RNG is then set again just before the
    first step, because starting `fit` draws from it (torch's DataLoader does).

    Example:
    ```python
    callback = CheckpointCallback("run/checkpoints", every_steps=1000)
    model.fit(dataset, steps_per_epoch=100, epochs=50, callbacks=[callback])
    ```
    """

    def __init__(self, directory, every_steps, initial_step=0, keep=2, resumed_from=None):
        super().__init__()
        self.resumed_from = resumed_from
        self.directory = directory
        self.every_steps = every_steps
        self.step = initial_step
        self.keep = keep
        self.last_saved = None

    def on_train_batch_begin(self, batch, logs=None):
        if self.resumed_from is not None:
            with np.load(self.resumed_from.replace(".weights.h5", ".rng.npz")) as saved:
                set_global_rng_states(saved)
            self.resumed_from = None

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.every_steps and self.step % self.every_steps == 0:
            self._save()

    def on_train_end(self, logs=None):
        if self.last_saved != self.step:
            self._save()

    def _save(self):
        # On JAX, fit keeps the newest state outside the model's variables
        # until the epoch ends: write it back first, or the save is stale.
        if hasattr(self.model, "jax_state_sync"):
            self.model.jax_state_sync()
        save_checkpoint(self.model, self.directory, self.step, keep=self.keep)
        self.last_saved = self.step
