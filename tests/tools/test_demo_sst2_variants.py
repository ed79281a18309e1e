"""tools/demo_sst2_variants.py: the demo discriminator with fresh or rescaled embeddings."""

import os

import keras
import numpy as np
import pytest

from keras_electra.errors import ElectraError
from keras_electra.models import ElectraBackbone
from keras_electra.models.demo_presets import demo_preset
from tests.helpers import load_tool

SENTENCE = "a gorgeous , witty and seductive movie ."


def _weights(backbone):
    return {v.path: keras.ops.convert_to_numpy(v) for v in backbone.weights}


def _sequence_output(backbone):
    from keras_electra.tasks import ElectraTextClassifierPreprocessor

    preprocessor = ElectraTextClassifierPreprocessor.from_preset(demo_preset())
    x = preprocessor([SENTENCE])
    x = x[0] if isinstance(x, tuple) else x
    return keras.ops.convert_to_numpy(backbone(x)["sequence_output"])


def test_rescaled_embeddings_compute_the_same_function_with_smaller_tables():
    shipped = ElectraBackbone.from_preset(demo_preset())
    rescaled, factor = load_tool("demo_sst2_variants").rescaled_embeddings(demo_preset(), target_rms=0.02)
    before, after = _weights(shipped), _weights(rescaled)
    token = "embeddings/token_embedding/embeddings"
    np.testing.assert_allclose(np.sqrt((after[token] ** 2).mean()), 0.02, rtol=1e-4)
    assert factor < 0.5  # the shipped tables grew well above the initializer's scale
    for path in before:
        expected = before[path] * (factor if path.endswith("_embedding/embeddings") else 1.0)
        np.testing.assert_allclose(after[path], expected, rtol=1e-6, err_msg=path)
    # The embedding LayerNorm divides the common factor out.
    np.testing.assert_allclose(_sequence_output(rescaled), _sequence_output(shipped),
                               atol=1e-4)


def test_fresh_embeddings_keep_the_transformer_layers_only():
    tool = load_tool("demo_sst2_variants")
    shipped = _weights(ElectraBackbone.from_preset(demo_preset()))
    keras.utils.set_random_seed(2)
    random = _weights(ElectraBackbone.from_preset(demo_preset(), load_weights=False))
    fresh_backbone = tool.fresh_embeddings(demo_preset(), seed=2)
    fresh = _weights(fresh_backbone)
    embedding_paths = [v.path for v in fresh_backbone.weights if tool.is_embedding_variable(v)]
    assert len(embedding_paths) == 7  # 3 tables, LayerNorm gamma/beta, projection kernel/bias
    for path in shipped:
        source = random if path in embedding_paths else shipped
        np.testing.assert_array_equal(fresh[path], source[path], err_msg=path)
    assert not np.allclose(fresh["embeddings/token_embedding/embeddings"],
                           shipped["embeddings/token_embedding/embeddings"])


def test_main_writes_both_presets_and_refuses_a_full_folder(tmp_path):
    tool = load_tool("demo_sst2_variants")
    out = str(tmp_path / "variants")
    assert tool.main(["--out", out]) == 0
    for name in ("fresh_embeddings", "rescaled_embeddings"):
        path = os.path.join(out, name)
        for file in ("config.json", "model.weights.h5", "preprocessor.json",
                     "assets/tokenizer/vocabulary.txt"):
            assert os.path.isfile(os.path.join(path, file)), (name, file)
        assert ElectraBackbone.from_preset(path).get_config() == (
            ElectraBackbone.from_preset(demo_preset()).get_config())
    with pytest.raises(ElectraError, match="--overwrite"):
        tool.main(["--out", out])
