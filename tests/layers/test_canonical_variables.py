"""The layers' published variables match what they build, and conversion covers them."""

import keras
import keras_hub
import numpy as np
import pytest

from keras_electra.convert import weights as w
from keras_electra.convert.keras_hub import hub_variable_table
from keras_electra.distribution import layout_for_path
from keras_electra.layers.encoder_layer import ENCODER_LAYER_VARIABLES
from keras_electra.layers.encoder_layer import encoder_layer_variables
from keras_electra.models import ElectraBackbone
from keras_electra.models.backbone import backbone_variable_specs
from tests.helpers import tiny_backbone_kwargs

CONFIGS = {
    "projection": tiny_backbone_kwargs(num_layers=2, num_heads=4, hidden_dim=16,
                                       embedding_dim=8, num_segments=3),
    "no_projection": tiny_backbone_kwargs(num_layers=3, num_heads=2, hidden_dim=12,
                                          intermediate_dim=20, embedding_dim=12),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_description_matches_a_built_backbone(name):
    config = CONFIGS[name]
    backbone = ElectraBackbone(**config)
    specs = backbone_variable_specs(
        config["num_layers"], config["embedding_dim"] != config["hidden_dim"]
    )
    table = backbone.canonical_variables()
    # Same canonical names, in the same order, as the description.
    assert list(table) == [canonical for canonical, _, _ in specs]
    assert list(table) == w.canonical_names(
        config["num_layers"], config["embedding_dim"] != config["hidden_dim"]
    )
    full = {"num_segments": 2, **config}  # ElectraBackbone's default
    for canonical, path, spec in specs:
        variable = table[canonical]
        assert variable.path == path, canonical
        assert tuple(variable.shape) == tuple(spec.shape(full)), canonical
        # The layout rules give each variable its published layout, fitting its rank.
        assert layout_for_path(path) == spec.layout, path
        assert spec.layout is None or len(spec.layout) == len(variable.shape)
    # Every backbone variable is published exactly once.
    assert len({id(v) for v in table.values()}) == len(table) == len(backbone.weights)
    assert {id(v) for v in table.values()} == {id(v) for v in backbone.weights}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_conversion_covers_every_variable(name):
    config = CONFIGS[name]
    source = ElectraBackbone(**config)
    weights = w.get_backbone_weights(source)
    assert set(weights) == set(source.canonical_variables())
    # Checkpoints hold attention per-head variables flat, as the original does.
    hidden = config["hidden_dim"]
    for name in ("attention/self/query/kernel", "attention/output/dense/kernel"):
        assert weights["encoder/layer_1/" + name].shape == (hidden, hidden)
    assert weights["encoder/layer_1/attention/self/value/bias"].shape == (hidden,)
    assert all(value.ndim <= 2 for value in weights.values())
    target = ElectraBackbone(**config)
    assigned = w.set_backbone_weights(target, weights)
    assert len(assigned) == len(target.weights)
    for a, b in zip(source.weights, target.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_keras_hub_transformer_encoder_publishes_the_same_variables():
    layer = keras_hub.layers.TransformerEncoder(num_heads=2, intermediate_dim=24)
    layer.build((1, 5, 8))
    table = encoder_layer_variables(layer, "encoder/layer_0/")
    assert list(table) == ["encoder/layer_0/" + v.name for v in ENCODER_LAYER_VARIABLES]
    assert {id(v) for v in table.values()} == {id(v) for v in layer.weights}
    config = dict(hidden_dim=8, num_heads=2, intermediate_dim=24)
    for spec in ENCODER_LAYER_VARIABLES:
        variable = table["encoder/layer_0/" + spec.name]
        assert variable.path.endswith("/" + spec.path)
        assert tuple(variable.shape) == spec.shape(config)


@pytest.mark.parametrize("embedding_dim", (8, 16))
def test_keras_hub_backbone_table_covers_all_but_the_pooler(embedding_dim):
    hub = keras_hub.models.ElectraBackbone(
        vocab_size=30, num_layers=2, num_heads=2, hidden_dim=16,
        intermediate_dim=32, embedding_dim=embedding_dim, max_sequence_length=12,
    )
    table = hub_variable_table(hub)
    assert list(table) == w.canonical_names(2, embedding_dim != 16)
    left = [v.path for v in hub.weights if id(v) not in {id(t) for t in table.values()}]
    assert left and all(path.startswith("pooled_dense/") for path in left)
