"""`hf://` presets end to end against a local hub (tests/hub_server.py): download,
cache, conversion, and the errors of a hub that is missing, truncating or silent.

`huggingface_hub` reads `HF_ENDPOINT`, `HF_HUB_CACHE` and `HF_HUB_OFFLINE` into
`huggingface_hub.constants` when it is imported, and reads those constants at
every call; the `hub` fixture patches the constants (what setting the variables
before the import does) so these tests run in-process and fast.
`test_convert_cli_subprocess_honours_hf_endpoint` checks the real variables.
Loopback only: no test here needs the internet.
"""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
huggingface_hub = pytest.importorskip("huggingface_hub")

from keras_electra.cli.main import main  # noqa: E402
from keras_electra.models import ElectraBackbone  # noqa: E402
from keras_electra.models.hub_download import HubRepository  # noqa: E402
from keras_electra.models.preset_loading import PresetError  # noqa: E402
from tests.convert import convert_helpers as h  # noqa: E402
from tests.hub_server import LocalHub  # noqa: E402
from tests.hub_server import SilentServer  # noqa: E402

REPO = "google/electra-small-discriminator"  # what `electra_small_discriminator_en` names
HANDLE = f"hf://{REPO}"
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(h.VOCAB_SIZE - 5)]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny `ElectraForPreTraining` in transformers format, and its outputs."""
    torch.manual_seed(0)
    model = transformers.ElectraForPreTraining(h.electra_config()).eval()
    path = tmp_path_factory.mktemp("checkpoint")
    model.save_pretrained(str(path))
    (path / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    with torch.no_grad():
        out = model(**h.torch_inputs(h.inputs()), output_hidden_states=True)
    return path, out.hidden_states[-1].numpy()


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    """Points huggingface_hub at `endpoint(url)` with a fresh cache; returns the setter."""
    constants = huggingface_hub.constants
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    monkeypatch.delenv("HF_HUB_ETAG_TIMEOUT", raising=False)

    def endpoint(url):
        monkeypatch.setattr(constants, "ENDPOINT", url)
        monkeypatch.setattr(
            constants, "HUGGINGFACE_CO_URL_TEMPLATE",
            url + "/{repo_id}/resolve/{revision}/{filename}",
        )

    return endpoint


@pytest.fixture
def hub(hub_env, checkpoint):
    with LocalHub({REPO: checkpoint[0]}) as server:
        hub_env(server.endpoint)
        yield server


def check_outputs(backbone, reference):
    h.assert_close_on_tokens(
        h.sequence_output(backbone, h.inputs()), reference, h.inputs()["padding_mask"]
    )


def cached_files(cache):
    return sorted(
        os.path.relpath(os.path.join(d, f), cache)
        for d, _, files in os.walk(cache) for f in files
    )


def test_named_preset_downloads_converts_then_loads_from_cache(hub, checkpoint):
    backbone = ElectraBackbone.from_preset("electra_small_discriminator_en")
    check_outputs(backbone, checkpoint[1])
    fetched = {path.rsplit("/", 1)[-1] for method, path in hub.requests if method == "GET"}
    assert {"config.json", "model.safetensors", "vocab.txt"} <= fetched
    # One commit for every file: after config.json, requests name the commit.
    later = [p for m, p in hub.requests if "/resolve/" in p and not p.endswith("/main/config.json")]
    assert later and all(f"/resolve/{hub.commit}/" in p for p in later)

    hub.stop()  # the second load needs no network
    start = time.monotonic()
    again = ElectraBackbone.from_preset(HANDLE)
    assert time.monotonic() - start < 10
    check_outputs(again, checkpoint[1])


def test_second_load_online_asks_the_hub_once(hub, checkpoint):
    ElectraBackbone.from_preset(HANDLE)
    hub.requests.clear()
    ElectraBackbone.from_preset(HANDLE)
    # Only probes: config.json's commit, and the optional files the repo lacks.
    probes = [(m, p) for m, p in hub.requests if "/resolve/" in p]
    assert probes and all(m == "HEAD" for m, _ in probes)
    assert not any(p.endswith(("model.safetensors", "vocab.txt")) for _, p in probes)


def test_offline_mode_uses_the_cache_and_says_when_it_cannot(hub, checkpoint, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(PresetError, match="HF_HUB_OFFLINE"):
        ElectraBackbone.from_preset(HANDLE)
    assert hub.requests == []
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    ElectraBackbone.from_preset(HANDLE)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    hub.requests.clear()
    check_outputs(ElectraBackbone.from_preset(HANDLE), checkpoint[1])
    assert hub.requests == []


def test_convert_cli_through_the_hub(hub, checkpoint, tmp_path, capsys):
    out = tmp_path / "converted"
    assert main(["convert", "--from", "transformers", HANDLE, "--out", str(out)]) == 0
    check_outputs(ElectraBackbone.from_preset(str(out)), checkpoint[1])
    assert (out / "assets" / "tokenizer" / "vocabulary.txt").read_text().split() == VOCAB


def test_convert_cli_missing_repository_writes_nothing(hub, tmp_path, capsys):
    out = tmp_path / "converted"
    code = main(["convert", "--from", "transformers", "hf://google/nope", "--out", str(out)])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'google/nope'" in err[0] and "was not found" in err[0]
    assert not out.exists()


@pytest.mark.slow
def test_convert_cli_subprocess_honours_hf_endpoint(checkpoint, tmp_path):
    """The real environment variables, read when huggingface_hub is imported."""
    with LocalHub({REPO: checkpoint[0]}) as server:
        env = dict(os.environ, HF_ENDPOINT=server.endpoint,
                   HF_HUB_CACHE=str(tmp_path / "hf_cache"), HF_HUB_OFFLINE="0")
        out = tmp_path / "converted"
        result = subprocess.run(
            [sys.executable, "-m", "keras_electra.cli.main", "convert", "--from",
             "transformers", HANDLE, "--out", str(out)],
            env=env, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert ("GET", f"/{REPO}/resolve/main/config.json") in server.requests
    check_outputs(ElectraBackbone.from_preset(str(out)), checkpoint[1])


def test_sharded_safetensors_are_fetched_with_their_shards(hub_env, checkpoint, tmp_path):
    model = transformers.ElectraForPreTraining.from_pretrained(str(checkpoint[0]))
    sharded = tmp_path / "sharded"
    model.save_pretrained(str(sharded), max_shard_size="10KB")
    assert (sharded / "model.safetensors.index.json").is_file()
    with LocalHub({"me/sharded": sharded}) as server:
        hub_env(server.endpoint)
        check_outputs(ElectraBackbone.from_preset("hf://me/sharded"), checkpoint[1])


def test_keras_preset_on_the_hub(hub_env, tmp_path):
    from keras_electra.models import ElectraTokenizer
    from tests.helpers import VOCAB as vocab
    from tests.helpers import tiny_backbone_kwargs

    local = tmp_path / "keras_preset"
    backbone = ElectraBackbone(**tiny_backbone_kwargs())
    backbone.save_to_preset(str(local))
    ElectraTokenizer(vocabulary=vocab).save_to_preset(str(local))
    with LocalHub({"me/keras-tiny": local}) as server:
        hub_env(server.endpoint)
        loaded = ElectraBackbone.from_preset("hf://me/keras-tiny")
    for a, b in zip(backbone.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_missing_repository_is_a_clear_error(hub):
    with pytest.raises(PresetError, match=r"Repository 'google/nope' .* was not found on http://127"):
        ElectraBackbone.from_preset("hf://google/nope")


def test_missing_file_is_a_clear_error(hub_env, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("no model here\n")
    with LocalHub({"me/empty": tmp_path / "empty"}) as server:
        hub_env(server.endpoint)
        with pytest.raises(PresetError, match=r"has no file config.json .*HTTP 404"):
            ElectraBackbone.from_preset("hf://me/empty")


def test_missing_weights_are_a_clear_error(hub_env, checkpoint, tmp_path):
    only_config = tmp_path / "config_only"
    only_config.mkdir()
    (only_config / "config.json").write_bytes((checkpoint[0] / "config.json").read_bytes())
    with LocalHub({"me/config-only": only_config}) as server:
        hub_env(server.endpoint)
        with pytest.raises(PresetError, match=r"has no weights in the repository.*model.safetensors"):
            ElectraBackbone.from_preset("hf://me/config-only")


def test_plain_404_from_a_mirror_is_not_found(hub):
    hub.faults["config.json"] = "plain-404"
    with pytest.raises(PresetError, match="has no file config.json") as info:
        ElectraBackbone.from_preset(HANDLE)
    assert "connection" not in str(info.value)


@pytest.mark.parametrize("fault", ["truncate", "short"])
def test_truncated_download_is_an_error_and_leaves_the_cache_usable(hub, checkpoint, fault):
    hub.faults["model.safetensors"] = fault
    with pytest.raises(PresetError, match=r"Downloading model.safetensors of .* ended early"):
        ElectraBackbone.from_preset(HANDLE)
    cache = huggingface_hub.constants.HF_HUB_CACHE
    files = cached_files(cache)
    assert not any("incomplete" in f or f.endswith("model.safetensors") for f in files), files
    hub.faults.clear()  # the next run downloads it again, whole
    check_outputs(ElectraBackbone.from_preset(HANDLE), checkpoint[1])


def test_server_error_is_not_retried_for_minutes(hub):
    hub.faults["*"] = "500"
    start = time.monotonic()
    with pytest.raises(PresetError, match=r"answered HTTP 500.* not in the Hugging Face cache"):
        ElectraBackbone.from_preset(HANDLE)
    assert time.monotonic() - start < 5
    assert len([p for _, p in hub.requests if "/resolve/" in p]) == 1  # no retries


def test_silent_hub_times_out_with_a_clear_error(hub_env, monkeypatch):
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "1")
    with SilentServer() as server:
        hub_env(server.endpoint)
        start = time.monotonic()
        with pytest.raises(PresetError) as info:
            ElectraBackbone.from_preset("electra_small_discriminator_en")
        elapsed = time.monotonic() - start
    message = str(info.value)
    assert "did not answer within 1 s" in message
    assert f"{server.endpoint}/{REPO}/resolve/main/config.json" in message
    assert "electra_small_discriminator_en" in message
    assert "doesn't exist" not in message
    assert elapsed < 10


def test_silent_hub_falls_back_to_the_cache(hub_env, checkpoint, monkeypatch, caplog):
    with LocalHub({REPO: checkpoint[0]}) as server:
        hub_env(server.endpoint)
        ElectraBackbone.from_preset(HANDLE)
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "1")
    with SilentServer() as server:
        hub_env(server.endpoint)
        start = time.monotonic()
        with caplog.at_level("WARNING", logger="keras_electra.hub"):
            backbone = ElectraBackbone.from_preset(HANDLE)
        assert time.monotonic() - start < 10
    check_outputs(backbone, checkpoint[1])
    assert "did not answer within 1 s" in caplog.text and "cached copy" in caplog.text


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_bad_timeout_setting_is_a_clear_error(hub_env, monkeypatch, value):
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", value)
    with pytest.raises(PresetError, match="HF_HUB_ETAG_TIMEOUT"):
        HubRepository(HANDLE)


@pytest.mark.parametrize("handle", ["hf://just-a-name", "hf://a/b/c", "hf://a/"])
def test_malformed_handle_is_a_clear_error(handle):
    with pytest.raises(PresetError, match="hf://owner/name"):
        ElectraBackbone.from_preset(handle)
