import pytest

from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraTextClassifierPreprocessor
from keras_electra.models import ElectraTokenizer
from tests.helpers import VOCAB
from tests.helpers import tiny_backbone_kwargs


@pytest.fixture
def backbone_preset(tmp_path):
    """A tiny backbone preset directory with its tokenizer."""
    path = str(tmp_path / "backbone")
    ElectraBackbone(**tiny_backbone_kwargs(dropout=0.0)).save_to_preset(path)
    tokenizer = ElectraTokenizer(vocabulary=VOCAB)
    ElectraTextClassifierPreprocessor(tokenizer, sequence_length=16).save_to_preset(path)
    return path
