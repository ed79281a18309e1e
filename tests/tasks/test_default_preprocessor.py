"""Each task class declares its transformers architecture and builds its default preprocessor."""

import pytest

from keras_electra.tasks.masked_lm import ElectraMaskedLM
from keras_electra.models import ElectraTokenizer
from keras_electra.tasks import ElectraMultipleChoice
from keras_electra.tasks import ElectraQuestionAnswerer
from keras_electra.tasks import ElectraTextClassifier
from keras_electra.tasks import ElectraTokenClassifier
from tests.conftest import requires_tf
from tests.helpers import VOCAB

# The preprocessors' documented default lengths (ELECTRA's fine-tuning setups:
# GLUE 512, tagging and multiple choice 128, SQuAD 384, the generator 512).
DEFAULT_LENGTHS = {
    ElectraTextClassifier: 512,
    ElectraTokenClassifier: 128,
    ElectraMultipleChoice: 128,
    ElectraQuestionAnswerer: 384,
    ElectraMaskedLM: 512,
}


def test_task_classes_name_their_transformers_architecture():
    assert ElectraTextClassifier.transformers_architecture == "ElectraForSequenceClassification"
    assert ElectraTokenClassifier.transformers_architecture == "ElectraForTokenClassification"
    assert ElectraMultipleChoice.transformers_architecture == "ElectraForMultipleChoice"
    assert ElectraQuestionAnswerer.transformers_architecture == "ElectraForQuestionAnswering"
    assert ElectraMaskedLM.transformers_architecture == "ElectraForMaskedLM"


@requires_tf
@pytest.mark.parametrize("cls", list(DEFAULT_LENGTHS), ids=lambda c: c.__name__)
def test_default_preprocessor_lengths(cls):
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    preprocessor = cls.default_preprocessor(tokenizer)
    assert type(preprocessor) is cls.preprocessor_cls
    assert preprocessor.sequence_length == DEFAULT_LENGTHS[cls]
    # Capped by the backbone, unless a length is given.
    assert cls.default_preprocessor(tokenizer, max_sequence_length=100).sequence_length == 100
    assert cls.default_preprocessor(tokenizer, max_sequence_length=1000).sequence_length == DEFAULT_LENGTHS[cls]
    assert cls.default_preprocessor(tokenizer, 24, max_sequence_length=100).sequence_length == 24


@requires_tf
def test_task_specific_preprocessor_arguments():
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    squad = ElectraQuestionAnswerer.default_preprocessor(tokenizer)
    assert (squad.max_query_length, squad.doc_stride) == (64, 128)
    short = ElectraQuestionAnswerer.default_preprocessor(tokenizer, max_sequence_length=100)
    assert (short.max_query_length, short.doc_stride) == (50, 50)
    choice = ElectraMultipleChoice.default_preprocessor(tokenizer, 32, num_choices=4)
    assert (choice.num_choices, choice.sequence_length) == (4, 32)
