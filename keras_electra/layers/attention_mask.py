"""Attention masks for one-directional (Electric cloze tower) encoders."""

import keras

ATTENTION_DIRECTIONS = ("bidirectional", "left_to_right", "right_to_left")


@keras.saving.register_keras_serializable(package="keras_electra")
class DirectionalAttentionMask(keras.layers.Layer):
    """Turns a padding mask into a [batch, query, key] directional mask.

    Keys are restricted to real (non-padding) tokens at or before the query
    (`left_to_right`) or at or after it (`right_to_left`). Every query may
    always attend to itself, so no row is empty and padding rows stay finite.

    Args:
        direction: `"left_to_right"` or `"right_to_left"`.

    Example:
    ```python
    import numpy as np
    mask = DirectionalAttentionMask("left_to_right")(np.array([[1, 1, 1, 0]]))
    mask.shape  # (1, 4, 4)
    ```
    """

    def __init__(self, direction, **kwargs):
        super().__init__(**kwargs)
        if direction not in ATTENTION_DIRECTIONS[1:]:
            raise ValueError(
                "`direction` must be 'left_to_right' or 'right_to_left'. "
                f"Received: {direction!r}."
            )
        self.direction = direction

    def call(self, padding_mask):
        length = keras.ops.shape(padding_mask)[1]
        positions = keras.ops.arange(length, dtype="int32")
        query = keras.ops.expand_dims(positions, 1)
        key = keras.ops.expand_dims(positions, 0)
        if self.direction == "left_to_right":
            allowed = keras.ops.less_equal(key, query)
        else:
            allowed = keras.ops.greater_equal(key, query)
        real_keys = keras.ops.cast(padding_mask, "bool")[:, None, :]
        mask = keras.ops.logical_and(allowed[None, :, :], real_keys)
        return keras.ops.logical_or(mask, keras.ops.equal(key, query)[None])

    def compute_output_spec(self, padding_mask):
        batch, length = padding_mask.shape
        return keras.KerasTensor((batch, length, length), dtype="bool")

    def get_config(self):
        config = super().get_config()
        config.update({"direction": self.direction})
        return config
