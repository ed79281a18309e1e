"""Optimizers and learning-rate schedules: ELECTRA's AdamW, its schedule, layer-wise decay.

Building blocks below the task models (whose `"auto"` compile uses them) and the
training recipes; `keras_electra.training` re-exports them.
"""

from keras_electra.optimizers.adam_weight_decay import DEFAULT_WEIGHT_DECAY_EXCLUSIONS
from keras_electra.optimizers.adam_weight_decay import ElectraAdamWeightDecay
from keras_electra.optimizers.adam_weight_decay import create_optimizer
from keras_electra.optimizers.layerwise_decay import LayerwiseDecayOptimizer
from keras_electra.optimizers.layerwise_decay import layerwise_decay_multipliers
from keras_electra.optimizers.schedules import ElectraLearningRateSchedule
