"""Whole workflows above the library: a pretraining run, SQuAD fine-tuning.

Each application takes a typed settings dataclass and has one entry function;
the `keras-electra` CLI and the scripts in `tools/` only build the settings and
call it. Applications may import every library package, never `cli/`.
"""

from keras_electra.apps.pretraining import PretrainingSettings
from keras_electra.apps.pretraining import run_pretraining
from keras_electra.apps.squad import SquadSettings
from keras_electra.apps.squad import evaluate_squad
from keras_electra.apps.squad import predict_squad
from keras_electra.apps.squad import train_squad
