"""Multi-device and multi-host training on existing engines.

JAX: `keras.distribution` (`data_parallel`, `model_parallel` with
keras-electra's `LayoutMap`, `initialize`). TensorFlow/TPU: `tf.distribute`
(`tf_strategy`, `make_tf_dataset`). torch: DistributedDataParallel under
torchrun (`train_ddp`). `configure_distribution` picks the right one for the
current backend. Importing this package does not import TensorFlow or torch.
"""

from keras_electra.distribution.batching import num_train_steps
from keras_electra.distribution.batching import resolve_batch_sizes
from keras_electra.distribution.batching import scale_learning_rate
from keras_electra.distribution.keras_distribution import DISTRIBUTION_KINDS
from keras_electra.distribution.keras_distribution import configure_distribution
from keras_electra.distribution.keras_distribution import data_parallel
from keras_electra.distribution.keras_distribution import initialize
from keras_electra.distribution.keras_distribution import model_parallel
from keras_electra.distribution.keras_distribution import num_replicas
from keras_electra.distribution.keras_distribution import parse_mesh_shape
from keras_electra.distribution.layout import check_model_parallel
from keras_electra.distribution.layout import electra_layout_map
from keras_electra.distribution.layout import electra_layout_rules
from keras_electra.distribution.layout import layout_for_path
from keras_electra.distribution.tf_strategy import build_in_scope
from keras_electra.distribution.tf_strategy import distribute_dataset
from keras_electra.distribution.tf_strategy import make_tf_dataset
from keras_electra.distribution.tf_strategy import split_cpu_devices
from keras_electra.distribution.tf_strategy import tf_strategy
from keras_electra.distribution.torch_ddp import train_ddp
