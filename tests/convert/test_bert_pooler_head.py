"""BERT's trained pooler: kept by conversion, fine-tuned through like BertForSequenceClassification."""

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.convert import transformers as hf  # noqa: E402
from keras_electra.errors import PresetError  # noqa: E402
from keras_electra.models.preset_loading import POOLER_HEAD_FILE  # noqa: E402
from keras_electra.models.preset_loading import write_pooler_head  # noqa: E402
from keras_electra.tasks import ElectraTextClassifier  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402


def bert_classifier(num_labels=3):
    config = transformers.BertConfig(
        vocab_size=h.VOCAB_SIZE, hidden_size=h.HIDDEN, num_hidden_layers=h.LAYERS,
        num_attention_heads=h.HEADS, intermediate_size=h.INTER, max_position_embeddings=h.MAX_LEN,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.2,
        num_labels=num_labels,
    )
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(config).eval()


def converted(tmp_path, model):
    model.bert.save_pretrained(str(tmp_path / "bert"))  # a BertModel checkpoint, with its pooler
    out = str(tmp_path / "preset")
    hf.convert_checkpoint(str(tmp_path / "bert"), out)
    return out


def copy_classifier(task, model):
    task.output_dense.set_weights([model.classifier.weight.detach().numpy().T,
                                   model.classifier.bias.detach().numpy()])


def reference_logits(model, x):
    with torch.no_grad():
        return model(**h.torch_inputs(x)).logits.numpy()


def test_pooler_head_matches_bert_for_sequence_classification(tmp_path):
    model = bert_classifier()
    preset = converted(tmp_path, model)
    assert os.path.isfile(os.path.join(preset, POOLER_HEAD_FILE))
    task = ElectraTextClassifier.from_preset(preset, num_classes=3, preprocessor=None)
    assert task.head == "pooler"
    np.testing.assert_array_equal(task.pooler_dense.get_weights()[0],
                                  model.bert.pooler.dense.weight.detach().numpy().T)
    copy_classifier(task, model)
    x = h.inputs()
    np.testing.assert_allclose(np.asarray(task.predict(x, verbose=0)), reference_logits(model, x),
                               atol=1e-4)
    # A saved task preset keeps the head and its trained pooler.
    task.save_to_preset(str(tmp_path / "task"))
    again = ElectraTextClassifier.from_preset(str(tmp_path / "task"), preprocessor=None)
    assert again.head == "pooler"
    np.testing.assert_allclose(np.asarray(again.predict(x, verbose=0)), reference_logits(model, x),
                               atol=1e-4)


def test_transformers_directory_loaded_directly_keeps_the_pooler(tmp_path):
    # The same model as converting first: head "pooler" with BERT's trained
    # pooler, equal to BertForSequenceClassification.
    model = bert_classifier()
    model.bert.save_pretrained(str(tmp_path / "bert"))
    kernel, bias = hf.read_pooler_head(str(tmp_path / "bert"))
    np.testing.assert_array_equal(kernel, model.bert.pooler.dense.weight.detach().numpy().T)
    np.testing.assert_array_equal(bias, model.bert.pooler.dense.bias.detach().numpy())
    task = ElectraTextClassifier.from_preset(str(tmp_path / "bert"), num_classes=3,
                                             preprocessor=None)
    assert task.head == "pooler"
    copy_classifier(task, model)
    x = h.inputs()
    np.testing.assert_allclose(np.asarray(task.predict(x, verbose=0)), reference_logits(model, x),
                               atol=1e-4)
    original = ElectraTextClassifier.from_preset(str(tmp_path / "bert"), num_classes=3,
                                                 head="original", preprocessor=None)
    assert original.pooler_dense is None


def test_electra_directory_loaded_directly_gets_a_new_head(tmp_path):
    torch.manual_seed(0)
    electra = transformers.ElectraModel(h.electra_config()).eval()
    electra.save_pretrained(str(tmp_path / "electra"))
    assert hf.read_pooler_head(str(tmp_path / "electra")) is None
    task = ElectraTextClassifier.from_preset(str(tmp_path / "electra"), num_classes=2,
                                             preprocessor=None)
    assert task.head == "original" and task.pooler_dense is None
    x = h.inputs()
    with torch.no_grad():
        expected = electra(**h.torch_inputs(x)).last_hidden_state.numpy()
    got = task.backbone.predict(x, verbose=0)["sequence_output"]
    np.testing.assert_allclose(np.asarray(got), expected, atol=1e-4)


def test_a_task_checkpoint_loads_whole_or_names_the_mismatch(tmp_path):
    from keras_electra.convert.weights import ConversionError
    from keras_electra.tasks import ElectraTokenClassifier

    torch.manual_seed(0)
    model = transformers.ElectraForSequenceClassification(h.electra_config(num_labels=3)).eval()
    model.save_pretrained(str(tmp_path / "classifier"))
    assert hf.read_pooler_head(str(tmp_path / "classifier")) is None
    task = ElectraTextClassifier.from_preset(str(tmp_path / "classifier"))
    x = h.inputs()
    with torch.no_grad():
        expected = model(**h.torch_inputs(x)).logits.numpy()
    np.testing.assert_allclose(np.asarray(task.predict(x, verbose=0)), expected, atol=1e-4)
    with pytest.raises(ConversionError, match="not a ElectraTokenClassifier"):
        ElectraTokenClassifier.from_preset(str(tmp_path / "classifier"))
    # A head argument starts a new head on the checkpoint's backbone.
    fresh = ElectraTextClassifier.from_preset(str(tmp_path / "classifier"), num_classes=5,
                                              preprocessor=None)
    assert fresh.num_classes == 5 and fresh.head == "original"
    np.testing.assert_allclose(
        np.asarray(fresh.backbone.predict(x, verbose=0)["sequence_output"]),
        np.asarray(task.backbone.predict(x, verbose=0)["sequence_output"]), atol=1e-6)


def test_explicit_head_skips_the_pooler(tmp_path):
    preset = converted(tmp_path, bert_classifier())
    task = ElectraTextClassifier.from_preset(preset, num_classes=2, head="original",
                                             preprocessor=None)
    assert task.head == "original" and task.pooler_dense is None


def test_electra_checkpoint_has_no_pooler(tmp_path):
    torch.manual_seed(0)
    transformers.ElectraModel(h.electra_config()).save_pretrained(str(tmp_path / "electra"))
    hf.convert_checkpoint(str(tmp_path / "electra"), str(tmp_path / "preset"))
    assert not os.path.exists(tmp_path / "preset" / POOLER_HEAD_FILE)
    task = ElectraTextClassifier.from_preset(str(tmp_path / "preset"), num_classes=2,
                                             preprocessor=None)
    assert task.head == "original"


@pytest.mark.parametrize("kernel_shape, match", [((h.HIDDEN, 3), "shape"), (None, "non-finite")])
def test_bad_pooler_file_is_named(tmp_path, kernel_shape, match):
    preset = converted(tmp_path, bert_classifier())
    kernel = np.full(kernel_shape or (h.HIDDEN, h.HIDDEN), np.nan if kernel_shape is None else 0.1,
                     "float32")
    write_pooler_head(preset, kernel, np.zeros(h.HIDDEN, "float32"))
    with pytest.raises(PresetError, match=match) as error:
        ElectraTextClassifier.from_preset(preset, num_classes=2, preprocessor=None)
    assert POOLER_HEAD_FILE in str(error.value)



def test_multiple_choice_pooler_head_matches_bert_for_multiple_choice(tmp_path):
    from keras_electra.convert.export import export_to_transformers
    from keras_electra.convert.weights import ConversionError
    from keras_electra.tasks import ElectraMultipleChoice

    model = bert_classifier()
    preset = converted(tmp_path, model)
    reference = transformers.BertForMultipleChoice(model.config).eval()
    reference.bert.load_state_dict(model.bert.state_dict())
    task = ElectraMultipleChoice.from_preset(preset, num_choices=3, preprocessor=None)
    assert task.head == "pooler" and task.sequence_summary is None
    task.classifier.set_weights([reference.classifier.weight.detach().numpy().T,
                                 reference.classifier.bias.detach().numpy()])
    # 2 questions x 3 choices, from the helper's two packed rows.
    x = {k: np.stack([v, v[::-1], v], axis=1) for k, v in h.inputs().items()}
    with torch.no_grad():
        expected = reference(**{k: t.reshape(2, 3, -1) for k, t in h.torch_inputs(
            {k: v.reshape(6, -1) for k, v in x.items()}).items()}).logits.numpy()
    np.testing.assert_allclose(np.asarray(task.predict(x, verbose=0)), expected, atol=1e-4)
    summary = ElectraMultipleChoice.from_preset(preset, num_choices=3, head="summary",
                                                preprocessor=None)
    assert summary.pooler_dense is None
    with pytest.raises(ConversionError, match="head='summary'"):
        export_to_transformers(task, str(tmp_path / "export"))
