"""ElectraQuestionAnswerer: the original head's end conditioning and beam, loss, fit and presets."""

import keras
import numpy as np
import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraQuestionAnswerer
from keras_electra.tasks import ElectraQuestionAnswererPreprocessor
from keras_electra.tasks import decode_squad_predictions
from tests.tasks.qa_helpers import VOCAB, WORDS, preprocessor, read

SEQ = 16


def _backbone(**kwargs):
    return ElectraBackbone(vocabulary_size=len(VOCAB), num_layers=1, num_heads=2, hidden_dim=16,
                           intermediate_dim=32, embedding_dim=8, max_sequence_length=SEQ, **kwargs)


def _features(tmp_path, training=True):
    context = " ".join(WORDS[:14])
    questions = [(f"q{i}", f"who {WORDS[i]}", f"{WORDS[i]} {WORDS[i + 1]}") for i in range(0, 12, 2)]
    questions.append(("none", "what did", None))
    dataset = read(tmp_path, [(context, questions)], version="2.0")
    return preprocessor(sequence_length=SEQ, max_query_length=4, doc_stride=4).featurize(
        dataset.examples, training=training)


def _numpy(tree):
    return {k: keras.ops.convert_to_numpy(v) for k, v in tree.items()}


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_original_head_beam_shapes_and_mask(tmp_path):
    features = _features(tmp_path)
    qa = ElectraQuestionAnswerer(_backbone(), head="original", beam_size=3, head_hidden_dim=8)
    x = features.inputs()
    out = _numpy(qa(x))
    n = len(features)
    assert out["start_logits"].shape == (n, SEQ) and out["no_answer_logits"].shape == (n,)
    assert out["start_top_index"].shape == (n, 3) and out["start_top_log_probs"].shape == (n, 3)
    assert out["end_top_index"].shape == (n, 3, 3) and out["end_top_log_probs"].shape == (n, 3, 3)
    assert out["end_top_index"].dtype == np.int32
    # Starts and ends lie in the context (segment 1, not padding) or at [CLS].
    allowed = (x["segment_ids"] * x["padding_mask"]).astype(bool)
    allowed[:, 0] = True
    rows = np.arange(n)[:, None]
    assert allowed[rows, out["start_top_index"]].all()
    assert allowed[rows[:, :, None], out["end_top_index"]].all()
    # Beam log-probabilities are sorted, and start ones are the log-softmax top-k.
    assert (np.diff(out["start_top_log_probs"], axis=-1) <= 0).all()
    top = np.sort(_log_softmax(out["start_logits"]), -1)[:, ::-1][:, :3]
    np.testing.assert_allclose(out["start_top_log_probs"], top, atol=1e-5)


def test_end_logits_conditioned_on_start_match_the_beam(tmp_path):
    features = _features(tmp_path)
    qa = ElectraQuestionAnswerer(_backbone(), beam_size=3, head_hidden_dim=8)
    x = features.inputs()
    beam = _numpy(qa(x))
    ends = []
    for i in range(3):
        forced = _numpy(qa({**x, "start_positions": beam["start_top_index"][:, i]}))
        log_probs = _log_softmax(forced["end_logits"])
        order = np.argsort(-log_probs, axis=-1, kind="stable")[:, :3]
        np.testing.assert_array_equal(order, beam["end_top_index"][:, i])
        np.testing.assert_allclose(np.take_along_axis(log_probs, order, -1),
                                   beam["end_top_log_probs"][:, i], atol=1e-4)
        ends.append(forced["end_logits"])
    # Different starts give different end distributions: the end head sees the start.
    assert np.abs(ends[0] - ends[1]).max() > 1e-4
    # Without start positions (-1, "unknown"), end_logits are those for start 0.
    at_cls = _numpy(qa({**x, "start_positions": np.zeros(len(features), "int32")}))
    np.testing.assert_allclose(beam["end_logits"], at_cls["end_logits"], atol=1e-5)


def test_loss_is_the_originals(tmp_path):
    features = _features(tmp_path)
    qa = ElectraQuestionAnswerer(_backbone(), beam_size=3, head_hidden_dim=8)
    x, y = features.inputs(), features.labels()
    y_pred = _numpy(qa({**x, "start_positions": y["start_positions"]}))
    loss = float(keras.ops.convert_to_numpy(qa.compute_loss({**x, "start_positions": y["start_positions"]}, y, y_pred)))
    rows = np.arange(len(features))
    ce_start = -_log_softmax(y_pred["start_logits"])[rows, y["start_positions"]]
    ce_end = -_log_softmax(y_pred["end_logits"])[rows, y["end_positions"]]
    z, t = y_pred["no_answer_logits"].astype("float64"), y["is_impossible"]
    bce = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    # qa_tasks.py gives per-example losses; run_finetuning.py sums them over the batch.
    per_example = (ce_start + ce_end) / 2 + 0.5 * bce
    assert loss == pytest.approx(np.sum(per_example), rel=1e-4)
    assert y["is_impossible"].sum() > 0  # the unanswerable question (two windows)
    qa.compile(loss_reduction="mean")
    mean = qa.compute_loss({**x, "start_positions": y["start_positions"]}, y, y_pred)
    assert float(keras.ops.convert_to_numpy(mean)) == pytest.approx(np.mean(per_example), rel=1e-4)


def test_head_is_the_originals_in_numpy(tmp_path):
    """qa_tasks.py's joint head with `modeling.gelu`, the exact erf GELU."""
    from math import erf

    features = _features(tmp_path)
    qa = ElectraQuestionAnswerer(_backbone(), beam_size=3, head_hidden_dim=8)
    x, y = features.inputs(), features.labels()
    x = {**x, "start_positions": y["start_positions"]}
    out = _numpy(qa(x))
    h = keras.ops.convert_to_numpy(qa.backbone({k: x[k] for k in qa.backbone.input})["sequence_output"])
    head = qa.span_head
    w = {layer.name: [keras.ops.convert_to_numpy(v) for v in layer.weights]
         for layer in (head.start_dense, head.end_hidden, head.end_dense,
                       head.answerable_hidden, head.answerable_dense)}
    gelu = np.vectorize(lambda v: 0.5 * v * (1.0 + erf(v / np.sqrt(2.0))))
    dense = lambda v, name: v @ w[name][0] + w[name][1]
    answer_mask = (x["padding_mask"] * x["segment_ids"]).astype("float64")
    answer_mask[:, 0] = 1.0
    start_logits = dense(h, "start_logits")[..., 0] + 1000.0 * (answer_mask - 1)
    rows = np.arange(len(h))
    start_features = np.repeat(h[rows, y["start_positions"]][:, None], h.shape[1], axis=1)
    hidden = gelu(dense(np.concatenate([start_features, h], -1), "qa_hidden"))
    end_logits = dense(hidden, "qa_logits")[..., 0] + 1000.0 * (answer_mask - 1)
    start_p = np.exp(_log_softmax(start_logits))
    final = np.concatenate([h[:, 0], (start_p[..., None] * h).sum(1)], -1)
    answerable = dense(gelu(dense(final, "answerable_hidden")), "answerable_logits")[..., 0]
    np.testing.assert_allclose(out["start_logits"], start_logits, atol=1e-4, rtol=0)
    np.testing.assert_allclose(out["end_logits"], end_logits, atol=1e-4, rtol=0)
    np.testing.assert_allclose(out["no_answer_logits"], answerable, atol=1e-4, rtol=0)


@pytest.mark.parametrize("head", ["original", "hf"])
def test_fit_few_steps_and_task_preset_round_trip(tmp_path, head):
    features = _features(tmp_path)
    backbone = _backbone()
    qa = ElectraQuestionAnswerer(backbone, preprocessor(sequence_length=SEQ, max_query_length=4, doc_stride=4),
                                 head=head, beam_size=3, head_hidden_dim=8)
    qa.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = [np.array(keras.ops.convert_to_numpy(w)) for w in qa.trainable_weights]
    history = qa.fit(features.inputs(), features.labels(), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    unchanged = [w.path for w, b in zip(qa.trainable_weights, before)
                 if np.allclose(keras.ops.convert_to_numpy(w), b)]
    # Attention key biases and the start/end logit biases (`start_logits`;
    # `qa_logits` is the original head's end layer) only shift a softmax: no
    # gradient (Adam may still move them on float noise). Everything else trains.
    shift_only = ("key/bias", "start_logits/bias", "qa_logits/bias")
    assert all(path.endswith(shift_only) for path in unchanged), unchanged
    evaluated = qa.evaluate(features.inputs(), features.labels(), batch_size=8, verbose=0)
    assert np.isfinite(evaluated)

    outputs = qa.predict(features.inputs(), batch_size=8, verbose=0)
    qa.save_to_preset(str(tmp_path / "task"))
    restored = ElectraQuestionAnswerer.from_preset(str(tmp_path / "task"))
    assert isinstance(restored.preprocessor, ElectraQuestionAnswererPreprocessor)
    assert (restored.head, restored.beam_size, restored.preprocessor.doc_stride) == (head, 3, 4)
    again = restored.predict(features.inputs(), batch_size=8, verbose=0)
    assert sorted(again) == sorted(outputs)
    for key in outputs:
        np.testing.assert_allclose(again[key], outputs[key], atol=1e-6)
    predictions = decode_squad_predictions(features, again, version_2=True)
    assert set(predictions.answers) == {e.qas_id for e in features.examples}


def test_task_from_backbone_preset(tmp_path):
    backbone = _backbone()
    backbone.save_to_preset(str(tmp_path / "backbone"))
    preprocessor(sequence_length=SEQ).tokenizer.save_to_preset(str(tmp_path / "backbone"))
    qa = ElectraQuestionAnswerer.from_preset(str(tmp_path / "backbone"), beam_size=2, head_hidden_dim=8)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(qa.backbone.weights[0]),
                               keras.ops.convert_to_numpy(backbone.weights[0]))
    assert isinstance(qa.preprocessor, ElectraQuestionAnswererPreprocessor)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="head"):
        ElectraQuestionAnswerer(_backbone(), head="linear")
    qa = ElectraQuestionAnswerer(_backbone(), head="hf")
    with pytest.raises(ValueError, match="own span loss"):
        qa.compile(loss="mse")
    x = _features(tmp_path).inputs()
    with pytest.raises(ValueError, match="Labels must be a dict"):
        qa.compute_loss(x, np.zeros(3), qa(x))
