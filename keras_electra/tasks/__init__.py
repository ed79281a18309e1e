"""Task models (fine-tuning, masked LM, Electric scoring) and their preprocessors."""

from keras_electra.tasks.multiple_choice import ElectraMultipleChoice
from keras_electra.tasks.multiple_choice_preprocessor import (
    ElectraMultipleChoicePreprocessor,
)
from keras_electra.tasks.text_classifier import ElectraTextClassifier
from keras_electra.tasks.token_classifier import ElectraTokenClassifier
from keras_electra.tasks.token_classifier_preprocessor import (
    ElectraTokenClassifierPreprocessor,
)
from keras_electra.tasks.question_answerer import ElectraQuestionAnswerer
from keras_electra.tasks.question_answerer_preprocessor import ElectraQuestionAnswererPreprocessor
from keras_electra.tasks.question_answerer_preprocessor import QAFeature
from keras_electra.tasks.question_answerer_preprocessor import QAFeatures
from keras_electra.tasks.squad_decoding import SquadPredictions
from keras_electra.tasks.squad_decoding import decode_squad_predictions
from keras_electra.tasks.task import ElectraTask
from keras_electra.tasks.electric_scorer import ElectricScorer
from keras_electra.tasks.masked_lm import ElectraMaskedLM
from keras_electra.tasks.masked_lm import ElectraMaskedLMPreprocessor
from keras_electra.tasks.text_classifier_preprocessor import (
    ElectraTextClassifierPreprocessor,
)
