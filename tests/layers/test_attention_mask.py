import keras
import numpy as np
import pytest

from keras_electra.layers import DirectionalAttentionMask


@pytest.mark.parametrize("direction", ["left_to_right", "right_to_left"])
def test_mask_matches_reference(direction):
    padding = np.array([[1, 1, 1, 0], [1, 1, 1, 1]])
    mask = keras.ops.convert_to_numpy(DirectionalAttentionMask(direction)(padding))
    q, k = np.arange(4)[:, None], np.arange(4)[None, :]
    allowed = (k <= q) if direction == "left_to_right" else (k >= q)
    expected = (allowed[None] & padding[:, None, :].astype(bool)) | (q == k)[None]
    np.testing.assert_array_equal(mask, expected)
    assert mask.any(-1).all(), "every query row must attend somewhere"


def test_bad_direction():
    with pytest.raises(ValueError, match="direction"):
        DirectionalAttentionMask("sideways")
