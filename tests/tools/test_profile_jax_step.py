"""tools/profile_jax_step.py: the jax step's ops are traced and grouped."""

import keras
import pytest

from tests.helpers import load_tool


@pytest.mark.slow
@pytest.mark.skipif(keras.config.backend() != "jax", reason="profiles the jax train step")
def test_profile_groups_the_tiny_step(capsys):
    module = load_tool("profile_jax_step")
    assert module.main(["--size", "tiny", "--batch-size", "4", "--seq-len", "16", "--steps", "1"]) == 0
    table = capsys.readouterr().out
    shares = {line.split("|")[1].strip(): float(line.split("|")[2].strip(" %"))
              for line in table.splitlines() if line.startswith("| ") and "%" in line}
    assert "matmul forward" in shares and "matmul backward" in shares
    assert abs(sum(shares.values()) - 100.0) < 0.5
