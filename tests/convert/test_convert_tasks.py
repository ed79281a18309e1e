"""transformers ElectraFor{SequenceClassification,TokenClassification,MultipleChoice,QuestionAnswering}
<-> task presets."""

import os

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from keras_electra.cli.main import main  # noqa: E402
from keras_electra.convert import ConversionError  # noqa: E402
from keras_electra.convert import export_to_transformers  # noqa: E402
from keras_electra.convert import transformers as hf  # noqa: E402
from keras_electra.utils.safetensors_io import read_safetensors  # noqa: E402
from keras_electra.utils.safetensors_io import write_safetensors  # noqa: E402
from keras_electra.tasks import ElectraMultipleChoice  # noqa: E402
from keras_electra.tasks import ElectraQuestionAnswerer  # noqa: E402
from keras_electra.tasks import ElectraTextClassifier  # noqa: E402
from keras_electra.tasks import ElectraTokenClassifier  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(h.VOCAB_SIZE - 5)]
CASES = {
    "ElectraForSequenceClassification": (ElectraTextClassifier, dict(num_labels=3)),
    "ElectraForTokenClassification": (ElectraTokenClassifier, dict(num_labels=5)),
    "ElectraForMultipleChoice": (ElectraMultipleChoice, {}),
    "ElectraForQuestionAnswering": (ElectraQuestionAnswerer, {}),
}
NUM_CHOICES = 3


def make_checkpoint(tmp_path, architecture, vocab=True):
    torch.manual_seed(0)
    model = getattr(transformers, architecture)(h.electra_config(**CASES[architecture][1])).eval()
    path = str(tmp_path / architecture)
    model.save_pretrained(path)
    if vocab:
        with open(os.path.join(path, "vocab.txt"), "w") as f:
            f.write("\n".join(VOCAB) + "\n")
    return model, path


def task_inputs(architecture):
    x = h.inputs()
    if architecture != "ElectraForMultipleChoice":
        return x
    # (batch, choices, length): the two rows, shifted per choice.
    return {k: np.stack([np.roll(v, c, axis=0) for c in range(NUM_CHOICES)], axis=1) for k, v in x.items()}


def reference_logits(model, x):
    with torch.no_grad():
        out = model(**h.torch_inputs(x))
    if isinstance(model, transformers.ElectraForQuestionAnswering):
        return np.stack([out.start_logits.numpy(), out.end_logits.numpy()], -1)
    return out.logits.numpy()


def logits(task, x):
    out = task(x)
    if isinstance(out, dict):  # the question answerer: start and end logits per token
        out = keras.ops.stack([out["start_logits"], out["end_logits"]], -1)
    return keras.ops.convert_to_numpy(out)


def assert_logits_close(architecture, ours, theirs, x):
    if architecture in ("ElectraForTokenClassification", "ElectraForQuestionAnswering"):
        h.assert_close_on_tokens(ours, theirs, x["padding_mask"])
    else:
        np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)


@pytest.mark.parametrize("architecture", list(CASES))
def test_task_checkpoint_to_preset_and_back(tmp_path, architecture):
    cls = CASES[architecture][0]
    model, path = make_checkpoint(tmp_path, architecture)
    out = str(tmp_path / "keras")
    hf.convert_checkpoint(path, out, num_choices=NUM_CHOICES, sequence_length=16)
    assert os.path.isfile(os.path.join(out, "task.json"))
    task = cls.from_preset(out)
    assert type(task) is cls
    assert task.preprocessor.tokenizer.get_vocabulary() == VOCAB
    assert task.preprocessor.sequence_length == 16
    x = task_inputs(architecture)
    theirs = reference_logits(model, x)
    assert_logits_close(architecture, logits(task, x), theirs, x)

    back = str(tmp_path / "back")
    export_to_transformers(task, back)
    again = transformers.AutoConfig.from_pretrained(back)
    assert again.architectures == [architecture]
    reloaded = getattr(transformers, architecture).from_pretrained(back).eval()
    assert_logits_close(architecture, reference_logits(reloaded, x), theirs, x)
    assert open(os.path.join(back, "vocab.txt")).read().split() == VOCAB


def test_sequence_classification_head_is_hf_and_labels_come_from_config(tmp_path):
    _, path = make_checkpoint(tmp_path, "ElectraForSequenceClassification", vocab=False)
    task = hf.load_task(path)
    assert task.head == "hf" and task.num_classes == 3 and task.preprocessor is None
    # Regression checkpoints (num_labels=1) become regressors.
    torch.manual_seed(0)
    reg = transformers.ElectraForSequenceClassification(h.electra_config(num_labels=1)).eval()
    reg.save_pretrained(str(tmp_path / "reg"))
    task = hf.load_task(str(tmp_path / "reg"))
    assert task.is_regression
    np.testing.assert_allclose(logits(task, h.inputs()), reference_logits(reg, h.inputs()), atol=1e-4)


def test_missing_and_unexpected_head_tensors_are_named(tmp_path):
    _, path = make_checkpoint(tmp_path, "ElectraForSequenceClassification", vocab=False)
    file = os.path.join(path, "model.safetensors")
    tensors = read_safetensors(file)
    broken = dict(tensors)
    del broken["classifier.out_proj.bias"]
    broken["classifier.extra.weight"] = np.zeros((2, 2), "float32")
    write_safetensors(file, broken)
    with pytest.raises(ConversionError) as e:
        hf.load_task(path)
    assert "classifier.out_proj.bias" in str(e.value) and "classifier.extra.weight" in str(e.value)
    broken = dict(tensors)
    broken["classifier.out_proj.weight"] = np.zeros((4, h.HIDDEN), "float32")
    write_safetensors(file, broken)
    with pytest.raises(ConversionError, match=r"classifier.out_proj.weight \(checkpoint \(4, 16\), model \(3, 16\)\)"):
        hf.load_task(path)


def test_unsupported_summary_and_original_heads_are_rejected(tmp_path):
    torch.manual_seed(0)
    model = transformers.ElectraForMultipleChoice(h.electra_config(summary_type="mean"))
    model.save_pretrained(str(tmp_path / "mc"))
    with pytest.raises(ConversionError, match="summary_type='mean'"):
        hf.load_task(str(tmp_path / "mc"))
    from keras_electra.models import ElectraBackbone

    backbone = ElectraBackbone(**hf.config_to_backbone_kwargs(h.electra_config().to_dict()))
    with pytest.raises(ConversionError, match="head='hf'"):
        export_to_transformers(ElectraTextClassifier(backbone, num_classes=2), str(tmp_path / "o"))
    with pytest.raises(ConversionError, match="head='hf'"):
        export_to_transformers(ElectraQuestionAnswerer(backbone, head="original"), str(tmp_path / "o"))
    torch.manual_seed(0)
    model = transformers.ElectraForQuestionAnswering(h.electra_config(num_labels=3))
    model.save_pretrained(str(tmp_path / "qa3"))
    with pytest.raises(ConversionError, match="num_labels=3"):
        hf.load_task(str(tmp_path / "qa3"))


def test_cli_task_round_trip(tmp_path, capsys):
    model, path = make_checkpoint(tmp_path, "ElectraForTokenClassification")
    out, back = str(tmp_path / "keras"), str(tmp_path / "back")
    assert main(["convert", "--from", "transformers", path, "--out", out, "--sequence-length", "16"]) == 0
    assert "ElectraTokenClassifier" in capsys.readouterr().out
    assert main(["convert", "--from", "keras", out, "--to", "transformers", "--out", back]) == 0
    assert "ElectraForTokenClassification" in capsys.readouterr().out
    reloaded = transformers.ElectraForTokenClassification.from_pretrained(back).eval()
    x = h.inputs()
    h.assert_close_on_tokens(reference_logits(reloaded, x), reference_logits(model, x), x["padding_mask"])
