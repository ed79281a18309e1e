"""Fused kernels (torch_kernels, tensorflow_kernels, jax_kernels) equal the Keras layers' own call."""

import keras
import numpy as np
import pytest

from keras_electra.fast_paths import direct_calls
from keras_electra.fast_paths.matrix_projection import contracted_axes

BACKEND = keras.config.backend()
fused = pytest.mark.skipif(
    BACKEND not in ("torch", "tensorflow"), reason="fused kernels exist for torch and tensorflow"
)
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="a torch kernel")
jax_only = pytest.mark.skipif(BACKEND != "jax", reason="a jax kernel")


def kernels():
    if BACKEND == "torch":
        from keras_electra.fast_paths import torch_kernels

        return torch_kernels
    from keras_electra.fast_paths import tensorflow_kernels

    return tensorflow_kernels


def tensor(*shape, seed=0, dtype="float32"):
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    return keras.ops.cast(keras.ops.convert_to_tensor(x), dtype)


def numpy(x):
    if BACKEND == "torch":
        x = x.detach()
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(x, "float32")))


def value_and_gradients(fn, x, variables):
    """fn(x) and the gradients of a fixed weighted sum of it wrt x and variables."""
    def loss(y):
        weights = np.random.default_rng(1).normal(size=tuple(y.shape)).astype("float32")
        return keras.ops.sum(keras.ops.cast(y, "float32") * keras.ops.convert_to_tensor(weights))

    if BACKEND == "torch":
        x = x.detach().clone().requires_grad_(True)
        y = fn(x)
        loss(y).backward()
        grads = [x.grad] + [v.value.grad.clone() for v in variables]
        for v in variables:
            v.value.grad = None
        return y, grads
    if BACKEND == "jax":
        import jax

        def total(x, values):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                y = fn(x)
            return loss(y), y

        grad = jax.grad(total, argnums=(0, 1), has_aux=True)
        (x_grad, variable_grads), y = grad(x, [v.value for v in variables])
        return y, [x_grad] + list(variable_grads)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        total = loss(y)
    return y, tape.gradient(total, [x] + [v.value for v in variables])


def assert_same_values_and_gradients(layer, kernel, x, atol=1e-6):
    """kernel(layer, x) equals layer(x), and so do the gradients."""
    expected, expected_grads = value_and_gradients(layer, x, layer.trainable_variables)
    actual, actual_grads = value_and_gradients(
        lambda t: kernel(layer, t), x, layer.trainable_variables
    )
    assert actual.dtype == expected.dtype and tuple(actual.shape) == tuple(expected.shape)
    np.testing.assert_allclose(numpy(actual), numpy(expected), atol=atol, rtol=1e-5)
    for a, e in zip(actual_grads, expected_grads):
        np.testing.assert_allclose(numpy(a), numpy(e), atol=atol, rtol=1e-5)


@fused
@pytest.mark.parametrize("activation", [None, "gelu", "relu"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense(activation, use_bias):
    layer = keras.layers.Dense(6, activation=activation, use_bias=use_bias)
    layer.build((2, 5, 4))
    if use_bias:
        layer.bias.assign(np.linspace(-1, 1, 6))
    assert_same_values_and_gradients(layer, kernels().project, tensor(2, 5, 4))


@fused
def test_dense_with_lora_and_2d_inputs():
    layer = keras.layers.Dense(6)
    layer.build((None, 4))
    layer.enable_lora(2)
    layer.lora_kernel_b.assign(np.ones((2, 6)) * 0.1)
    assert_same_values_and_gradients(layer, kernels().project, tensor(3, 4))


@fused
def test_dense_in_mixed_bfloat16():
    layer = keras.layers.Dense(6, activation="gelu", dtype="mixed_bfloat16")
    layer.build((None, 5, 4))
    x = tensor(2, 5, 4, dtype="bfloat16")
    expected = layer(x)
    # Under the layer's autocast scope, as its `__call__` would open.
    with keras.src.backend.AutocastScope("bfloat16"):
        actual = kernels().project(layer, x)
    assert keras.backend.standardize_dtype(actual.dtype) == "bfloat16"
    np.testing.assert_allclose(numpy(actual), numpy(expected), atol=1e-2)


@fused
def test_dense_declines_other_dtypes():
    layer = keras.layers.Dense(6)
    layer.build((None, 4))
    assert kernels().project(layer, tensor(3, 4, dtype="float64")) is None


@fused
@pytest.mark.parametrize(
    "equation, bias_axes, output_shape, x_shape",
    [
        ("abc,cde->abde", "de", (7, 3, 5), (2, 7, 4)),  # query/key/value
        ("abcd,cde->abe", "e", (7, 6), (2, 7, 3, 5)),  # attention output
        ("ab,bc->ac", "c", (6,), (2, 4)),
        ("abc,cde->abde", None, (7, 3, 5), (2, 7, 4)),
    ],
)
def test_einsum_dense(equation, bias_axes, output_shape, x_shape):
    layer = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    layer.build(x_shape)
    if bias_axes:
        layer.bias.assign(np.random.default_rng(2).normal(size=layer.bias.shape))
    assert_same_values_and_gradients(layer, kernels().project, tensor(*x_shape))


@fused
def test_einsum_dense_declines_a_bias_over_other_axes_and_other_equations():
    layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(7, 3, 5), bias_axes="e")
    layer.build((2, 7, 4))
    assert kernels().project(layer, tensor(2, 7, 4)) is None
    layer = keras.layers.EinsumDense("abc,cd->adb", output_shape=(5, 7))
    layer.build((2, 7, 4))
    assert kernels().project(layer, tensor(2, 7, 4)) is None


@pytest.mark.parametrize(
    "equation, expected",
    [
        ("abc,cde->abde", 1),
        ("abcd,cde->abe", 2),
        ("ab,bc->ac", 1),
        ("...b,bc->...c", None),  # ellipsis
        ("abc,cd->dab", None),  # output axes reordered
        ("abc,bcd->abd", None),  # a contracted axis kept in the output
        ("abc,dce->abde", None),  # contraction not on the kernel's leading axes
        ("aab,bc->aac", None),  # repeated axis
    ],
)
def test_contracted_axes(equation, expected):
    assert contracted_axes(equation) == expected


@fused
@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False)])
def test_layer_norm(center, scale):
    layer = keras.layers.LayerNormalization(epsilon=1e-12, center=center, scale=scale)
    layer.build((2, 5, 8))
    if scale:
        layer.gamma.assign(np.linspace(0.5, 1.5, 8))
    if center:
        layer.beta.assign(np.linspace(-1, 1, 8))
    assert_same_values_and_gradients(layer, kernels().layer_norm, tensor(2, 5, 8))


@torch_only
def test_layer_norm_in_bfloat16_normalizes_in_float32():
    layer = keras.layers.LayerNormalization(dtype="mixed_bfloat16")
    layer.build((2, 5, 8))
    layer.gamma.assign(np.linspace(0.5, 1.5, 8))
    x = tensor(2, 5, 8, dtype="bfloat16") * 3 + 1
    expected = layer(x)
    actual = kernels().layer_norm(layer, x)
    assert keras.backend.standardize_dtype(actual.dtype) == "bfloat16"
    np.testing.assert_array_equal(numpy(actual), numpy(expected))


@fused
def test_layer_norm_declines_other_axes_and_rms_scaling():
    first_axis = keras.layers.LayerNormalization(axis=1)
    first_axis.build((2, 5, 8))
    assert kernels().layer_norm(first_axis, tensor(2, 5, 8)) is None
    with pytest.warns(UserWarning):
        rms = keras.layers.LayerNormalization(rms_scaling=True)
    rms.build((2, 5, 8))
    assert kernels().layer_norm(rms, tensor(2, 5, 8)) is None


@pytest.mark.skipif(BACKEND != "tensorflow", reason="a tensorflow kernel")
def test_tensorflow_layer_norm_at_electra_epsilon_on_small_variance_and_in_a_graph(monkeypatch):
    import tensorflow as tf

    tf_kernels = kernels()
    layer = keras.layers.LayerNormalization(epsilon=1e-12)
    layer.build((None, None, 8))
    layer.gamma.assign(np.linspace(0.5, 1.5, 8))
    x = tensor(3, 4, 8) * 1e-4  # variance 1e-8: a raised epsilon would show
    np.testing.assert_allclose(numpy(tf_kernels.layer_norm(layer, x)), numpy(layer(x)),
                               atol=1e-5, rtol=1e-5)
    graph = tf.function(lambda t: tf_kernels.layer_norm(layer, t), jit_compile=False)
    traced = graph.get_concrete_function(tf.TensorSpec((None, None, 8), tf.float32))
    assert traced.structured_outputs.shape.as_list() == [None, None, 8]
    np.testing.assert_allclose(numpy(graph(x)), numpy(layer(x)), atol=1e-5, rtol=1e-5)
    # Declined: half precision, and a GPU below cuDNN's smallest epsilon.
    assert tf_kernels.layer_norm(layer, tf.cast(x, tf.bfloat16)) is None
    monkeypatch.setattr(tf_kernels, "_has_gpu", lambda: True)
    assert tf_kernels.layer_norm(layer, x) is None
    layer.epsilon = 1e-3
    assert tf_kernels.layer_norm(layer, x) is not None


@torch_only
@pytest.mark.parametrize("mask_rows", ["padding", "none", "empty row"])
def test_masked_attention_equals_keras_masked_softmax(mask_rows):
    query, key, value = (tensor(3, 6, 2, 4, seed=s) for s in range(3))
    mask = None
    if mask_rows != "none":
        padding = np.ones((3, 6), bool)
        padding[1, 4:] = False
        if mask_rows == "empty row":
            padding[2] = False
        mask = keras.ops.convert_to_tensor(padding[:, None, None, :])  # [B, 1, 1, S]
    actual = kernels().masked_attention(query, key, value, mask, 0.5)
    # Keras' MultiHeadAttention arithmetic: scaled scores, masked softmax.
    scores = keras.ops.einsum("aecd,abcd->acbe", key, query * 0.5)
    probabilities = keras.layers.Softmax(axis=-1)(scores, mask=mask)
    expected = keras.ops.einsum("acbe,aecd->abcd", probabilities, value)
    np.testing.assert_allclose(numpy(actual), numpy(expected), atol=1e-6)
    if mask_rows == "empty row":
        np.testing.assert_array_equal(numpy(actual)[2], 0.0)


@fused
def test_call_directly_uses_the_kernel_for_exact_classes(monkeypatch):
    calls = []

    class LoggedDense(keras.layers.Dense):
        def call(self, inputs, training=None):
            calls.append(self.name)
            return super().call(inputs) + 1.0

    plain, subclass = keras.layers.Dense(3, name="plain"), LoggedDense(3, name="subclass")
    for layer in (plain, subclass):
        layer.build((None, 4))
    x = tensor(2, 4)
    expected = numpy(plain(x))
    with monkeypatch.context() as patch:
        patch.setattr(keras.layers.Dense, "call", lambda *a, **k: pytest.fail("Dense.call ran"))
        actual = direct_calls.call_directly(plain, x, training=False)
    np.testing.assert_allclose(numpy(actual), expected, atol=1e-6)
    subclass.set_weights(plain.get_weights())
    np.testing.assert_allclose(numpy(direct_calls.call_directly(subclass, x)), expected + 1.0, atol=1e-6)
    assert calls == ["subclass"]  # a subclass's own call is respected


@jax_only
@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.Dense(6, activation="gelu"),
        keras.layers.Dense(6, activation="gelu", use_bias=False),
        keras.layers.EinsumDense("abc,cde->abde", (5, 3, 2), bias_axes="de", activation="gelu"),
    ],
    ids=["dense", "dense_without_bias", "einsum_dense"],
)
def test_jax_projection_with_gelu_equals_keras(layer):
    from keras_electra.fast_paths import jax_kernels

    layer.build((2, 5, 4))
    if layer.bias is not None:
        layer.bias.assign(np.random.default_rng(2).normal(size=layer.bias.shape))
    assert_same_values_and_gradients(layer, jax_kernels.project, tensor(2, 5, 4) * 3)


@jax_only
def test_jax_gelu_is_the_exact_gelu():
    from scipy.special import erf

    from keras_electra.fast_paths import jax_kernels

    x = np.linspace(-12, 12, 2001).astype("float32")
    expected = 0.5 * x.astype("float64") * (1 + erf(x.astype("float64") / np.sqrt(2)))
    actual = np.asarray(jax_kernels.gelu(keras.ops.convert_to_tensor(x)))
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, atol=1e-6, rtol=1e-6)


@jax_only
@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
def test_jax_projection_declines_other_activations(activation):
    from keras_electra.fast_paths import jax_kernels

    layer = keras.layers.Dense(6, activation=activation)
    layer.build((None, 4))
    assert jax_kernels.project(layer, tensor(3, 4)) is None


@jax_only
def test_call_directly_runs_layer_call_on_jax(monkeypatch):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    calls = []
    original = keras.layers.Dense.call
    monkeypatch.setattr(
        keras.layers.Dense, "call", lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    )
    direct_calls.call_directly(layer, tensor(2, 4))
    assert calls == [1]


@torch_only
def test_masked_attention_dropout_is_unbiased_and_respects_the_mask():
    import torch

    # One query/key/value set repeated over a large batch: each row is an
    # independent dropout draw of the same attention.
    query, key, value = (tensor(1, 5, 2, 4, seed=s) for s in range(3))
    padding = np.ones((1, 5), bool)
    padding[0, 3:] = False
    value = value.clone()
    value[:, 3:] = 1e6  # padded keys must never leak in, dropped or not
    rows = 4000
    query, key, value = (t.expand(rows, -1, -1, -1) for t in (query, key, value))
    mask = torch.tensor(padding[:, None, None, :]).expand(rows, -1, -1, -1)
    exact = kernels().masked_attention(query[:1], key[:1], value[:1], mask[:1], 0.5)
    torch.manual_seed(3)
    dropped = kernels().masked_attention(query, key, value, mask, 0.5, dropout_rate=0.3)
    torch.manual_seed(3)
    again = kernels().masked_attention(query, key, value, mask, 0.5, dropout_rate=0.3)
    np.testing.assert_array_equal(numpy(dropped), numpy(again))
    dropped = numpy(dropped)
    assert np.abs(dropped).max() < 100.0
    assert not np.allclose(dropped[0], dropped[1])
    # Inverted dropout keeps the expectation: the mean over draws is the exact
    # attention, within 5 standard errors of the mean.
    standard_error = dropped.std(axis=0) / np.sqrt(rows)
    assert (np.abs(dropped.mean(axis=0) - numpy(exact)[0]) < 5 * standard_error + 1e-6).all()


@torch_only
def test_encoder_layer_uses_sdpa_dropout_only_for_unseeded_attention_dropout(monkeypatch):
    from keras_electra.layers import ElectraEncoderLayer
    from keras_electra.fast_paths import torch_kernels

    layer = ElectraEncoderLayer(num_heads=2, intermediate_dim=16, dropout=0.1)
    layer.build((2, 6, 8))
    rates = []
    original = torch_kernels.masked_attention

    def spy(*args):
        rates.append(args[-1])
        return original(*args)

    monkeypatch.setattr(torch_kernels, "masked_attention", spy)
    x, padding_mask = tensor(2, 6, 8), np.ones((2, 6), "int32")
    layer(x, padding_mask=padding_mask, training=True)
    layer(x, padding_mask=padding_mask, training=False)
    assert rates == [0.1, 0.0]
    attention = layer._self_attention_layer
    # As if the attention's dropout layer had been built with a seed.
    monkeypatch.setattr(attention._dropout_layer.seed_generator, "_initial_seed", 4)
    layer(x, padding_mask=padding_mask, training=True)  # Keras' unfused path, seeded draw
    assert rates == [0.1, 0.0]
