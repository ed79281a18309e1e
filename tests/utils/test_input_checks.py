"""Bad token/segment ids and padding masks raise ElectraError on every backend and path.

Without the host checks, jax and TensorFlow return NaN (id = vocabulary size) or
plausible numbers (id -1) from `predict`, `fit` and `evaluate`; torch raises an
IndexError. Every case must give the same ElectraError.
"""

import keras
import numpy as np
import pytest

from keras_electra.errors import ElectraError
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.utils import input_validation
from tests.conftest import requires_tf
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs

# (case, input, bad value or "float", expected message)
CASES = [
    ("id_is_vocabulary_size", "token_ids", len(VOCAB), r"`token_ids` must lie in \[0, 25\).*25 at \[row, position\] \[0, 1\]"),
    ("negative_id", "token_ids", -1, r"`token_ids` must lie in \[0, 25\).*-1 at \[row, position\] \[0, 1\]"),
    ("float_ids", "token_ids", "float", r"`token_ids` must be integers; received dtype float32"),
    ("segment_id_2", "segment_ids", 2, r"`segment_ids` must lie in \[0, 2\).*2 at \[row, position\] \[0, 1\].*num_segments=2"),
    ("padding_value_2", "padding_mask", 2, r"`padding_mask` must lie in \[0, 2\).*2 at \[row, position\] \[0, 1\]"),
]


def bad_inputs(key, value, batch_size=2):
    inputs = tiny_inputs(batch_size=batch_size)
    if value == "float":
        inputs[key] = inputs[key].astype("float32")
    else:
        inputs[key][0, 1] = value
    return inputs


@pytest.fixture(scope="module")
def models():
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    classifier = ElectraTextClassifier(backbone, num_classes=2)
    return backbone, classifier


PATHS = {
    "backbone.predict": lambda b, t, x: b.predict(x, verbose=0),
    "backbone.fit": lambda b, t, x: b.fit(x, {"pooled_output": np.zeros((2, 16)), "sequence_output": np.zeros((2, 8, 16))}, verbose=0),
    "task.predict": lambda b, t, x: t.predict(x, verbose=0),
    "task.fit": lambda b, t, x: t.fit(x, np.array([0, 1]), verbose=0),
    "task.evaluate": lambda b, t, x: t.evaluate(x, np.array([0, 1]), verbose=0),
    "task.fit validation_data": lambda b, t, x: t.fit(tiny_inputs(), np.array([0, 1]), validation_data=(x, np.array([0, 1])), verbose=0),
}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("case,key,value,message", CASES, ids=[c[0] for c in CASES])
def test_bad_ids_raise_on_every_path(models, path, case, key, value, message):
    backbone, classifier = models
    if path == "backbone.fit":
        backbone.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ElectraError, match=message):
        PATHS[path](backbone, classifier, bad_inputs(key, value))


def test_good_inputs_still_run(models):
    backbone, classifier = models
    x = tiny_inputs()
    x["padding_mask"] = x["padding_mask"].astype("float32")  # a float 0/1 mask is fine
    assert np.isfinite(backbone.predict(x, verbose=0)["pooled_output"]).all()
    assert classifier.predict(tiny_inputs(), verbose=0).shape == (2, 2)


def test_a_float_mask_must_be_zero_or_one(models):
    backbone, _ = models
    x = tiny_inputs()
    x["padding_mask"] = x["padding_mask"].astype("float32") * 0.5
    with pytest.raises(ElectraError, match=r"`padding_mask` must lie in \[0, 2\).*0.5"):
        backbone.predict(x, verbose=0)


def test_arrays_are_checked_once_per_call(models, monkeypatch):
    _, classifier = models
    calls = []
    original = input_validation.check_host_inputs

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(input_validation, "check_host_inputs", spy)
    classifier.predict(tiny_inputs(batch_size=8), batch_size=2, verbose=0)
    assert len(calls) == 1  # not once per batch


def test_direct_calls_raise_electra_error(models):
    backbone, _ = models
    with pytest.raises(ElectraError, match=r"`token_ids` must be integers"):
        backbone(bad_inputs("token_ids", "float"))
    with pytest.raises(ElectraError, match=r"\[0, 25\).*99"):
        backbone(bad_inputs("token_ids", 99))


def test_multiple_choice_inputs_have_three_axes():
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    model = ElectraMultipleChoice(backbone, num_choices=2)
    x = {k: np.stack([v, v], axis=1) for k, v in tiny_inputs().items()}
    x["token_ids"][1, 0, 3] = 40
    with pytest.raises(ElectraError, match=r"40 at index \[1, 0, 3\]"):
        model.predict(x, verbose=0)


@requires_tf
@pytest.mark.parametrize("call", ["predict", "fit", "evaluate"])
def test_tf_data_mapped_by_a_task_is_checked(models, call):
    import tensorflow as tf

    _, classifier = models
    x = tiny_inputs(batch_size=4)
    x["token_ids"][1, 2] = 25  # in the first batch: no step compiles
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(4, "int32"))).batch(2)
    if call == "predict":
        ds = ds.map(lambda features, labels: features)
    with pytest.raises(ElectraError, match=r"`token_ids` must lie in \[0, 25\).*25 at index \[1, 2\]"):
        getattr(classifier, call)(ds, verbose=0)


def test_grain_dataset_mapped_by_a_task_is_checked(models):
    grain = pytest.importorskip("grain")
    _, classifier = models
    x = tiny_inputs(batch_size=4)
    x["segment_ids"][2, 5] = 3
    rows = [({k: v[i] for k, v in x.items()}, 0) for i in range(4)]
    ds = grain.MapDataset.source(rows).batch(2)
    with pytest.raises(ElectraError, match=r"`segment_ids` must lie in \[0, 2\).*3 at \[row, position\] \[0, 5\]"):
        classifier.fit(ds, verbose=0)


@requires_tf
def test_a_tokenizer_larger_than_the_model_is_caught_in_the_pipeline():
    from keras_electra.tasks import ElectraTextClassifierPreprocessor
    from keras_electra.models import ElectraTokenizer

    tokenizer = ElectraTokenizer(vocabulary=VOCAB + ["zebra"])
    preprocessor = ElectraTextClassifierPreprocessor(tokenizer, sequence_length=8)
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    model = ElectraTextClassifier(backbone, num_classes=2, preprocessor=preprocessor)
    assert model.predict(["the cat"], verbose=0).shape == (1, 2)
    with pytest.raises(ElectraError, match=r"`token_ids` must lie in \[0, 25\).*25 at"):
        model.predict(["the zebra"], verbose=0)


def test_check_id_array_costs_min_max_on_good_data():
    array = np.arange(25, dtype="int32").reshape(5, 5)
    input_validation.check_id_array(array, "token_ids", 25)
    with pytest.raises(ElectraError, match=r"7 value\(s\) outside"):
        input_validation.check_id_array(array - 7, "token_ids", 25)


@requires_tf
def test_the_model_survives_a_failed_pipeline():
    """Keras' JAX trainer detaches weights while it iterates; an error must not lose them."""
    import tensorflow as tf

    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    classifier = ElectraTextClassifier(backbone, num_classes=2)
    good = tiny_inputs(batch_size=4)
    expected = classifier.predict(good, verbose=0)
    for call in ("predict", "fit"):
        for first_bad_row in (0, 3):  # fails on the first batch, or after a step ran
            x = tiny_inputs(batch_size=4)
            x["token_ids"][first_bad_row, 2] = 25
            ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(4, "int32"))).batch(2)
            if call == "predict":
                ds = ds.map(lambda features, labels: features)
            with pytest.raises(ElectraError):
                getattr(classifier, call)(ds, verbose=0)
            outputs = classifier.predict(good, verbose=0)
            if call == "predict":
                np.testing.assert_allclose(outputs, expected, atol=1e-6)
            assert np.isfinite(outputs).all()
