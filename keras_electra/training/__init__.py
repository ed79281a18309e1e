"""Training recipes, callbacks and checkpoints; re-exports `keras_electra.optimizers`."""

from keras_electra.optimizers import DEFAULT_WEIGHT_DECAY_EXCLUSIONS
from keras_electra.optimizers import ElectraAdamWeightDecay
from keras_electra.optimizers import ElectraLearningRateSchedule
from keras_electra.optimizers import LayerwiseDecayOptimizer
from keras_electra.optimizers import create_optimizer
from keras_electra.optimizers import layerwise_decay_multipliers
from keras_electra.training.recipes import FINETUNING_TASKS
from keras_electra.models.sizes import MODEL_SIZES
from keras_electra.training.recipes import PRETRAINING_RECIPES
from keras_electra.training.recipes import FinetuningRecipe
from keras_electra.models.sizes import ModelSize
from keras_electra.training.recipes import PretrainingRecipe
from keras_electra.training.recipes import get_finetuning_recipe
from keras_electra.training.recipes import get_pretraining_recipe
from keras_electra.training.recipes import task_sequence_length
from keras_electra.training.callbacks import StepLog
from keras_electra.training.callbacks import ThroughputMeter
from keras_electra.training.callbacks import plot_training_curves
from keras_electra.training.callbacks import tensorboard_callback
from keras_electra.training.checkpointing import CheckpointCallback
from keras_electra.training.checkpointing import latest_checkpoint
from keras_electra.training.checkpointing import restore_checkpoint
from keras_electra.training.checkpointing import save_checkpoint
