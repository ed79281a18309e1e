"""The Electric score is the paper's `sum_t -E(x)_t`, checked against numpy.

Clark et al. 2020b ("Pre-Training Transformers as Energy-Based Cloze Models")
define `p(x_t | x_\\t) = exp(-E(x)_t) / Z` and train E with a binary classifier
whose "fake" logit is `E(x)_t + log q(x_t | x_\\t) + log(k / (n - k))`
(run_pretraining.py, `_get_discriminator_output`: `logits += log_q` and
`logits += tf.log(mask_prob / (1 - mask_prob))`; label 1 = fake). So the
energy is the training logit minus the noise terms, `log q` is not part of
the score, and a sentence's (pseudo-log-likelihood style) score is
`-sum_t E(x)_t` over its tokens; [CLS], [SEP] and padding are not scored.
"""

import math

import keras
import numpy as np
from scipy.special import erf
from scipy.special import log_softmax

from keras_electra.convert import export_pretrainer_presets
from keras_electra.tasks import ElectricScorer
from tests.models.test_pretrainer import CLS
from tests.models.test_pretrainer import SEP
from tests.models.test_pretrainer import batch
from tests.models.test_pretrainer import make


def np_(x):
    return keras.ops.convert_to_numpy(x)


def numpy_head(head, hidden):
    """`ElectraDiscriminatorHead` in numpy: dense(exact GELU) -> dense(1)."""
    kernel, bias = (np_(w).astype("float64") for w in head.dense.weights)
    out_kernel, out_bias = (np_(w).astype("float64") for w in head.dense_prediction.weights)
    inner = hidden.astype("float64") @ kernel + bias
    inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))
    return (inner @ out_kernel + out_bias)[..., 0]


def test_score_is_minus_the_summed_energies_of_the_training_logit(tmp_path):
    p = 0.25
    model = make(objective="electric", mask_probability=p)
    x = batch()
    out = {k: np_(v) for k, v in model(x).items()}
    fake = out["disc_input_ids"]
    inputs = {**{k: keras.ops.convert_to_tensor(v) for k, v in x.items()},
              "token_ids": keras.ops.convert_to_tensor(fake)}
    # The energy from the training logit: minus log q (cloze model, numpy
    # log-softmax at the fake token) and minus the noise prior log(p / (1 - p)).
    cloze = np_(model.cloze_logits(keras.ops.convert_to_tensor(x["token_ids"]), inputs))
    log_q = np.take_along_axis(log_softmax(cloze.astype("float64"), -1), fake[..., None], -1)[..., 0]
    energy = out["disc_logits"] - log_q - math.log(p / (1 - p))
    hidden = np_(model.discriminator(inputs)["sequence_output"])
    np.testing.assert_allclose(energy, numpy_head(model.discriminator_head, hidden), atol=1e-4)

    export_pretrainer_presets(model, scorer_dir=str(tmp_path / "scorer"))
    scorer = ElectricScorer.from_preset(str(tmp_path / "scorer"), cls_token_id=CLS,
                                        sep_token_id=SEP)
    result = scorer.score({**x, "token_ids": fake})
    real = (x["padding_mask"] == 1) & ~np.isin(fake, [CLS, SEP])
    np.testing.assert_allclose(result["token_scores"], np.where(real, -energy, 0.0), atol=1e-4)
    np.testing.assert_allclose(result["scores"], -(energy * real).sum(-1), atol=1e-4)
    np.testing.assert_allclose(result["lengths"], real.sum(-1))
    # A lower energy is a more plausible token, so a higher score.
    assert np.argmax(result["scores"]) == np.argmin((energy * real).sum(-1))
