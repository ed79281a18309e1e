"""How a layer publishes its variables: canonical name, Keras path, shape, sharding.

Converters (transformers, TF1, keras-hub), the model-parallel layout rules and
the memory estimate all read these descriptions instead of spelling out the
variables again, so changing a layer's variables means changing its
description only.
"""

import dataclasses
from typing import Callable
from typing import Optional


@dataclasses.dataclass(frozen=True)
class CanonicalVariable:
    """One variable of a layer as converters, layouts and estimates see it.

    Attributes:
        name: the original google-research/electra (TF1) name relative to
            the layer's scope, e.g. `"attention/self/query/kernel"`.
        path: the Keras variable path relative to the layer, e.g.
            `"self_attention_layer/query/kernel"`.
        shape: function of a dict of `ElectraBackbone` config values
            (`vocabulary_size`, `embedding_dim`, `hidden_dim`, `num_heads`,
            `intermediate_dim`, `max_sequence_length`, `num_segments`)
            returning the variable's Keras shape.
        layout: model-parallel axes, one per dimension (`"model"` for the
            model mesh axis, `None` for a replicated dimension), or `None`
            when the whole variable is replicated.
        attributes: the attribute chain from the layer to the variable,
            e.g. `("_self_attention_layer", "_query_dense", "kernel")`.
        heads_axis: for a per-head Keras variable, the axis holding the
            heads; checkpoints (TF1, transformers) store it merged with the
            next (head size) axis, e.g. `[hidden, heads, head_dim]` as
            `[hidden, heads * head_dim]`. `None` when stored as in Keras.
    """

    name: str
    path: str
    shape: Callable
    layout: Optional[tuple]
    attributes: tuple
    heads_axis: Optional[int] = None

    def get(self, layer):
        """The `keras.Variable` this describes, read from `layer`."""
        for attribute in self.attributes:
            layer = getattr(layer, attribute)
        return layer

    def checkpoint_value(self, value):
        """`value` (a numpy array in Keras' shape) in its checkpoint shape."""
        if self.heads_axis is None:
            return value
        k = self.heads_axis
        return value.reshape(value.shape[:k] + (-1,) + value.shape[k + 2:])


def collect_variables(layer, variables, prefix=""):
    """`{prefix + canonical name: keras.Variable}` of `layer`, in `variables`' order.

    Args:
        layer: a built layer.
        variables: its `CanonicalVariable` descriptions.
        prefix: canonical scope put before each name, e.g. `"encoder/layer_0/"`.
    """
    return {prefix + v.name: v.get(layer) for v in variables}
