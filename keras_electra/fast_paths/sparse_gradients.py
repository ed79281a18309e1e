"""TensorFlow backend: embedding gradients reach the optimizer dense.

On TensorFlow an embedding lookup's gradient is a `tf.IndexedSlices` with one
row per looked-up id, repeats included. Keras (3.15) optimizers apply their
element-wise updates to those rows one by one, which is wrong for any
non-linear update: Adam's second moment gets `sum(g_i^2)` instead of
`(sum g_i)^2`, so a token seen n times in a batch moves up to sqrt(n) times
the learning rate in one step (every segment-0 row, [CLS], [SEP], [PAD]...).
JAX and torch use dense gradients and are unaffected. Converting the slices
to a dense tensor sums the repeats first, which gives the textbook update.
"""

import keras


def densify_sparse_gradients(optimizer):
    """Makes `optimizer` sum repeated rows of sparse gradients before updating.

    Only changes anything on the TensorFlow backend. Our models apply it to
    whatever optimizer `compile()` sets (`DenseSparseGradients`); call it
    yourself when you compile your own Keras model around an
    `ElectraBackbone` on TensorFlow.

    Args:
        optimizer: a `keras.optimizers.Optimizer`.

    Returns:
        The same optimizer.

    Example:
    ```python
    optimizer = densify_sparse_gradients(keras.optimizers.Adam(1e-4))
    ```
    """
    if keras.backend.backend() != "tensorflow" or getattr(optimizer, "_densifies_sparse", False):
        return optimizer
    import tensorflow as tf

    apply = optimizer.apply

    def apply_dense(grads, trainable_variables=None):
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        return apply(grads, trainable_variables)

    optimizer.apply = apply_dense
    optimizer._densifies_sparse = True
    return optimizer


class DenseSparseGradients:
    """Mixin for a Keras model: whatever optimizer `compile()` sets is densified.

    A property rather than a `compile()` override, so that it also covers
    models whose `compile()` calls `keras.Model.compile` directly. The
    attribute behind it starts with `__`, which Keras' saving skips, so the
    optimizer is still saved as `optimizer`.
    """

    @property
    def optimizer(self):
        return self.__dict__.get("__dense_sparse_optimizer")

    @optimizer.setter
    def optimizer(self, optimizer):
        if optimizer is not None:
            densify_sparse_gradients(optimizer)
        self.__dict__["__dense_sparse_optimizer"] = optimizer
