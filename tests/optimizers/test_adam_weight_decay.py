import os

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.training import ElectraAdamWeightDecay
from keras_electra.training import ElectraLearningRateSchedule
from keras_electra.training import LayerwiseDecayOptimizer
from keras_electra.training import create_optimizer
from tests.helpers import tiny_backbone_kwargs


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float64")


def original_adam_reference(w0, grads_per_step, lrs, beta_1, beta_2, eps, wd, decayed):
    """google-research/electra AdamWeightDecayOptimizer, in float64 numpy."""
    w, m, v = np.array(w0, "float64"), np.zeros_like(w0, "float64"), np.zeros_like(w0, "float64")
    for g, lr in zip(grads_per_step, lrs):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        update = m / (np.sqrt(v) + eps)
        if decayed:
            update += wd * w
        w = w - lr * update
    return w


def bias_corrected_reference(w0, grads_per_step, lrs, beta_1, beta_2, eps, wd, decayed):
    """AdamW with Keras' bias correction (epsilon outside the correction)."""
    w, m, v = np.array(w0, "float64"), np.zeros_like(w0, "float64"), np.zeros_like(w0, "float64")
    for t, (g, lr) in enumerate(zip(grads_per_step, lrs), start=1):
        if decayed:
            w = w - lr * wd * w
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (np.sqrt(v) + eps)
    return w


def make_variables(rng):
    kernel = keras.Variable(rng.normal(size=(3, 4)).astype("float32"), name="kernel")
    bias = keras.Variable(rng.normal(size=(4,)).astype("float32"), name="bias")
    gamma = keras.Variable(rng.normal(size=(4,)).astype("float32"), name="gamma")
    return [kernel, bias, gamma]


@pytest.mark.parametrize("bias_correction", [False, True])
@pytest.mark.parametrize("use_schedule", [False, True])
def test_update_matches_numpy_reference(bias_correction, use_schedule):
    rng = np.random.default_rng(0)
    variables = make_variables(rng)
    initial = [to_numpy(v) for v in variables]
    num_steps = 4
    grads = [[rng.normal(size=v.shape).astype("float32") for v in variables]
             for _ in range(num_steps)]
    tensor_grads = [[keras.ops.convert_to_tensor(g) for g in step] for step in grads]
    if use_schedule:
        learning_rate = ElectraLearningRateSchedule(0.05, num_train_steps=6, warmup_steps=2)
        lrs = [0.05 * min(1, t / 2) * (1 - t / 6) for t in range(num_steps)]
    else:
        learning_rate, lrs = 0.05, [0.05] * num_steps
    beta_1, beta_2, eps, wd = 0.8, 0.95, 1e-6, 0.1
    optimizer = ElectraAdamWeightDecay(
        learning_rate=learning_rate, weight_decay=wd, beta_1=beta_1,
        beta_2=beta_2, epsilon=eps, bias_correction=bias_correction,
    )
    for step_grads in tensor_grads:
        optimizer.apply(step_grads, variables)
    reference = bias_corrected_reference if bias_correction else original_adam_reference
    for i, (variable, w0) in enumerate(zip(variables, initial)):
        expected = reference(w0, [g[i] for g in grads], lrs, beta_1, beta_2, eps, wd,
                             decayed=variable.name == "kernel")
        np.testing.assert_allclose(to_numpy(variable), expected, rtol=2e-5, atol=2e-6)
    # The original's Adam moves noticeably differently in early steps.
    other = bias_corrected_reference if not bias_correction else original_adam_reference
    kernel_other = other(initial[0], [g[0] for g in grads], lrs, beta_1, beta_2, eps, wd, True)
    assert np.abs(to_numpy(variables[0]) - kernel_other).max() > 1e-3


def test_bias_correction_equals_keras_adamw():
    rng = np.random.default_rng(1)
    ours, theirs = make_variables(rng), None
    theirs = [keras.Variable(to_numpy(v).astype("float32"), name=v.name) for v in ours]
    grads = [keras.ops.convert_to_tensor(rng.normal(size=v.shape).astype("float32"))
             for v in ours]
    electra = ElectraAdamWeightDecay(learning_rate=0.01, weight_decay=0.05, bias_correction=True)
    adamw = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.05, epsilon=1e-6)
    adamw.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    for _ in range(3):
        electra.apply(grads, ours)
        adamw.apply(grads, theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-7)


def test_weight_decay_excludes_layer_norm_and_biases_of_backbone():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    head = keras.layers.Dense(2, name="logits")
    outputs = head(backbone(backbone.input)["pooled_output"])
    model = keras.Model(backbone.input, outputs)
    optimizer = create_optimizer(0.1, weight_decay=0.5)
    assert isinstance(optimizer, keras.optimizers.AdamW)
    before = {v.path: to_numpy(v) for v in model.trainable_variables}
    # Zero gradients: the Adam step is 0, only weight decay moves a variable.
    zeros = [keras.ops.zeros(v.shape) for v in model.trainable_variables]
    optimizer.apply(zeros, model.trainable_variables)
    decayed, kept = set(), set()
    for variable in model.trainable_variables:
        after = to_numpy(variable)
        if np.allclose(after, before[variable.path], rtol=0, atol=0):
            kept.add(variable.path)
        else:
            np.testing.assert_allclose(after, before[variable.path] * (1 - 0.1 * 0.5), rtol=1e-6)
            decayed.add(variable.path)
    for path in kept:
        assert path.endswith(("/gamma", "/beta", "/bias")), path
    for path in decayed:
        assert path.endswith(("/kernel", "/embeddings")), path
    assert "embeddings/layer_norm/gamma" in kept
    assert "transformer_layer_0/feedforward_layer_norm/beta" in kept
    assert "transformer_layer_1/self_attention_layer/query/bias" in kept
    assert "logits/bias" in kept
    assert "embeddings/token_embedding/embeddings" in decayed
    assert "embeddings/position_embedding/embeddings" in decayed
    assert "transformer_layer_0/feedforward_intermediate_dense/kernel" in decayed
    assert "logits/kernel" in decayed


def test_create_optimizer_defaults_follow_original():
    optimizer = create_optimizer(1e-4)
    assert optimizer.beta_1 == 0.9 and optimizer.beta_2 == 0.999
    assert optimizer.epsilon == 1e-6 and optimizer.weight_decay == 0.01
    assert optimizer.global_clipnorm == 1.0 and optimizer.clipnorm is None
    assert optimizer.bias_correction is True
    assert create_optimizer(1e-4, bias_correction=False).bias_correction is False
    clip_each = create_optimizer(1e-4, global_clipnorm=None, clipnorm=2.0)
    assert clip_each.clipnorm == 2.0 and clip_each.global_clipnorm is None


def test_global_clipnorm_clips_before_update():
    # A large epsilon makes the Adam step depend on the gradient's scale.
    variable = keras.Variable(np.zeros(2, "float32"), name="kernel")
    optimizer = create_optimizer(1.0, weight_decay=0.0, epsilon=1.0,
                                 bias_correction=False, global_clipnorm=1.0)
    optimizer.apply([keras.ops.convert_to_tensor([30.0, 40.0])], [variable])
    clipped = np.array([0.6, 0.8])  # [30, 40] scaled to global norm 1
    expected = original_adam_reference(np.zeros(2), [clipped], [1.0], 0.9, 0.999, 1.0, 0.0, False)
    np.testing.assert_allclose(to_numpy(variable), expected, rtol=1e-5)


def test_config_round_trip_keeps_exclusions_and_bias_correction():
    schedule = ElectraLearningRateSchedule(1e-4, num_train_steps=100, warmup_steps=10)
    optimizer = create_optimizer(schedule, bias_correction=False,
                                 weight_decay_exclusions=["bias", "layer_norm"])
    config = optimizer.get_config()
    assert config["bias_correction"] is False
    assert config["weight_decay_exclusions"] == ["bias", "layer_norm"]
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(optimizer))
    assert isinstance(revived, ElectraAdamWeightDecay)
    assert revived.bias_correction is False
    assert revived.weight_decay_exclusions == ("bias", "layer_norm")
    assert isinstance(revived._learning_rate, ElectraLearningRateSchedule)
    kernel = keras.Variable(np.ones(2, "float32"), name="kernel")
    bias = keras.Variable(np.ones(2, "float32"), name="bias")
    assert revived._use_weight_decay(kernel) and not revived._use_weight_decay(bias)


def test_saved_model_keeps_optimizer_settings(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.LayerNormalization(),
                              keras.layers.Dense(2)])
    model.compile(optimizer=create_optimizer(1e-3, bias_correction=False), loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, ElectraAdamWeightDecay)
    assert loaded.optimizer.bias_correction is False
    assert loaded.optimizer.weight_decay_exclusions == ("gamma", "beta", "bias")
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b))


def test_create_optimizer_with_layerwise_decay_wraps():
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    optimizer = create_optimizer(1e-4, layerwise_decay=0.8, model=backbone)
    assert isinstance(optimizer, LayerwiseDecayOptimizer)
    assert isinstance(optimizer.inner_optimizer, ElectraAdamWeightDecay)
    assert optimizer.multipliers["transformer_layer_1/feedforward_output_dense/kernel"] == 0.8


def test_invalid_arguments():
    with pytest.raises(ValueError, match="global_clipnorm"):
        create_optimizer(1e-4, clipnorm=1.0)
    with pytest.raises(ValueError, match="model"):
        create_optimizer(1e-4, layerwise_decay=0.8)
    with pytest.raises(ValueError, match="amsgrad"):
        ElectraAdamWeightDecay(amsgrad=True, bias_correction=False)
    with pytest.raises(ValueError, match="regular expression"):
        ElectraAdamWeightDecay(weight_decay_exclusions=["(unclosed"])
