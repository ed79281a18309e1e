"""Library-wide switches: the fast paths and the attention implementation.

keras-electra computes exactly what Keras would, but by cheaper routes where it can:
lean functional calls, fused torch / TensorFlow kernels, dropout and sampling noise
drawn without device syncs on torch, and a multi-tensor optimizer update on torch.
`set_fast_paths(False)` turns all of them off and gives Keras' own computation.
`set_noise_routing(False)` keeps the fast paths but draws dropout masks with Keras'
own `Dropout` (torch masks then match Keras' for the same seed). The environment
variable `KERAS_ELECTRA_FAST_PATHS=0` turns the fast paths off at import.

If an installed Keras or keras-hub lacks a private module symbol the fast paths need
(`keras_electra.fast_paths.private_api`), the fast paths switch off with one warning.
The switches' state lives with the fast paths (`keras_electra.fast_paths.switch`).

Example:

>>> import keras_electra
>>> keras_electra.config.set_fast_paths(False)
>>> keras_electra.config.fast_paths_enabled()
False
>>> keras_electra.config.set_fast_paths(True)
"""

from keras_electra.fast_paths.switch import ATTENTION_IMPLEMENTATIONS
from keras_electra.fast_paths.switch import attention_implementation
from keras_electra.fast_paths.switch import fast_paths_enabled
from keras_electra.fast_paths.switch import noise_routing_enabled
from keras_electra.fast_paths.switch import set_attention_implementation
from keras_electra.fast_paths.switch import set_fast_paths
from keras_electra.fast_paths.switch import set_noise_routing
from keras_electra.fast_paths.switch import settings
