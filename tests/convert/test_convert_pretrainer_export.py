import keras
import numpy as np

from keras_electra.cli.main import main
from keras_electra.models import ElectraBackbone
from keras_electra.tasks import ElectraMaskedLM
from keras_electra.tasks import ElectricScorer
from keras_electra.convert import export_pretrainer_presets
from tests.models.test_pretrainer import batch
from tests.models.test_pretrainer import make
from tests.conftest import requires_tf


def test_export_discriminator_and_generator_presets(tmp_path):
    model = make()
    x = batch()
    model(x)
    export_pretrainer_presets(model, discriminator_dir=str(tmp_path / "disc"), generator_dir=str(tmp_path / "gen"))
    disc = ElectraBackbone.from_preset(str(tmp_path / "disc"))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(disc(x)["sequence_output"]),
        keras.ops.convert_to_numpy(model.discriminator(x)["sequence_output"]), atol=1e-5)
    masked_lm = ElectraMaskedLM.from_preset(str(tmp_path / "gen"))
    positions = np.array([[1, 2]] * 8, "int32")
    logits = masked_lm.predict_on_batch({"token_ids": x["token_ids"], "padding_mask": x["padding_mask"],
                                         "mask_positions": positions})
    hidden = model.generator(x)["sequence_output"]
    expected = keras.ops.convert_to_numpy(model.generator_head(hidden, positions))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(logits), expected, atol=1e-4)
    filled = masked_lm.fill_mask({"token_ids": np.array([[2, 4, 9, 3]]), "padding_mask": np.ones((1, 4))},
                                 top_k=3, mask_token_id=4)
    assert len(filled[0]) == 1 and len(filled[0][0]) == 3


def test_electric_scorer_preset_and_cli(tmp_path, capsys):
    model = make(objective="electric")
    x = batch()
    model(x)
    export_pretrainer_presets(model, scorer_dir=str(tmp_path / "scorer"))
    scorer = ElectricScorer.from_preset(str(tmp_path / "scorer"), cls_token_id=2, sep_token_id=3)
    result = scorer.score(x)
    hidden = model.discriminator(x)["sequence_output"]
    s = keras.ops.convert_to_numpy(model.discriminator_head(hidden))
    real = (x["padding_mask"] == 1) & ~np.isin(x["token_ids"], [2, 3])
    np.testing.assert_allclose(result["scores"], -(s * real).sum(-1), atol=1e-4)
    normalized = scorer.score(x, normalize=True)["scores"]
    np.testing.assert_allclose(normalized, result["scores"] / real.sum(-1), atol=1e-4)
    try:
        main(["score", "--help"])
    except SystemExit:
        pass
    assert "nbest.jsonl" in capsys.readouterr().out


@requires_tf
def test_fill_mask_on_strings_with_a_preprocessor():
    from keras_electra.tasks.masked_lm import ElectraMaskedLMPreprocessor
    from keras_electra.models import ElectraTokenizer
    from tests.helpers import VOCAB

    backbone = ElectraBackbone(vocabulary_size=len(VOCAB), num_layers=1, num_heads=2,
                               hidden_dim=16, intermediate_dim=32, embedding_dim=8,
                               max_sequence_length=16)
    preprocessor = ElectraMaskedLMPreprocessor(ElectraTokenizer(vocabulary=VOCAB), sequence_length=16)
    masked_lm = ElectraMaskedLM(backbone, preprocessor=preprocessor)
    filled = masked_lm.fill_mask(["the quick [MASK] fox .", "a [MASK] sat on the [MASK] ."], top_k=2)
    assert [len(row) for row in filled] == [1, 2]
    assert all(len(slot) == 2 and isinstance(slot[0][0], str) for row in filled for slot in row)
    # The same ids given directly give the same candidates.
    encoded = masked_lm._encode(["the quick [MASK] fox ."], preprocessor.tokenizer)
    direct = masked_lm.fill_mask(encoded, top_k=2)[0]
    # Batch 1 and batch 2 may take different kernels: scores agree to float noise.
    assert [[tok for tok, _ in slot] for slot in direct] == [[tok for tok, _ in slot] for slot in filled[0]]
    np.testing.assert_allclose([[p for _, p in slot] for slot in direct],
                               [[p for _, p in slot] for slot in filled[0]], rtol=1e-5, atol=1e-6)
