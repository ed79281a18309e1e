"""Original google-research/electra TF1 checkpoints -> ElectraBackbone, against a numpy
re-implementation of the original graph (model/modeling.py, run_pretraining.py)."""

import math
import os

import numpy as np
import pytest

from keras_electra.convert import tf1
from keras_electra.utils.safetensors_io import CheckpointFileError
from keras_electra.convert.transformers_names import HEAD_TABLES
from keras_electra.convert.weights import ConversionError
from tests.conftest import requires_tf
from tests.convert import convert_helpers as h

V, E, P, H, I, HG, IG = h.VOCAB_SIZE, h.EMBED, h.MAX_LEN, 16, 32, 12, 24


def original_variables(rng, layers=2, gen_layers=1):
    """Random variables with the names and shapes the original code creates."""
    def n(*shape):
        return rng.normal(0, 0.2, shape).astype("float32")

    v = {
        "electra/embeddings/word_embeddings": n(V, E),
        "electra/embeddings/token_type_embeddings": n(2, E),
        "electra/embeddings/position_embeddings": n(P, E),
        "electra/embeddings/LayerNorm/gamma": 1 + n(E),
        "electra/embeddings/LayerNorm/beta": n(E),
    }
    for scope, hidden, inter, count in (("electra", H, I, layers), ("generator", HG, IG, gen_layers)):
        v[f"{scope}/embeddings_project/kernel"] = n(E, hidden)
        v[f"{scope}/embeddings_project/bias"] = n(hidden)
        for i in range(count):
            p = f"{scope}/encoder/layer_{i}/"
            for name in ("query", "key", "value"):
                v[p + f"attention/self/{name}/kernel"] = n(hidden, hidden)
                v[p + f"attention/self/{name}/bias"] = n(hidden)
            v[p + "attention/output/dense/kernel"] = n(hidden, hidden)
            v[p + "attention/output/dense/bias"] = n(hidden)
            v[p + "intermediate/dense/kernel"] = n(hidden, inter)
            v[p + "intermediate/dense/bias"] = n(inter)
            v[p + "output/dense/kernel"] = n(inter, hidden)
            v[p + "output/dense/bias"] = n(hidden)
            for ln in ("attention/output/LayerNorm", "output/LayerNorm"):
                v[p + ln + "/gamma"] = 1 + n(hidden)
                v[p + ln + "/beta"] = n(hidden)
    v["generator_predictions/dense/kernel"] = n(HG, E)
    v["generator_predictions/dense/bias"] = n(E)
    v["generator_predictions/LayerNorm/gamma"] = 1 + n(E)
    v["generator_predictions/LayerNorm/beta"] = n(E)
    v["generator_predictions/output_bias"] = n(V)
    v["discriminator_predictions/dense/kernel"] = n(H, H)
    v["discriminator_predictions/dense/bias"] = n(H)
    v["discriminator_predictions/dense_1/kernel"] = n(H, 1)
    v["discriminator_predictions/dense_1/bias"] = n(1)
    return v


def write_checkpoint(variables, prefix):
    """Saves `variables` as a TF1 name-based checkpoint, with Adam slots and global_step."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf_vars = [tf.compat.v1.get_variable(k, initializer=val) for k, val in variables.items()]
        for k, val in list(variables.items())[:3]:  # AdamWeightDecayOptimizer slots
            tf_vars.append(tf.compat.v1.get_variable(k + "/adam_m", initializer=np.zeros_like(val)))
            tf_vars.append(tf.compat.v1.get_variable(k + "/adam_v", initializer=np.zeros_like(val)))
        tf_vars.append(tf.compat.v1.train.get_or_create_global_step())
        saver = tf.compat.v1.train.Saver(tf_vars)
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.save(sess, prefix, write_meta_graph=False)
    return prefix


# --- numpy reference of the original TF1 graph ---------------------------

def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def layer_norm(x, gamma, beta):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * gamma + beta


def original_forward(v, scope, num_heads, x):
    ids, seg, mask = x["token_ids"], x["segment_ids"], x["padding_mask"]
    e = "electra/embeddings/"
    out = v[e + "word_embeddings"][ids] + v[e + "token_type_embeddings"][seg]
    out = out + v[e + "position_embeddings"][: ids.shape[1]]
    out = layer_norm(out, v[e + "LayerNorm/gamma"], v[e + "LayerNorm/beta"])
    out = out @ v[f"{scope}/embeddings_project/kernel"] + v[f"{scope}/embeddings_project/bias"]
    adder = (1.0 - mask[:, None, None, :].astype("float32")) * -10000.0
    i = 0
    while f"{scope}/encoder/layer_{i}/output/dense/kernel" in v:
        p = f"{scope}/encoder/layer_{i}/"
        d = lambda name, t: t @ v[p + name + "/kernel"] + v[p + name + "/bias"]  # noqa: E731
        b, t, hidden = out.shape
        split = lambda t: t.reshape(b, -1, num_heads, hidden // num_heads).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, val = (split(d(f"attention/self/{n}", out)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hidden // num_heads) + adder
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ val).transpose(0, 2, 1, 3).reshape(b, t, hidden)
        att = layer_norm(d("attention/output/dense", context) + out,
                         v[p + "attention/output/LayerNorm/gamma"], v[p + "attention/output/LayerNorm/beta"])
        out = layer_norm(d("output/dense", gelu(d("intermediate/dense", att))) + att,
                         v[p + "output/LayerNorm/gamma"], v[p + "output/LayerNorm/beta"])
        i += 1
    return out


@pytest.fixture
def checkpoint(tmp_path):
    variables = original_variables(np.random.default_rng(0))
    return variables, write_checkpoint(variables, str(tmp_path / "model.ckpt"))


@requires_tf
def test_discriminator_and_generator_match_original_graph(checkpoint, tmp_path):
    variables, prefix = checkpoint
    read = tf1.read_checkpoint(prefix)
    assert set(read) == set(variables)  # adam_m/adam_v and global_step skipped
    models = tf1.load_backbones(prefix, num_heads=2)
    disc, gen = models["discriminator"], models["generator"]
    assert (disc.hidden_dim, disc.embedding_dim, disc.num_heads, disc.num_layers) == (H, E, 2, 2)
    assert (gen.hidden_dim, gen.embedding_dim, gen.num_heads, gen.num_layers) == (HG, E, 1, 1)
    x = h.inputs()
    disc_out = h.sequence_output(disc, x)
    np.testing.assert_allclose(disc_out, original_forward(variables, "electra", 2, x), atol=1e-4)
    gen_out = h.sequence_output(gen, x)
    np.testing.assert_allclose(gen_out, original_forward(variables, "generator", 1, x), atol=1e-4)

    # Heads come out as named arrays, under the same names as transformers' heads.
    d = tf1.extract_head_weights(read, "discriminator_predictions")
    g = tf1.extract_head_weights(read, "generator_predictions")
    assert set(d) == set(HEAD_TABLES["discriminator_predictions"])
    assert set(g) == set(HEAD_TABLES["generator_predictions"])
    logits = (gelu(disc_out @ d["discriminator_predictions/dense/kernel"]
                   + d["discriminator_predictions/dense/bias"])
              @ d["discriminator_predictions/dense_1/kernel"])[..., 0]
    assert logits.shape == x["token_ids"].shape
    np.testing.assert_array_equal(g["generator_predictions/output_bias"],
                                  variables["generator_predictions/output_bias"])


@requires_tf
def test_convert_writes_presets_with_vocabulary(checkpoint, tmp_path):
    variables, prefix = checkpoint
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(V - 5)]
    with open(os.path.join(os.path.dirname(prefix), "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    out = str(tmp_path / "out")
    tf1.convert_checkpoint(prefix, out, num_heads=2)
    from keras_electra.models import ElectraBackbone
    from keras_electra.models import ElectraTokenizer

    x = h.inputs()
    disc = ElectraBackbone.from_preset(os.path.join(out, "discriminator"))
    np.testing.assert_allclose(h.sequence_output(disc, x),
                               original_forward(variables, "electra", 2, x), atol=1e-4)
    tokenizer = ElectraTokenizer.from_preset(os.path.join(out, "generator"))
    assert tokenizer.get_vocabulary() == vocab


@requires_tf
def test_bad_tf1_checkpoints(tmp_path):
    rng = np.random.default_rng(0)
    variables = original_variables(rng)
    variables["electra/encoder/layer_0/attention/self/rotary/kernel"] = np.zeros((2, 2), "float32")
    del variables["generator/encoder/layer_0/output/dense/bias"]
    prefix = write_checkpoint(variables, str(tmp_path / "a" / "model.ckpt"))
    with pytest.raises(ConversionError, match="rotary/kernel"):
        tf1.load_backbones(prefix)
    del variables["electra/encoder/layer_0/attention/self/rotary/kernel"]
    prefix = write_checkpoint(variables, str(tmp_path / "b" / "model.ckpt"))
    with pytest.raises(ConversionError, match="layer_0/output/dense/bias"):
        tf1.load_backbones(prefix)
    with pytest.raises(ConversionError, match="not divisible"):
        tf1.load_backbones(prefix, num_heads=3)
    with pytest.raises(CheckpointFileError, match="model.ckpt.index does not exist"):
        tf1.read_checkpoint(str(tmp_path / "missing" / "model.ckpt"))
    # Truncate the data shard: the error names the checkpoint files.
    data = [f for f in os.listdir(tmp_path / "b") if ".data-" in f][0]
    path = tmp_path / "b" / data
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointFileError, match=data):
        tf1.read_checkpoint(prefix)
