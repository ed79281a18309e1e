"""Empty batches and impossible sequence lengths are clear ElectraErrors."""

import pytest

from keras_electra.errors import ElectraError
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from keras_electra.preprocessing.packer import ElectraPacker
from keras_electra.tasks.multiple_choice_preprocessor import ElectraMultipleChoicePreprocessor
from keras_electra.tasks.question_answerer_preprocessor import ElectraQuestionAnswererPreprocessor
from keras_electra.tasks.token_classifier_preprocessor import ElectraTokenClassifierPreprocessor
from tests.helpers import VOCAB

TOKENIZER = ElectraTokenizer(vocabulary=VOCAB)
BUILDERS = {
    "packer": lambda n: ElectraPacker(n, start_value=2, end_value=3, pad_value=0),
    "text_classifier": lambda n: ElectraTextClassifierPreprocessor(TOKENIZER, sequence_length=n),
    "token_classifier": lambda n: ElectraTokenClassifierPreprocessor(TOKENIZER, sequence_length=n),
    "multiple_choice": lambda n: ElectraMultipleChoicePreprocessor(TOKENIZER, sequence_length=n),
    "question_answerer": lambda n: ElectraQuestionAnswererPreprocessor(TOKENIZER, sequence_length=n),
}


@pytest.mark.parametrize("name", list(BUILDERS))
@pytest.mark.parametrize("length", [0, -1, None, 1.5, True, "8"])
def test_bad_sequence_lengths(name, length):
    with pytest.raises(ElectraError, match="sequence_length"):
        BUILDERS[name](length)


def test_smallest_lengths_are_accepted():
    BUILDERS["packer"](2)
    BUILDERS["text_classifier"](2)
    BUILDERS["token_classifier"](3)
    BUILDERS["multiple_choice"](3)


@pytest.mark.parametrize("x", [[], ([], []), ([], ["a"])])
def test_text_classifier_rejects_an_empty_batch(x):
    preprocessor = ElectraTextClassifierPreprocessor(TOKENIZER, sequence_length=8)
    with pytest.raises(ElectraError, match=r"^ElectraTextClassifierPreprocessor received an empty batch"):
        preprocessor(x=x)
    # One empty text is an example ([CLS] [SEP]), not an empty batch.
    assert preprocessor([""])["token_ids"].shape == (1, 8)


def test_token_classifier_and_multiple_choice_reject_an_empty_batch():
    with pytest.raises(ElectraError, match="empty batch"):
        ElectraTokenClassifierPreprocessor(TOKENIZER, sequence_length=8)([])
    with pytest.raises(ElectraError, match="empty batch"):
        ElectraTokenClassifierPreprocessor(TOKENIZER, sequence_length=8).encode([])
    with pytest.raises(ElectraError):
        ElectraMultipleChoicePreprocessor(TOKENIZER, sequence_length=8)(([], []))
