"""The one home for everything that bends Keras.

Nothing outside this package imports `keras.src` or `keras_hub.src`, or touches a
private Keras attribute. Modules:

- `private_api`: every private Keras and keras-hub symbol used, checked by a test;
- `direct_calls`, `direct_functional`: call layers without Keras' per-call overhead;
- `torch_kernels`, `tensorflow_kernels`, `jax_kernels`, `matrix_projection`: fused encoder
  kernels;
- `random_noise`, `dropout`: noise drawn like Keras' own, routed per backend;
- `torch_foreach`: the torch foreach AdamW update;
- `torch_parameters`, `sparse_gradients`: torch parameter and TF gradient workarounds.
- `switch`: the state of the one switch, public as `keras_electra.config`.

`keras_electra.config.set_fast_paths(False)` turns all of it off and gives Keras' own
computation.
"""
