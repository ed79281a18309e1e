import os

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.training import ElectraLearningRateSchedule
from keras_electra.training import LayerwiseDecayOptimizer
from keras_electra.training import create_optimizer
from keras_electra.training import layerwise_decay_multipliers
from tests.helpers import tiny_backbone_kwargs
from tests.helpers import tiny_inputs


@keras.saving.register_keras_serializable(package="keras_electra_tests")
class TinyClassifier(keras.Model):
    """A task model exposing `.backbone`, like the keras-electra task models."""

    def __init__(self, backbone, num_classes=3, **kwargs):
        inputs = backbone.input
        pooled = backbone(inputs)["pooled_output"]
        logits = keras.layers.Dense(num_classes, name="logits")(pooled)
        super().__init__(inputs, logits, **kwargs)
        self.backbone = backbone
        self.num_classes = num_classes

    def get_config(self):
        return {
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "num_classes": self.num_classes,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


def build_classifier(**overrides):
    kwargs = dict(dropout=0.0)
    kwargs.update(overrides)
    return TinyClassifier(ElectraBackbone(**tiny_backbone_kwargs(**kwargs)))


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float64")


def expected_depth(path, num_layers):
    """Depths of google-research/electra `_get_layer_lrs`, from variable paths."""
    if path.startswith(("embeddings/", "embeddings_projection/")):
        return 0
    for i in range(num_layers):
        if path.startswith(f"transformer_layer_{i}/"):
            return i + 1
    return None  # task head


@pytest.mark.parametrize("num_layers,embedding_dim", [(2, 8), (3, None)])
@pytest.mark.parametrize("original_off_by_one", [False, True])
def test_multipliers_per_depth(num_layers, embedding_dim, original_off_by_one):
    model = build_classifier(num_layers=num_layers, embedding_dim=embedding_dim)
    decay = 0.7
    multipliers = layerwise_decay_multipliers(model, decay, original_off_by_one)
    assert set(multipliers) == {v.path for v in model.weights}
    head_depth = num_layers + 2 if original_off_by_one else num_layers + 1
    for path, multiplier in multipliers.items():
        depth = expected_depth(path, num_layers)
        depth = head_depth if depth is None else depth
        # The original: learning_rate * decay ** (n_layers + 2 - depth).
        top = num_layers + 2 if original_off_by_one else num_layers + 1
        assert multiplier == pytest.approx(decay ** (top - depth)), path
    L = num_layers
    shift = 1 if original_off_by_one else 0
    assert multipliers["logits/kernel"] == 1.0
    assert multipliers[f"transformer_layer_{L - 1}/feedforward_output_dense/kernel"] == (
        pytest.approx(decay ** (1 + shift)))
    assert multipliers["embeddings/layer_norm/gamma"] == pytest.approx(decay ** (L + 1 + shift))
    if embedding_dim is not None:
        assert multipliers["embeddings_projection/kernel"] == pytest.approx(
            decay ** (L + 1 + shift))


def test_multipliers_of_bare_backbone_and_errors():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    multipliers = layerwise_decay_multipliers(backbone, 0.5)
    assert multipliers["embeddings/token_embedding/embeddings"] == 0.125
    assert multipliers["transformer_layer_0/self_attention_layer/query/kernel"] == 0.25
    with pytest.raises(ValueError, match="backbone"):
        layerwise_decay_multipliers(keras.Sequential([keras.layers.Dense(2)]), 0.8)
    for bad in (0.0, -0.5, 1.5, "0.8"):
        with pytest.raises(ValueError, match="decay"):
            layerwise_decay_multipliers(backbone, bad)


def random_grads(variables, seed):
    rng = np.random.default_rng(seed)
    # Tensors, not numpy arrays: torch's parallel optimizers need tensors.
    return [keras.ops.convert_to_tensor(rng.normal(size=v.shape).astype("float32"))
            for v in variables]


def copy_variables(variables):
    return [keras.Variable(to_numpy(v).astype("float32"), name=v.name) for v in variables]


def test_sgd_update_is_scaled_by_multiplier():
    model = build_classifier()
    variables = model.trainable_variables
    multipliers = layerwise_decay_multipliers(model, 0.6)
    initial = [to_numpy(v) for v in variables]
    plain_variables = copy_variables(variables)
    wrapped = LayerwiseDecayOptimizer(keras.optimizers.SGD(0.5), multipliers)
    plain = keras.optimizers.SGD(0.5)
    grads = random_grads(variables, 0)
    wrapped.apply(grads, variables)
    plain.apply(grads, plain_variables)
    distinct = set()
    for variable, plain_variable, w0, grad in zip(variables, plain_variables, initial, grads):
        multiplier = multipliers[variable.path]
        distinct.add(multiplier)
        grad = to_numpy(grad)
        np.testing.assert_allclose(to_numpy(plain_variable) - w0, -0.5 * grad, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_numpy(variable) - w0, -0.5 * multiplier * grad,
                                   rtol=1e-4, atol=1e-6)
    assert len(distinct) == 4  # embeddings, two layers, head


@pytest.mark.parametrize("inner", ["adam", "adamw_schedule"])
def test_adam_update_equals_per_variable_learning_rate(inner):
    """Several steps of the wrapper == AdamW run with lr * multiplier per variable."""
    model = build_classifier()
    variables = model.trainable_variables
    multipliers = layerwise_decay_multipliers(model, 0.6, original_off_by_one=True)

    def make(scale):
        if inner == "adam":
            return keras.optimizers.Adam(1e-2 * scale)
        schedule = ElectraLearningRateSchedule(1e-2 * scale, num_train_steps=8, warmup_steps=2)
        return keras.optimizers.AdamW(schedule, weight_decay=0.3)

    wrapped = LayerwiseDecayOptimizer(make(1.0), multipliers)
    references = {}  # one optimizer per multiplier, with a scaled learning rate
    reference_variables = copy_variables(variables)
    initial = [to_numpy(v) for v in variables]
    for step in range(4):
        grads = random_grads(variables, step)
        wrapped.apply(grads, variables)
        groups = {}
        for grad, variable, reference in zip(grads, variables, reference_variables):
            groups.setdefault(multipliers[variable.path], []).append((grad, reference))
        for multiplier, pairs in groups.items():
            optimizer = references.setdefault(multiplier, make(multiplier))
            optimizer.apply([g for g, _ in pairs], [r for _, r in pairs])
    for variable, reference, w0 in zip(variables, reference_variables, initial):
        moved = to_numpy(variable) - w0
        expected = to_numpy(reference) - w0
        # atol: two float32 ulps of weights near 1 (LayerNorm gammas).
        np.testing.assert_allclose(moved, expected, rtol=1e-4, atol=2.5e-7)
        assert np.abs(moved).max() > 1e-5
    token = variables[0]
    assert token.path == "embeddings/token_embedding/embeddings"
    assert multipliers[token.path] == pytest.approx(0.6**4)


def test_gradient_accumulation_of_inner_optimizer():
    model = build_classifier()
    variables = model.trainable_variables
    multipliers = layerwise_decay_multipliers(model, 0.5)
    initial = [to_numpy(v) for v in variables]
    plain_variables = copy_variables(variables)
    wrapped = LayerwiseDecayOptimizer(
        keras.optimizers.SGD(0.1, gradient_accumulation_steps=2), multipliers)
    plain = keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)
    grads = [random_grads(variables, 0), random_grads(variables, 1)]
    wrapped.apply(grads[0], variables)
    plain.apply(grads[0], plain_variables)
    for variable, w0 in zip(variables, initial):
        np.testing.assert_array_equal(to_numpy(variable), w0)  # only accumulated
    wrapped.apply(grads[1], variables)
    plain.apply(grads[1], plain_variables)
    for variable, plain_variable, w0 in zip(variables, plain_variables, initial):
        plain_delta = to_numpy(plain_variable) - w0
        assert np.abs(plain_delta).max() > 1e-4
        np.testing.assert_allclose(to_numpy(variable) - w0,
                                   multipliers[variable.path] * plain_delta,
                                   rtol=1e-4, atol=2.5e-7)


def test_missing_multiplier_is_reported():
    model = build_classifier()
    multipliers = layerwise_decay_multipliers(model, 0.8)
    del multipliers["logits/kernel"]
    optimizer = LayerwiseDecayOptimizer(keras.optimizers.SGD(0.1), multipliers)
    with pytest.raises(ValueError, match="logits/kernel"):
        optimizer.build(model.trainable_variables)


def test_invalid_wrapper_arguments():
    with pytest.raises(ValueError, match="use_ema"):
        LayerwiseDecayOptimizer(keras.optimizers.Adam(use_ema=True), {})
    with pytest.raises(ValueError, match=">= 0"):
        LayerwiseDecayOptimizer(keras.optimizers.Adam(), {"a/kernel": -1.0})
    with pytest.raises(ValueError, match="inner optimizer"):
        LayerwiseDecayOptimizer(keras.optimizers.Adam(), {}, clipnorm=1.0)


def test_config_round_trip():
    model = build_classifier()
    schedule = ElectraLearningRateSchedule(1e-4, num_train_steps=100, warmup_proportion=0.1)
    optimizer = create_optimizer(schedule, bias_correction=False, layerwise_decay=0.8,
                                 model=model, original_off_by_one=True)
    config = optimizer.get_config()
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(optimizer))
    assert isinstance(revived, LayerwiseDecayOptimizer)
    assert revived.get_config() == config
    assert dict(revived.multipliers) == dict(optimizer.multipliers)
    assert revived.inner_optimizer.bias_correction is False
    assert float(revived.learning_rate) == float(optimizer.learning_rate)


def test_fit_save_load_and_resume(tmp_path):
    inputs = tiny_inputs(batch_size=4)
    labels = np.array([0, 1, 2, 1])
    model = build_classifier()
    schedule = ElectraLearningRateSchedule(1e-2, num_train_steps=20, warmup_steps=2)
    model.compile(
        optimizer=create_optimizer(schedule, layerwise_decay=0.8, model=model),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    before = {v.path: to_numpy(v) for v in model.trainable_variables}
    model.fit(inputs, labels, batch_size=4, epochs=3, shuffle=False, verbose=0)
    assert int(to_numpy(model.optimizer.iterations)) == 3
    # Lower layers moved less than the head (same-shaped biases compared).
    moved = {p: np.abs(to_numpy(v) - before[p]).max() for p, v in
             ((v.path, v) for v in model.trainable_variables)}
    assert moved["embeddings/token_embedding/embeddings"] < moved["logits/kernel"]

    path = os.path.join(tmp_path, "classifier.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, LayerwiseDecayOptimizer)
    assert dict(loaded.optimizer.multipliers) == dict(model.optimizer.multipliers)
    assert int(to_numpy(loaded.optimizer.iterations)) == 3
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b))
    # One more step on both gives the same weights: the state was fully restored.
    model.fit(inputs, labels, batch_size=4, epochs=1, shuffle=False, verbose=0)
    loaded.fit(inputs, labels, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.trainable_variables, loaded.trainable_variables):
        assert a.path == b.path
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-6)
