import keras
import numpy as np
import pytest

from keras_electra.training import ElectraLearningRateSchedule


def reference_lr(step, peak, total, warmup, power=1.0, end=0.0):
    """google-research/electra: polynomial_decay(...) * min(1, step / warmup)."""
    step = np.asarray(step, "float64")
    clipped = np.minimum(step, total)
    decayed = (peak - end) * (1.0 - clipped / total) ** power + end
    if warmup <= 0:
        return decayed
    return decayed * np.minimum(1.0, step / warmup)


def evaluate(schedule, steps):
    return np.array([float(keras.ops.convert_to_numpy(schedule(s))) for s in steps])


STEPS = [0, 1, 2, 5, 9, 10, 11, 37, 50, 99, 100, 101, 500, 999, 1000, 1001, 5000]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(peak_learning_rate=5e-4, num_train_steps=1000, warmup_steps=100),
        dict(peak_learning_rate=2e-4, num_train_steps=1000, warmup_steps=10, power=2.0),
        dict(peak_learning_rate=1e-3, num_train_steps=1000, warmup_steps=37,
             power=0.5, end_learning_rate=1e-5),
        dict(peak_learning_rate=1e-4, num_train_steps=1000, warmup_steps=0),
    ],
)
def test_matches_numpy_reference(kwargs):
    schedule = ElectraLearningRateSchedule(**kwargs)
    expected = reference_lr(
        STEPS,
        kwargs["peak_learning_rate"],
        kwargs["num_train_steps"],
        kwargs["warmup_steps"],
        kwargs.get("power", 1.0),
        kwargs.get("end_learning_rate", 0.0),
    )
    # float32 steps: (1 - 999/1000) keeps ~4 significant digits, hence the atol.
    atol = kwargs["peak_learning_rate"] * 1e-6
    np.testing.assert_allclose(evaluate(schedule, STEPS), expected, rtol=1e-5, atol=atol)


def test_equals_keras_polynomial_decay_times_warmup():
    # Keras' PolynomialDecay is an independent implementation of the decay factor.
    schedule = ElectraLearningRateSchedule(3e-4, num_train_steps=200, warmup_steps=20,
                                           power=1.5, end_learning_rate=1e-6)
    decay = keras.optimizers.schedules.PolynomialDecay(
        3e-4, decay_steps=200, end_learning_rate=1e-6, power=1.5)
    for step in [0, 3, 19, 20, 21, 150, 200, 260]:
        expected = float(keras.ops.convert_to_numpy(decay(step))) * min(1.0, step / 20)
        assert float(keras.ops.convert_to_numpy(schedule(step))) == pytest.approx(
            expected, rel=1e-5, abs=1e-12)


def test_factors_are_multiplied_not_chained():
    schedule = ElectraLearningRateSchedule(1e-3, num_train_steps=100, warmup_steps=10)
    # At the end of warmup the decay has already removed 10%.
    assert float(schedule(10)) == pytest.approx(1e-3 * 0.9, rel=1e-6)
    assert float(schedule(5)) == pytest.approx(1e-3 * 0.5 * 0.95, rel=1e-6)
    assert float(schedule(0)) == 0.0
    assert float(schedule(100)) == 0.0
    assert float(schedule(150)) == 0.0


def test_warmup_proportion_uses_larger_warmup():
    by_proportion = ElectraLearningRateSchedule(1e-4, num_train_steps=1000, warmup_proportion=0.1)
    assert by_proportion.effective_warmup_steps == 100
    both = ElectraLearningRateSchedule(1e-4, 1000, warmup_steps=300, warmup_proportion=0.1)
    assert both.effective_warmup_steps == 300
    np.testing.assert_allclose(
        evaluate(by_proportion, STEPS), reference_lr(STEPS, 1e-4, 1000, 100), rtol=1e-5, atol=1e-10)


def test_config_round_trip_and_serialization():
    schedule = ElectraLearningRateSchedule(2e-4, 766000, warmup_steps=10000,
                                           warmup_proportion=0.01, power=1.0,
                                           end_learning_rate=1e-7, name="lr")
    config = schedule.get_config()
    restored = ElectraLearningRateSchedule.from_config(config)
    assert restored.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(revived, ElectraLearningRateSchedule)
    assert revived.get_config() == config
    np.testing.assert_allclose(evaluate(revived, STEPS), evaluate(schedule, STEPS))


def test_drives_optimizer_learning_rate():
    schedule = ElectraLearningRateSchedule(1e-2, num_train_steps=10, warmup_steps=4)
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    variable = keras.Variable(np.zeros(3, "float32"))
    grad = keras.ops.ones(3)
    expected = 0.0
    for step in range(6):
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(
            reference_lr(step, 1e-2, 10, 4), abs=1e-9)
        expected -= reference_lr(step, 1e-2, 10, 4)
        optimizer.apply([grad], [variable])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(peak_learning_rate=-1.0, num_train_steps=10), "peak_learning_rate"),
        (dict(peak_learning_rate=1.0, num_train_steps=0), "num_train_steps"),
        (dict(peak_learning_rate=1.0, num_train_steps=10, warmup_steps=-1), "warmup_steps"),
        (dict(peak_learning_rate=1.0, num_train_steps=10, warmup_proportion=1.5),
         "warmup_proportion"),
        (dict(peak_learning_rate=1.0, num_train_steps=10, power=-1.0), "power"),
        (dict(peak_learning_rate=1.0, num_train_steps=10, end_learning_rate=-1.0),
         "end_learning_rate"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ElectraLearningRateSchedule(**kwargs)
