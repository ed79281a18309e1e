"""DirectFunctional: direct layer calls equal Keras' functional call."""

import keras
import numpy as np
import pytest

from keras_electra.layers import ElectraEmbedding
from keras_electra.fast_paths import direct_calls
from keras_electra.models import ElectraBackbone
from keras_electra.fast_paths.direct_functional import DirectFunctional
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.training.checkpointing import global_rng_states
from keras_electra.training.checkpointing import set_global_rng_states
from tests.helpers import use_keras_dropout


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(x, "float32")))


def make_backbone(dtype=None, **kwargs):
    keras.utils.set_random_seed(0)
    config = dict(
        vocabulary_size=50, num_layers=2, num_heads=2, hidden_dim=16,
        intermediate_dim=32, embedding_dim=8, max_sequence_length=12,
        dropout=0.1, dtype=dtype,
    )
    config.update(kwargs)
    return ElectraBackbone(**config)


def batch():
    rng = np.random.default_rng(0)
    token_ids = rng.integers(5, 50, (3, 12)).astype("int32")
    padding_mask = np.ones((3, 12), "int32")
    padding_mask[1, 7:] = 0
    token_ids = token_ids * padding_mask
    segment_ids = np.zeros((3, 12), "int32")
    segment_ids[:, 6:] = 1
    return {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}


def call_with_spy(monkeypatch, model, *args, **kwargs):
    """model(...) and the names of the layers whose `__call__` ran."""
    layer_calls = []
    original = keras.layers.Layer.__call__

    def spy(self, *args, **kwargs):
        layer_calls.append(self.name)
        return original(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(keras.layers.Layer, "__call__", spy)
        return model(*args, **kwargs), layer_calls


def graph_and_direct(model, monkeypatch, x, training):
    """(direct, Keras functional) outputs on the same inputs and RNG."""
    x = {k: keras.ops.convert_to_tensor(v) for k, v in x.items()}
    states = [keras.ops.convert_to_numpy(v) for v in model.non_trainable_variables]
    rng = global_rng_states()  # torch's dropout draws from its global RNG
    with use_keras_dropout():  # mask-for-mask equality
        direct, layer_calls = call_with_spy(monkeypatch, model, x, training=training)
    assert layer_calls == [model.name]  # no sublayer went through __call__
    for variable, state in zip(model.non_trainable_variables, states):
        variable.assign(state)
    set_global_rng_states(rng)
    with monkeypatch.context() as patch:
        # A distribution that may re-layout outputs: every layer via __call__.
        patch.setattr(keras.distribution, "distribution", lambda: object())
        reference, layer_calls = call_with_spy(monkeypatch, model, x, training=training)
    assert len(layer_calls) > 5
    as_dict = lambda y: y if isinstance(y, dict) else {"output": y}  # noqa: E731
    return (
        {k: to_numpy(v) for k, v in as_dict(direct).items()},
        {k: to_numpy(v) for k, v in as_dict(reference).items()},
    )


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("direction", ["bidirectional", "left_to_right"])
def test_direct_call_equals_functional_graph(monkeypatch, training, direction):
    backbone = make_backbone(attention_direction=direction)
    direct, reference = graph_and_direct(backbone, monkeypatch, batch(), training)
    assert set(direct) == {"sequence_output", "pooled_output"}
    for key in direct:
        assert np.isfinite(direct[key]).all()
        np.testing.assert_allclose(direct[key], reference[key], atol=1e-5, rtol=1e-5)
    if training:  # dropout was applied, identically on both paths
        inference = to_numpy(backbone(batch(), training=False)["sequence_output"])
        assert np.abs(direct["sequence_output"] - inference).max() > 1e-2


def test_direct_call_under_mixed_precision(monkeypatch):
    backbone = make_backbone(dtype="mixed_bfloat16", embedding_dim=16)
    direct, reference = graph_and_direct(backbone, monkeypatch, batch(), False)
    output = backbone(batch())["sequence_output"]
    assert keras.backend.standardize_dtype(output.dtype) == "bfloat16"
    np.testing.assert_allclose(
        direct["sequence_output"], reference["sequence_output"], atol=2e-2
    )


def test_direct_call_takes_int64_arrays_and_tensors():
    backbone = make_backbone(dropout=0.0)
    x = batch()
    expected = to_numpy(backbone(x)["sequence_output"])
    as_int64 = {k: v.astype("int64") for k, v in x.items()}
    np.testing.assert_allclose(
        to_numpy(backbone(as_int64)["sequence_output"]), expected, atol=1e-6
    )
    tensors = {k: keras.ops.convert_to_tensor(v) for k, v in as_int64.items()}
    np.testing.assert_allclose(
        to_numpy(backbone(tensors)["sequence_output"]), expected, atol=1e-6
    )
    np.testing.assert_allclose(
        backbone.predict(x, verbose=0)["sequence_output"], expected, atol=1e-5
    )


def test_symbolic_call_builds_the_graph():
    backbone = make_backbone()
    outputs = backbone(backbone.input)
    assert tuple(outputs["sequence_output"].shape) == (None, None, 16)
    model = keras.Model(backbone.input, outputs["pooled_output"])
    assert to_numpy(model(batch())).shape == (3, 16)


def test_model_parallel_distribution_disables_direct_calls(monkeypatch):
    backbone = make_backbone()
    assert direct_calls.can_call_directly(backbone.embeddings)
    monkeypatch.setattr(keras.distribution, "distribution", lambda: object())
    assert not direct_calls.can_call_directly(backbone.embeddings)


def test_quantized_sublayer_takes_the_keras_call():
    layer = keras.layers.Dense(4)
    layer.build((None, 8))
    assert direct_calls.can_call_directly(layer)
    layer.quantize("int8")
    assert not direct_calls.can_call_directly(layer)


def test_embedding_direct_call_equals_layer_calls(monkeypatch):
    keras.utils.set_random_seed(0)
    embedding = ElectraEmbedding(vocabulary_size=50, embedding_dim=8,
                                 max_sequence_length=12, dropout=0.0)
    x = batch()
    direct = to_numpy(embedding(x["token_ids"], x["segment_ids"]))
    monkeypatch.setattr(
        "keras_electra.layers.embedding.can_call_directly", lambda *layers: False
    )
    reference = to_numpy(embedding(x["token_ids"], x["segment_ids"]))
    np.testing.assert_allclose(direct, reference, atol=1e-6)


@pytest.mark.parametrize("training", [False, True])
def test_task_model_direct_call_equals_functional_graph(monkeypatch, training):
    classifier = ElectraTextClassifier(make_backbone(), num_classes=3, head="hf")
    direct, reference = graph_and_direct(classifier, monkeypatch, batch(), training)
    assert direct["output"].shape == (3, 3)
    np.testing.assert_allclose(direct["output"], reference["output"], atol=1e-5, rtol=1e-5)


def test_layer_with_its_own_dtype_goes_through_keras_call(monkeypatch):
    keras.utils.set_random_seed(0)

    class Model(DirectFunctional, keras.Model):
        pass

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(8, name="hidden")(inputs)
        hidden = keras.layers.Dense(8, name="hidden_2")(hidden)
        outputs = keras.layers.Dense(2, dtype="float32", name="logits")(hidden)
        model = Model(inputs, outputs, name="model")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.compute_dtype == "bfloat16"
    x = keras.ops.convert_to_tensor(np.random.default_rng(0).normal(size=(3, 4)), "float32")
    output, layer_calls = call_with_spy(monkeypatch, model, x)
    # `hidden` gets float32 and `logits` bfloat16: both need __call__'s cast.
    # `hidden_2` gets bfloat16 in its compute dtype: a direct call.
    assert layer_calls == ["model", "hidden", "logits"]
    assert keras.backend.standardize_dtype(output.dtype) == "float32"
    expected = x
    for name in ("hidden", "hidden_2", "logits"):
        expected = model.get_layer(name)(expected)
    np.testing.assert_allclose(to_numpy(output), to_numpy(expected), atol=1e-6)


def test_output_structures_match_keras(monkeypatch):
    class Model(DirectFunctional, keras.Model):
        pass

    inputs = keras.Input((4,))
    dense = keras.layers.Dense(2)
    x = keras.ops.ones((3, 4))
    for outputs in ([dense(inputs)], (dense(inputs), dense(inputs)), {"a": dense(inputs)}):
        model = Model(inputs, outputs)
        direct = model(x)
        with monkeypatch.context() as patch:
            patch.setattr(keras.distribution, "distribution", lambda: object())
            reference = model(x)
        assert type(direct) is type(reference)
        keras.tree.assert_same_structure(direct, reference)
