import json
import os

import keras
import numpy as np
import pytest

from keras_electra.training.checkpointing import CheckpointCallback
from keras_electra.training.checkpointing import latest_checkpoint
from keras_electra.training.checkpointing import list_checkpoints
from keras_electra.training.checkpointing import restore_checkpoint
from keras_electra.training.checkpointing import save_checkpoint


def make_model():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    x = keras.layers.Dropout(0.3, name="dropout")(x)
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(x))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return model


def batches(start=0):
    step = start
    while True:
        rng = np.random.default_rng(step)
        yield rng.normal(size=(4, 4)).astype("float32"), rng.normal(size=(4, 1)).astype("float32")
        step += 1


def weights(model):
    return [keras.ops.convert_to_numpy(v) for v in model.variables + model.optimizer.variables]


def test_resume_gives_identical_weights(tmp_path):
    keras.utils.set_random_seed(0)
    straight = make_model()
    straight.fit(batches(), steps_per_epoch=6, epochs=1, verbose=0)

    keras.utils.set_random_seed(0)
    first = make_model()
    ckpt = str(tmp_path / "ckpt")
    first.fit(batches(), steps_per_epoch=3, epochs=1, verbose=0,
              callbacks=[CheckpointCallback(ckpt, every_steps=3)])
    step, path = latest_checkpoint(ckpt)
    assert step == 3

    keras.utils.set_random_seed(123)  # a fresh process would not share RNG state
    resumed = make_model()
    restore_checkpoint(resumed, path)
    callback = CheckpointCallback(ckpt, every_steps=3, initial_step=step, resumed_from=path)
    resumed.fit(batches(start=step), steps_per_epoch=3, epochs=1, verbose=0, callbacks=[callback])
    assert latest_checkpoint(ckpt)[0] == 6
    for a, b in zip(weights(straight), weights(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_keeps_newest_and_survives_corrupt_latest(tmp_path):
    model = make_model()
    model.fit(batches(), steps_per_epoch=1, epochs=1, verbose=0)
    directory = str(tmp_path)
    for step in (10, 20, 30):
        save_checkpoint(model, directory, step, keep=2)
    assert [s for s, _ in list_checkpoints(directory)] == [20, 30]
    with open(os.path.join(directory, "latest.json"), "w") as f:
        f.write("{trunc")
    assert latest_checkpoint(directory)[0] == 30
    # a half-written temporary file is never taken for a checkpoint
    open(os.path.join(directory, ".tmp-1-ckpt-000000040.weights.h5"), "w").close()
    assert latest_checkpoint(directory)[0] == 30
    with open(os.path.join(directory, "latest.json")) as f:
        assert "{" in f.read()


def test_no_checkpoint(tmp_path):
    assert latest_checkpoint(str(tmp_path)) is None


def test_corrupt_checkpoint_names_file(tmp_path):
    model = make_model()
    model.fit(batches(), steps_per_epoch=1, epochs=1, verbose=0)
    path = save_checkpoint(model, str(tmp_path), 5)
    with open(path, "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match="ckpt-000000005.weights.h5"):
        restore_checkpoint(make_model(), path)


def _truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def _saved_model(directory, steps):
    model = make_model()
    model.fit(batches(), steps_per_epoch=1, epochs=1, verbose=0)
    saved = {}
    for step in steps:
        model.fit(batches(step), steps_per_epoch=1, epochs=1, verbose=0)
        save_checkpoint(model, directory, step, keep=len(steps))
        saved[step] = weights(model)
    return saved


@pytest.mark.parametrize("broken", ["weights", "rng"])
def test_restore_falls_back_to_the_newest_readable_checkpoint(tmp_path, capsys, broken):
    from keras_electra.training.checkpointing import restore_latest_checkpoint

    directory = str(tmp_path)
    saved = _saved_model(directory, (10, 20, 30))
    suffix = ".weights.h5" if broken == "weights" else ".rng.npz"
    newest = os.path.join(directory, f"ckpt-000000030{suffix}")
    _truncate(newest)
    model = make_model()
    step, path = restore_latest_checkpoint(model, directory)
    assert step == 20 and path.endswith("ckpt-000000020.weights.h5")
    for a, b in zip(weights(model), saved[20]):
        np.testing.assert_array_equal(a, b)
    err = capsys.readouterr().err
    assert newest in err and "older checkpoint" in err
    # Kept aside under a new name, no longer taken for a checkpoint.
    assert os.path.exists(newest + ".unreadable")
    assert [s for s, _ in list_checkpoints(directory)] == [10, 20]
    assert latest_checkpoint(directory)[0] == 20


def test_restore_with_no_readable_checkpoint_lists_them(tmp_path):
    from keras_electra.errors import ElectraError
    from keras_electra.training.checkpointing import restore_latest_checkpoint

    directory = str(tmp_path)
    _saved_model(directory, (1, 2))
    for step in (1, 2):
        _truncate(os.path.join(directory, f"ckpt-00000000{step}.weights.h5"))
    with pytest.raises(ElectraError, match=r"No checkpoint .* can be read:\n.*ckpt-000000002"
                                           r".*\n.*ckpt-000000001"):
        restore_latest_checkpoint(make_model(), directory)
    assert [s for s, _ in list_checkpoints(directory)] == [1, 2]  # nothing renamed
    assert restore_latest_checkpoint(make_model(), str(tmp_path / "none")) is None
