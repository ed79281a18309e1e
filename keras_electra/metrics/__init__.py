from keras_electra.metrics.squad import squad_evaluate
from keras_electra.metrics.squad import squad_v1_evaluate
from keras_electra.metrics.squad import squad_v2_evaluate
