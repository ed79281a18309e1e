"""Official metrics of the fine-tuning tasks (numpy only)."""

from keras_electra.metrics.chunking import chunk_f1
from keras_electra.metrics.chunking import chunks
from keras_electra.metrics.glue import GLUE_METRICS
from keras_electra.metrics.glue import accuracy
from keras_electra.metrics.glue import f1
from keras_electra.metrics.glue import glue_metrics
from keras_electra.metrics.glue import matthews_corrcoef
from keras_electra.metrics.glue import pearson
from keras_electra.metrics.glue import spearman
from keras_electra.metrics.squad import squad_evaluate
from keras_electra.metrics.squad import squad_v1_evaluate
from keras_electra.metrics.squad import squad_v2_evaluate
