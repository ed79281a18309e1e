"""The torch multi-tensor optimizer path equals the generic per-variable one."""

import keras
import numpy as np
import pytest

from keras_electra.training import ElectraAdamWeightDecay
from keras_electra.training import create_optimizer
from keras_electra.fast_paths import torch_foreach
from tests.helpers import tiny_backbone_kwargs

pytestmark = pytest.mark.skipif(
    keras.config.backend() != "torch", reason="torch-only fast path"
)


class GenericPath(ElectraAdamWeightDecay):
    """The same optimizer through Keras' per-variable `update_step` loop."""

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        for grad, variable in zip(grads, trainable_variables):
            self.update_step(grad, variable, learning_rate)

    def _clip_gradients(self, grads):
        return keras.optimizers.Optimizer._clip_gradients(self, grads)


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float64")


def variables_and_grads(seed, num_steps):
    rng = np.random.default_rng(seed)
    shapes = {"kernel": (5, 3), "bias": (3,), "gamma": (3,), "embeddings": (7, 2)}
    initial = {n: rng.normal(size=s).astype("float32") for n, s in shapes.items()}
    grads = [
        [rng.normal(scale=3.0, size=s).astype("float32") for s in shapes.values()]
        for _ in range(num_steps)
    ]
    return initial, grads


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(bias_correction=False),
        dict(bias_correction=True),
        dict(bias_correction=True, amsgrad=True),
        dict(bias_correction=False, global_clipnorm=1.0),
        dict(bias_correction=True, global_clipnorm=1.0, gradient_accumulation_steps=2),
    ],
    ids=["original", "bias-corrected", "amsgrad", "clipped", "accumulated"],
)
def test_foreach_step_equals_generic_step(kwargs):
    initial, grads = variables_and_grads(0, num_steps=6)
    results = []
    for cls in (ElectraAdamWeightDecay, GenericPath):
        variables = [keras.Variable(v, name=n) for n, v in initial.items()]
        optimizer = cls(learning_rate=0.05, weight_decay=0.1, beta_1=0.8, beta_2=0.95,
                        **kwargs)
        for step in grads:
            optimizer.apply([keras.ops.convert_to_tensor(g) for g in step], variables)
        results.append([to_numpy(v) for v in variables])
    for fast, generic, start in zip(*results, initial.values()):
        assert np.abs(fast - start).max() > 1e-3
        np.testing.assert_allclose(fast, generic, rtol=1e-6, atol=1e-7)


def test_foreach_path_replaces_per_variable_updates(monkeypatch):
    calls = []
    monkeypatch.setattr(
        ElectraAdamWeightDecay, "update_step", lambda *args: calls.append(args)
    )
    initial, grads = variables_and_grads(1, num_steps=1)
    variables = [keras.Variable(v, name=n) for n, v in initial.items()]
    before = [to_numpy(v) for v in variables]
    create_optimizer(0.1).apply([keras.ops.convert_to_tensor(g) for g in grads[0]], variables)
    assert calls == []
    assert all(np.abs(to_numpy(v) - b).max() > 0 for v, b in zip(variables, before))


def test_clip_by_global_norm_matches_keras_including_non_finite():
    from keras.src.optimizers.base_optimizer import clip_by_global_norm

    rng = np.random.default_rng(2)
    grads = [keras.ops.convert_to_tensor(rng.normal(size=s).astype("float32"))
             for s in [(4, 3), (3,)]]
    for clip_norm in (0.5, 100.0):
        fast = torch_foreach.clip_by_global_norm(grads + [None], clip_norm)
        assert fast[-1] is None
        for a, b in zip(fast, clip_by_global_norm(grads, clip_norm)):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6)
    infinite = [grads[0], keras.ops.full((3,), np.inf)]
    assert np.isnan(to_numpy(torch_foreach.clip_by_global_norm(infinite, 1.0)[0])).all()


def test_backbone_fit_matches_generic_path():
    from keras_electra.models import ElectraBackbone

    rng = np.random.default_rng(3)
    x = {
        "token_ids": rng.integers(5, tiny_backbone_kwargs()["vocabulary_size"], (8, 12)).astype("int32"),
        "segment_ids": np.zeros((8, 12), "int32"),
        "padding_mask": np.ones((8, 12), "int32"),
    }
    y = rng.integers(0, 2, (8,)).astype("int32")
    weights = []
    for cls in (ElectraAdamWeightDecay, GenericPath):
        keras.utils.set_random_seed(0)
        backbone = ElectraBackbone(**tiny_backbone_kwargs(), dropout=0.0)
        logits = keras.layers.Dense(2, name="logits")(backbone.output["pooled_output"])
        model = keras.Model(backbone.input, logits)
        model.compile(
            optimizer=cls(learning_rate=1e-2, global_clipnorm=1.0),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        weights.append([to_numpy(v) for v in model.trainable_variables])
    for fast, generic in zip(*weights):
        np.testing.assert_allclose(fast, generic, rtol=1e-5, atol=1e-6)


def test_layerwise_decay_rescales_with_foreach(monkeypatch):
    from keras_electra.training import LayerwiseDecayOptimizer

    calls = []
    original = torch_foreach.interpolate
    monkeypatch.setattr(
        torch_foreach, "interpolate", lambda *args: calls.append(args) or original(*args)
    )
    initial, grads = variables_and_grads(4, num_steps=1)
    variables = [keras.Variable(v, name=n) for n, v in initial.items()]
    multipliers = dict(zip([v.path for v in variables], [0.5, 1.0, 0.25, 0.0]))
    optimizer = LayerwiseDecayOptimizer(keras.optimizers.SGD(0.1), multipliers)
    optimizer.apply([keras.ops.convert_to_tensor(g) for g in grads[0]], variables)
    assert len(calls) == 1 and len(calls[0][0]) == 3  # the multiplier-1 variable is skipped
    for variable, start, grad, multiplier in zip(
        variables, initial.values(), grads[0], multipliers.values()
    ):
        np.testing.assert_allclose(
            to_numpy(variable), start - multiplier * 0.1 * grad, rtol=1e-5, atol=1e-6
        )


def test_zero_learning_rate_leaves_weights_unchanged():
    # The step size is folded into the denominator: a zero rate (warmup's first
    # step) divides by zero there and must still give a zero, finite update.
    initial, grads = variables_and_grads(1, num_steps=2)
    variables = [keras.Variable(v, name=n) for n, v in initial.items()]
    optimizer = ElectraAdamWeightDecay(learning_rate=0.0, weight_decay=0.1)
    for step in grads:
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in step], variables)
    for variable, start in zip(variables, initial.values()):
        np.testing.assert_array_equal(to_numpy(variable), start)
