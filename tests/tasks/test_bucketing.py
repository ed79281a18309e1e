"""Length-bucketed batching: results match unbucketed runs on every task type."""

import keras
import numpy as np
import pytest

from keras_electra.data.bucketing import BucketedBatches
from keras_electra.data.bucketing import Bucketing
from keras_electra.data.bucketing import MAX_AUTO_BUCKETS
from keras_electra.data.bucketing import auto_multiple
from keras_electra.data.input_pipeline import pipeline_settings
from keras_electra.fast_paths.private_api import flatten_layers
from keras_electra.data.bucketing import divides_by_length
from keras_electra.data.bucketing import example_lengths
from keras_electra.data.bucketing import plan_batches
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraMultipleChoicePreprocessor
from keras_electra.tasks import ElectraQuestionAnswerer
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.tasks import ElectraTokenClassifier
from keras_electra.tasks import ElectraTokenClassifierPreprocessor
from keras_electra.tasks import decode_squad_predictions
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs

SMALL = Bucketing(multiple=8)  # buckets 8, 16, 24, 32 for sequence length 32
WORDS = ["the", "quick", "brown", "fox", "jumped", "over", "lazy", "dog", "cat", "sat", "on", "mat"]


def _texts(count, seed=0, longest=20):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, rng.integers(1, longest))) for _ in range(count)]


def _backbone():
    return ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0, max_sequence_length=64))


def _weights(model):
    return [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]


def _assert_same_weights(a, b):
    for x, y in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(x, y, atol=1e-5, rtol=1e-5)


def test_bucket_lengths_and_plans():
    assert Bucketing(multiple=32).lengths(128) == [32, 64, 96, 128]
    # The default step: a multiple of 8, at most 16 buckets (compiled backends);
    # torch pads each batch to its longest example.
    torch = keras.config.backend() == "torch"
    for length, step in [(32, 8), (128, 8), (129, 16), (384, 24), (512, 32)]:
        step = 1 if torch else step
        assert auto_multiple(length) == step
        assert Bucketing().lengths(length) == list(range(step, length, step)) + [length]
        assert torch or len(Bucketing().lengths(length)) <= MAX_AUTO_BUCKETS
    # Explicitly compiled (torch under `jit_compile=True`) or eager, on any backend.
    assert auto_multiple(128, compiled=True) == 8 and auto_multiple(128, compiled=False) == 1
    assert Bucketing().lengths(64, compiled=False) == list(range(1, 65))
    assert Bucketing(boundaries=[16, 64, 200]).lengths(128) == [16, 64, 128]
    assert Bucketing(enabled=False).lengths(128) == [128]
    mask = np.zeros((5, 2, 10), "int32")
    for row, length in enumerate([3, 10, 1, 7, 4]):
        mask[row, row % 2, :length] = 1
    lengths = example_lengths(mask)
    assert lengths.tolist() == [3, 10, 1, 7, 4]
    buckets = Bucketing(multiple=4).lengths(10)
    for sort in (False, True):
        plan = plan_batches(lengths, 2, buckets, sort=sort)
        assert sorted(np.concatenate([i for i, _ in plan]).tolist()) == [0, 1, 2, 3, 4]
        for indices, bucket in plan:  # the smallest bucket that fits the longest
            longest = lengths[indices].max()
            assert bucket >= longest and all(b < longest for b in buckets if b < bucket)
    assert [b for _, b in plan_batches(lengths, 2, buckets, sort=True)] == [4, 8, 10]
    # group_by_length: batches sorted by length within the window, the longest first.
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 100, 64)
    plan = plan_batches(lengths, 4, [32, 64, 100], group_window=4, rng=rng)
    assert lengths[plan[0][0]].max() == lengths.max()
    padding = sum(b * len(i) - lengths[i].sum() for i, b in plan)
    unsorted = sum(b * len(i) - lengths[i].sum() for i, b in plan_batches(lengths, 4, [32, 64, 100]))
    assert padding < unsorted


def test_batches_trim_token_shaped_arrays_only():
    x = {"token_ids": np.ones((4, 32), "int32"), "segment_ids": np.zeros((4, 32), "int32"),
         "padding_mask": np.zeros((4, 32), "int32"), "start_positions": np.arange(4)}
    x["padding_mask"][:, :5] = 1
    x["padding_mask"][3, :20] = 1
    y = np.ones((4, 32), "int32")
    batches = BucketedBatches(x, y, np.ones((4, 32)), batch_size=2, bucketing=SMALL, sort=True)
    bx, by, bw = batches[0]
    assert bx["token_ids"].shape == (2, 8) and by.shape == (2, 8) and bw.shape == (2, 8)
    assert bx["start_positions"].shape == (2,)
    assert batches[1][0]["padding_mask"].shape == (2, 24)
    assert [length for length, _ in batches.by_bucket()] == [8, 24]
    # Per-position weights: scaled by bucket / length for losses that divide
    # by the padded length, unscaled for summed ones.
    np.testing.assert_allclose(bw, 8 / 32)
    np.testing.assert_allclose(batches.by_bucket()[1][1][0][2], 24 / 32)
    unscaled = BucketedBatches(x, y, np.ones((4, 32)), batch_size=2, bucketing=SMALL,
                               sort=True, scale_position_weights=False)
    np.testing.assert_array_equal(unscaled[0][2], 1.0)
    np.testing.assert_array_equal(unscaled.by_bucket()[1][1][0][2], 1.0)
    loss = keras.losses.SparseCategoricalCrossentropy
    assert divides_by_length(loss()) and divides_by_length("sparse_categorical_crossentropy")
    assert divides_by_length(loss(reduction="mean"))
    assert not divides_by_length(loss(reduction="sum"))
    assert not divides_by_length(loss(reduction="mean_with_sample_weight"))
    assert not divides_by_length(None)


def test_text_classifier_predict_evaluate_fit_unchanged():
    texts = _texts(24)
    pairs = (texts, _texts(24, seed=1))
    labels = np.arange(24) % 3
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)

    def model(seed=0):
        keras.utils.set_random_seed(seed)
        m = ElectraTextClassifier(
            _backbone(), num_classes=3, dropout=0.0,
            preprocessor=ElectraTextClassifierPreprocessor(tokenizer, sequence_length=32),
        )
        m.compile(optimizer=keras.optimizers.AdamW(1e-3))
        return m

    bucketed, full = model(), model()
    for x in (texts, pairs):
        on = bucketed.predict(x, batch_size=5, verbose=0, bucketing=SMALL)
        off = bucketed.predict(x, batch_size=5, verbose=0, bucketing=False)
        assert on.shape == (24, 3)
        np.testing.assert_allclose(on, off, atol=1e-5)
        # Input order: each row is the prediction of that example alone.
        single = bucketed.predict([x[3]] if x is texts else ([x[0][3]], [x[1][3]]),
                                  verbose=0, bucketing=False)
        np.testing.assert_allclose(on[3:4], single, atol=1e-5)
    # Every layer built after packing texts: Keras runs a model with an unbuilt
    # layer eagerly on a first batch before each (per-bucket) `predict` call.
    assert [layer.name for layer in flatten_layers(bucketed) if not layer.built] == []
    on = bucketed.evaluate(pairs, labels, batch_size=5, verbose=0, return_dict=True, bucketing=SMALL)
    off = bucketed.evaluate(pairs, labels, batch_size=5, verbose=0, return_dict=True, bucketing=False)
    np.testing.assert_allclose(on["loss"], off["loss"], atol=1e-5)
    assert on["accuracy"] == off["accuracy"]
    # Same batches (no shuffle), trimmed or not: the same training.
    bucketed.fit(pairs, labels, batch_size=6, epochs=2, shuffle=False, verbose=0, bucketing=SMALL)
    full.fit(pairs, labels, batch_size=6, epochs=2, shuffle=False, verbose=0, bucketing=False)
    _assert_same_weights(bucketed, full)


def test_text_classifier_buckets_by_default_with_a_switch():
    model = ElectraTextClassifier(
        _backbone(), num_classes=2,
        preprocessor=ElectraTextClassifierPreprocessor(ElectraTokenizer(vocabulary=VOCAB),
                                                       sequence_length=32),
    )
    seen = []
    original = keras.Model.predict

    def spy(self, x, **kwargs):
        seen.append(x[0][0]["token_ids"].shape[-1] if isinstance(x, BucketedBatches) else
                    next(iter(x))[0]["token_ids"].shape[-1])
        return original(self, x, **kwargs)

    keras.Model.predict = spy
    try:
        model.predict(["the cat", "the dog sat"], verbose=0)
        # The default step: 8 on jax and TensorFlow, 1 on torch (the longest example, 5).
        assert seen == [5 if keras.config.backend() == "torch" else 8]
        seen.clear()
        model.jit_compile = True  # a compiled torch step: steps of 8 there too
        data = model._bucket_data(["the cat", "the dog sat"], None, None)
        batches = model._batches(data, 2, model._bucketing(None), pipeline_settings())
        assert batches.buckets == [8, 16, 24, 32]
        model.jit_compile = False
        model.bucketing = Bucketing(multiple=32)  # one bucket: the whole length
        model.predict(["the cat", "the dog sat"], verbose=0)
        assert seen == [32]
        seen.clear()
        model.bucketing = SMALL
        model.predict(["the cat", "the dog sat"], verbose=0)
        assert seen == [8]
        seen.clear()
        model.predict(["the cat"], verbose=0, bucketing=False)
        assert seen == [32]
    finally:
        keras.Model.predict = original


def _tagger(loss_reduction, seed=0):
    keras.utils.set_random_seed(seed)
    model = ElectraTokenClassifier(
        _backbone(), num_classes=4,
        preprocessor=ElectraTokenClassifierPreprocessor(ElectraTokenizer(vocabulary=VOCAB),
                                                        sequence_length=32),
    )
    # The "auto" loss and token accuracy. SGD: updates follow the gradient's
    # scale (Adam would hide a per-batch factor on the loss).
    learning_rate = 1e-3 if loss_reduction == "sum" else 0.2  # the same steps
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss_reduction=loss_reduction)
    return model


@pytest.mark.parametrize("loss_reduction", ["sum", "mean"])
def test_token_classifier_unchanged(loss_reduction):
    rng = np.random.default_rng(0)
    words = [t.split() for t in _texts(20, longest=25)]
    tags = [rng.integers(0, 4, len(w)).tolist() for w in words]
    bucketed, full = _tagger(loss_reduction), _tagger(loss_reduction)
    on = bucketed.predict(words, batch_size=4, verbose=0, bucketing=SMALL)
    off = bucketed.predict(words, batch_size=4, verbose=0, bucketing=False)
    assert on.shape == off.shape == (20, 32, 4)
    mask = bucketed.preprocessor(words)["padding_mask"].astype(bool)
    np.testing.assert_allclose(on[mask], off[mask], atol=1e-5)
    assert bucketed.predict_words(words, batch_size=4, verbose=0) == \
        bucketed.predict_words(words, batch_size=4, verbose=0, bucketing=False)
    # Reference (numpy): token accuracy over first wordpieces, and the loss
    # per batch of the sorted evaluation order, averaged over batches by size.
    _, y, w = bucketed.preprocessor(words, tags)
    logits = off.astype("float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    losses = -np.take_along_axis(log_probs, y[..., None].astype("int64"), -1)[..., 0] * w
    accuracy = ((logits.argmax(-1) == y) * w).sum() / w.sum()
    lengths = example_lengths(mask)
    batch_losses = [losses[i].sum() for i, _ in plan_batches(lengths, 4, [32], sort=True)]
    if loss_reduction == "mean":
        batch_losses = [loss / (4 * 32) for loss in batch_losses]
    expected_loss = np.mean(batch_losses)  # batches of 4
    results = [bucketed.evaluate(words, tags, batch_size=4, verbose=0, return_dict=True,
                                 bucketing=bucketing) for bucketing in (SMALL, False)]
    for result in results:
        np.testing.assert_allclose([result["loss"], result["accuracy"]],
                                   [expected_loss, accuracy], rtol=1e-4)
    on, off = results
    np.testing.assert_allclose([on["loss"], on["accuracy"]], [off["loss"], off["accuracy"]],
                               rtol=1e-5, atol=1e-6)
    before = _weights(full)
    history_on = bucketed.fit(words, tags, batch_size=5, epochs=2, shuffle=False, verbose=0,
                              bucketing=SMALL, validation_data=(words[:6], tags[:6]))
    history_off = full.fit(words, tags, batch_size=5, epochs=2, shuffle=False, verbose=0,
                           bucketing=False, validation_data=(words[:6], tags[:6]))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history_on.history[key], history_off.history[key],
                                   rtol=1e-4, atol=1e-6)
    _assert_same_weights(bucketed, full)
    assert max(np.abs(a - b).max() for a, b in zip(before, _weights(full))) > 1e-3


def test_multiple_choice_unchanged():
    contexts = _texts(10, longest=12)
    choices = [[c, c + " the cat", "a dog"] for c in _texts(10, seed=2, longest=8)]
    preprocessor = ElectraMultipleChoicePreprocessor(ElectraTokenizer(vocabulary=VOCAB),
                                                     num_choices=3, sequence_length=32)
    keras.utils.set_random_seed(0)
    model = ElectraMultipleChoice(_backbone(), num_choices=3, preprocessor=preprocessor, dropout=0.0)
    model.compile()
    on = model.predict((contexts, choices), batch_size=3, verbose=0, bucketing=SMALL)
    off = model.predict((contexts, choices), batch_size=3, verbose=0, bucketing=False)
    np.testing.assert_allclose(on, off, atol=1e-5)
    labels = np.arange(10) % 3
    on = model.evaluate((contexts, choices), labels, batch_size=3, verbose=0, bucketing=SMALL)
    off = model.evaluate((contexts, choices), labels, batch_size=3, verbose=0, bucketing=False)
    np.testing.assert_allclose(on, off, atol=1e-5)


def test_question_answerer_squad_windows_unchanged(tmp_path, head="original"):
    from tests.tasks.qa_helpers import VOCAB as QA_VOCAB
    from tests.tasks.qa_helpers import WORDS as QA_WORDS
    from tests.tasks.qa_helpers import preprocessor
    from tests.tasks.qa_helpers import read

    paragraphs = []
    for p, size in enumerate([6, 14, 40]):  # short contexts, and one cut into windows
        context = " ".join(QA_WORDS[p:p + size])
        questions = [(f"q{p}-{i}", f"who {QA_WORDS[p + i]}", f"{QA_WORDS[p + i]} {QA_WORDS[p + i + 1]}")
                     for i in range(0, size - 2, 3)]
        questions.append((f"none{p}", "what did", None))
        paragraphs.append((context, questions))
    dataset = read(tmp_path, paragraphs, version="2.0")
    features = preprocessor(sequence_length=32, max_query_length=6, doc_stride=8).featurize(
        dataset.examples, training=True)
    x, y = features.inputs(), features.labels()
    lengths = example_lengths(x["padding_mask"])
    assert lengths.min() <= 16 < lengths.max()  # more than one bucket

    def model(seed=0):
        keras.utils.set_random_seed(seed)
        backbone = ElectraBackbone(vocabulary_size=len(QA_VOCAB), num_layers=1, num_heads=2,
                                   hidden_dim=16, intermediate_dim=32, embedding_dim=8,
                                   max_sequence_length=32, dropout=0.0)
        qa = ElectraQuestionAnswerer(backbone, head=head, beam_size=4, head_hidden_dim=8)
        # SGD: the span logits' biases get gradients of float noise only
        # (softmax ignores shifts), which Adam would blow up to full steps.
        qa.compile(optimizer=keras.optimizers.SGD(0.1))
        return qa

    bucketed, full = model(), model()
    on = bucketed.predict(x, batch_size=4, verbose=0, bucketing=SMALL)
    off = bucketed.predict(x, batch_size=4, verbose=0, bucketing=False)
    mask = x["padding_mask"].astype(bool)
    for key in ("start_logits", "end_logits"):
        assert on[key].shape == off[key].shape
        np.testing.assert_allclose(on[key][mask], off[key][mask], atol=1e-4)
    np.testing.assert_allclose(on["no_answer_logits"], off["no_answer_logits"], atol=1e-4)
    assert on["start_top_index"].shape == off["start_top_index"].shape
    decoded_on = decode_squad_predictions(features, on, version_2=True)
    decoded_off = decode_squad_predictions(features, off, version_2=True)
    assert decoded_on.answers == decoded_off.answers
    assert decoded_on.best_non_null == decoded_off.best_non_null
    assert decoded_on.null_scores.keys() == decoded_off.null_scores.keys()
    np.testing.assert_allclose(list(decoded_on.null_scores.values()),
                               list(decoded_off.null_scores.values()), atol=1e-4)
    on = bucketed.evaluate(x, y, batch_size=4, verbose=0, bucketing=SMALL)
    off = bucketed.evaluate(x, y, batch_size=4, verbose=0, bucketing=False)
    np.testing.assert_allclose(on, off, atol=1e-4)
    bucketed.fit(x, y, batch_size=4, shuffle=False, verbose=0, bucketing=SMALL)
    full.fit(x, y, batch_size=4, shuffle=False, verbose=0, bucketing=False)
    _assert_same_weights(bucketed, full)


def test_question_answerer_hf_head_is_not_bucketed():
    # transformers' head takes its softmax over padding too: its loss depends
    # on the padded length, so it runs at full length, on the same host-data
    # path (so `fit` shuffles host data).
    backbone = ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0))
    assert ElectraQuestionAnswerer(backbone, head="original").trims_padding
    hf = ElectraQuestionAnswerer(backbone, head="hf")
    assert hf.supports_bucketing and not hf.trims_padding
    assert hf._bucketing(SMALL).lengths(32) == [32]
    x = {"token_ids": np.full((8, 32), 5, "int32"), "segment_ids": np.zeros((8, 32), "int32"),
         "padding_mask": np.zeros((8, 32), "int32")}
    x["padding_mask"][:, :4] = 1
    assert hf._bucket_data(x, None, None) is not None
    batches = hf._batches(hf._bucket_data(x, None, None), 2, hf._bucketing(True),
                          {"prefetch": 1}, shuffle=True)
    assert {bucket for _, bucket in batches.plan} == {32}


def test_cli_switch_sets_the_default():
    from keras_electra.cli.finetune import apply_bucketing
    from keras_electra.cli.main import build_parser
    from keras_electra.data.bucketing import default_bucketing
    from keras_electra.data.bucketing import set_default_bucketing

    parser = build_parser()
    try:
        args = parser.parse_args(["predict", "--model", "m", "--input", "i"])
        apply_bucketing(args)
        assert default_bucketing().enabled and default_bucketing().multiple is None
        step = auto_multiple(128)
        assert default_bucketing().lengths(128) == list(range(step, 129, step))
        args = parser.parse_args(["evaluate", "--model", "m", "--data", "d", "--no-bucketing"])
        apply_bucketing(args)
        assert not default_bucketing().enabled
        assert Bucketing.get(None).lengths(128) == [128]
        args = parser.parse_args(["finetune", "--preset", "p", "--task", "sst2", "--train", "t",
                                  "--out", "o", "--bucket-multiple", "16", "--group-by-length"])
        apply_bucketing(args)
        assert default_bucketing().group_by_length and default_bucketing().lengths(40) == [16, 32, 40]
    finally:
        set_default_bucketing(True)


def _classifier(seed=0):
    keras.utils.set_random_seed(seed)
    m = ElectraTextClassifier(
        _backbone(), num_classes=3, dropout=0.0,
        preprocessor=ElectraTextClassifierPreprocessor(ElectraTokenizer(vocabulary=VOCAB),
                                                       sequence_length=32),
    )
    m.compile(optimizer=keras.optimizers.SGD(0.1))
    return m


def test_class_weight_and_validation_split_match_keras_and_shuffle():
    texts, labels = _texts(24), np.arange(24) % 3
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    packed = _classifier().preprocessor(texts)
    packed = {k: keras.ops.convert_to_numpy(v) for k, v in packed.items()}

    ours, reference = _classifier(), _classifier()
    ours_history = ours.fit(texts, labels, batch_size=6, epochs=2, shuffle=False, verbose=0,
                            class_weight=class_weight, validation_split=0.25, bucketing=False)
    reference_history = keras.Model.fit(reference, packed, labels, batch_size=6, epochs=2,
                                        shuffle=False, verbose=0, class_weight=class_weight,
                                        validation_split=0.25)
    _assert_same_weights(ours, reference)
    np.testing.assert_allclose(ours_history.history["val_loss"],
                               reference_history.history["val_loss"], rtol=1e-5)

    # keras-hub batches these in order; here `shuffle=True` (the default) shuffles.
    shuffled = _classifier()
    shuffled.fit(texts, labels, batch_size=6, epochs=2, verbose=0,
                 class_weight=class_weight, validation_split=0.25, bucketing=False)
    assert any(not np.allclose(a, b) for a, b in zip(_weights(shuffled), _weights(ours)))
    with pytest.raises(ValueError, match="no weight for the classes"):
        _classifier().fit(texts, labels, class_weight={0: 1.0}, verbose=0)
