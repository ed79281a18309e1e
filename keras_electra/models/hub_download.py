"""Downloading `hf://` presets into the Hugging Face cache, with bounded waits.

`download_preset("hf://owner/name")` fetches what a preset needs (its
`config.json`, then the weights and tokenizer files of its format) into the
Hugging Face cache with `huggingface_hub`, and returns the local snapshot
directory. It adds three things to a bare `hf_hub_download`:

- A bounded wait. The hub gets one try, `HF_HUB_ETAG_TIMEOUT` seconds
  (default 10), to answer for the first file. A hub that does not answer, refuses
  the connection or fails (HTTP 5xx) is not retried for minutes: the cached copy
  is used if there is one, else a `PresetError` says the hub did not answer.
- Clear errors. A missing repository, revision or file (HTTP 404/401) is a
  `PresetError` saying what was not found and where; so is a download that
  ends early (the incomplete file is discarded by `huggingface_hub`, never
  cached, so the next run downloads it again).
- One commit. Every file comes from the commit that `config.json` came from,
  so a repository updated between two files never mixes versions.

`huggingface_hub` settings apply: `HF_ENDPOINT` (a mirror), `HF_HUB_CACHE` /
`HF_HOME` (the cache), `HF_HUB_OFFLINE=1` (cache only, no network),
`HF_HUB_DOWNLOAD_TIMEOUT` (per read while downloading), `HF_TOKEN`.
"""

import json
import logging
import os

from keras_electra.errors import PresetError
from keras_electra.models.presets import PRESETS

logger = logging.getLogger("keras_electra.hub")

HF_SCHEME = "hf://"
CONFIG_FILE = "config.json"
TIMEOUT_ENV = "HF_HUB_ETAG_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
# transformers checkpoints: weights in the first form found, plus tokenizer files.
TRANSFORMERS_WEIGHTS = (
    "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
)
TRANSFORMERS_EXTRAS = ("vocab.txt", "tokenizer_config.json")
# Keras presets (`save_to_preset`): every file any loader of ours may read.
KERAS_WEIGHTS = ("model.weights.h5", "model.weights.json")
KERAS_EXTRAS = (
    "metadata.json", "tokenizer.json", "preprocessor.json", "task.json",
    "task.weights.h5", "discriminator_head.safetensors",
    "assets/tokenizer/vocabulary.txt",
)


def _preset_error(message):
    return PresetError(message)


def hub_timeout():
    """Seconds to wait for the hub to answer a request: `HF_HUB_ETAG_TIMEOUT`."""
    value = os.environ.get(TIMEOUT_ENV)
    if value is None:
        from huggingface_hub import constants

        return float(getattr(constants, TIMEOUT_ENV, DEFAULT_TIMEOUT))
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise _preset_error(
            f"{TIMEOUT_ENV}={value!r} must be a positive number of seconds."
        )
    return seconds


def parse_handle(handle):
    """`"hf://owner/name"` -> `"owner/name"`; anything else is a `PresetError`."""
    repo_id = handle[len(HF_SCHEME):] if handle.startswith(HF_SCHEME) else ""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts) or any(p in (".", "..") for p in parts):
        raise _preset_error(
            f"'{handle}' is not a Hugging Face handle: expected "
            "'hf://owner/name', e.g. 'hf://google/electra-small-discriminator'."
        )
    return repo_id


class HubRepository:
    """One `hf://` repository, read file by file through the Hugging Face cache.

    The first file asked for settles how: from the hub (then every later file
    comes from the same commit), or from the cache alone when `HF_HUB_OFFLINE`
    is set or the hub did not answer.

    Args:
        handle: `hf://owner/name`.

    Example:
    ```python
    repo = HubRepository("hf://google/electra-small-discriminator")
    config = repo.fetch("config.json")
    vocab = repo.fetch("vocab.txt", optional=True)  # None when absent
    ```
    """

    def __init__(self, handle):
        try:
            import huggingface_hub
        except ImportError as e:
            raise _preset_error(
                f"Loading '{handle}' needs the huggingface_hub package: "
                "pip install huggingface_hub"
            ) from e
        self._hub = huggingface_hub
        self.handle = handle
        self.repo_id = parse_handle(handle)
        self.revision = "main"
        self.timeout = hub_timeout()
        self.offline = bool(huggingface_hub.constants.HF_HUB_OFFLINE)
        self.unreachable = None  # why the hub could not be used, once known
        names = [n for n, p in PRESETS.items() if p["handle"] == handle]
        self.label = f"'{names[0]}' ({handle})" if names else f"'{handle}'"

    @property
    def endpoint(self):
        return self._hub.constants.ENDPOINT

    def url(self, filename):
        return self._hub.hf_hub_url(self.repo_id, filename, revision=self.revision)

    def fetch(self, filename, optional=False):
        """Returns the local path of `filename`, downloading it if needed.

        Args:
            filename: a path inside the repository.
            optional: return None instead of raising when the repository
                has no such file (or, offline, the cache does not).

        Raises:
            PresetError: the repository or file does not exist, the hub did
                not answer and the file is not cached, or the download failed.
        """
        if self.offline or self.unreachable is not None:
            return self._from_cache(filename, optional)
        if self.revision != "main":
            cached = self._cached(filename)
            if cached is not None:
                return cached  # a pinned commit never changes: no need to ask
        try:
            metadata = self._hub.get_hf_file_metadata(
                self.url(filename), timeout=self.timeout
            )
        except Exception as e:  # classified below; unknown ones mean "unreachable"
            missing = self._not_found(e, filename)
            if missing is None:
                self.unreachable = _describe_failure(e, self.timeout)
                return self._from_cache(filename, optional)
            if optional and missing == "file":
                return None
            raise self._missing_error(e, filename, missing) from e
        path = self._download(filename)
        if self.revision == "main" and metadata.commit_hash:
            # Downloading from "main" recorded it in the cache (refs/main), for
            # offline loads; the later files come from this very commit.
            self.revision = _snapshot_revision(path, filename)
        return path

    # --- Helpers -----------------------------------------------------------

    def _cached(self, filename):
        path = self._hub.try_to_load_from_cache(
            self.repo_id, filename, revision=self.revision
        )
        return path if isinstance(path, str) and os.path.isfile(path) else None

    def _download(self, filename):
        url = self.url(filename)
        try:
            return self._hub.hf_hub_download(
                self.repo_id, filename, revision=self.revision,
                etag_timeout=self.timeout,
            )
        except Exception as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else ""
            incomplete = any(
                key in reason
                for key in ("Consistency check failed", "complete message body")
            )
            what = "ended early" if incomplete else "failed"
            raise _preset_error(
                f"Downloading {filename} of {self.label} from {url} {what}: "
                f"{type(e).__name__}: {reason}. The incomplete file was "
                "discarded and nothing was cached; run again to retry "
                "(HF_HUB_DOWNLOAD_TIMEOUT sets how long a read may stall)."
            ) from e

    def _from_cache(self, filename, optional):
        path = self._cached(filename)
        if path is not None:
            if self.revision == "main":
                # Later files come from this very snapshot.
                self.revision = _snapshot_revision(path, filename)
                if self.unreachable is not None:
                    logger.warning(
                        "The hub at %s %s; using the cached copy of %s (%s).",
                        self.endpoint, self.unreachable, self.label,
                        os.path.dirname(path),
                    )
            return path
        if optional:
            return None
        cache = self._hub.constants.HF_HUB_CACHE
        if self.unreachable is None:
            raise _preset_error(
                f"{filename} of {self.label} is not in the Hugging Face cache "
                f"({cache}) and HF_HUB_OFFLINE is set. Unset HF_HUB_OFFLINE to "
                "download it, or load a local directory."
            )
        raise _preset_error(
            f"Could not download {filename} of {self.label}: the hub at "
            f"{self.endpoint} {self.unreachable} ({self.url(filename)}), and "
            f"the file is not in the Hugging Face cache ({cache}). Check the "
            "network (and HF_ENDPOINT); offline, download the checkpoint "
            "elsewhere and load the local directory, or convert it with "
            "`keras-electra convert`."
        )

    def _not_found(self, error, filename):
        """'repository', 'revision', 'file' or 'gated' for a hub's 'no', else None."""
        from huggingface_hub import errors

        if isinstance(error, errors.GatedRepoError):
            return "gated"
        if isinstance(error, errors.RepositoryNotFoundError):
            return "repository"
        if isinstance(error, errors.RevisionNotFoundError):
            return "revision"
        if isinstance(error, errors.EntryNotFoundError):
            return "file"
        # A server that is not the hub says 404 without the hub's error code.
        response = getattr(error, "response", None)
        if getattr(response, "status_code", None) == 404:
            return "file"
        return None

    def _missing_error(self, error, filename, missing):
        url = self.url(filename)
        status = getattr(getattr(error, "response", None), "status_code", "?")
        if missing == "gated":
            return _preset_error(
                f"{self.label} is a gated repository ({url}: HTTP {status}): "
                "accept its terms on the hub and log in (`hf auth login` or HF_TOKEN)."
            )
        if missing == "repository":
            return _preset_error(
                f"Repository '{self.repo_id}' of {self.label} was not found on "
                f"{self.endpoint} ({url}: HTTP {status}). Check the name; a "
                "private repository needs a token (`hf auth login` or HF_TOKEN)."
            )
        if missing == "revision":
            return _preset_error(
                f"Revision '{self.revision}' of {self.label} was not found "
                f"({url}: HTTP {status})."
            )
        return _preset_error(
            f"{self.label} has no file {filename} ({url}: HTTP {status}, not found)."
        )


def _snapshot_revision(path, filename):
    """The commit of a cached file: `.../snapshots/<commit>/<filename>`."""
    parts = os.path.normpath(path).split(os.sep)
    return parts[-len(filename.split("/")) - 1]


def _describe_failure(error, timeout):
    """Why the hub could not be used, as the end of 'The hub at URL ...'."""
    names = {c.__name__ for c in type(error).__mro__}
    cause = error.__cause__ or error.__context__
    if cause is not None:
        names.update(c.__name__ for c in type(cause).__mro__)
    if names & {"TimeoutException", "Timeout", "ReadTimeout", "ConnectTimeout",
                "TimeoutError"}:
        return f"did not answer within {timeout:g} s ({TIMEOUT_ENV})"
    if "OfflineModeIsEnabled" in names:
        return "is off (HF_HUB_OFFLINE)"
    if names & {"ConnectError", "ConnectionError", "ConnectionRefusedError"}:
        return f"could not be reached ({error})"
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status is not None:
        return f"answered HTTP {status}"
    return f"failed: {type(error).__name__}: {error}"


def _shards(index_path):
    """The shard files a `*.index.json` / `model.weights.json` names ([] if unreadable)."""
    try:
        with open(index_path, encoding="utf-8") as f:
            weight_map = json.load(f).get("weight_map", {})
        names = set()
        for value in weight_map.values():
            names.update(value if isinstance(value, list) else [value])
    except (OSError, ValueError, AttributeError, TypeError):
        return []  # the loader reports the broken index with its path
    return sorted(n for n in names if isinstance(n, str))


def _fetch_first(repo, filenames):
    """Fetches the first of `filenames` the repository has; its name, or None."""
    for filename in filenames:
        path = repo.fetch(filename, optional=True)
        if path is not None:
            if filename.endswith(".json"):  # a shard index: the shards too
                for shard in _shards(path):
                    repo.fetch(shard)
            return filename
    return None


def download_preset(handle):
    """Downloads what the preset at `handle` needs; returns its local directory.

    A transformers checkpoint (a `config.json` with `model_type`) needs its
    weights (`model.safetensors`, a sharded safetensors index with its shards,
    or `pytorch_model.bin`) and gets `vocab.txt` / `tokenizer_config.json` when
    present. A Keras preset gets its weights and the tokenizer, preprocessor
    and task files it has.

    Args:
        handle: `hf://owner/name`.

    Returns:
        The snapshot directory in the Hugging Face cache.

    Raises:
        PresetError: see `HubRepository.fetch`; also when a transformers
            checkpoint has no weights file.

    Example:
    ```python
    directory = download_preset("hf://google/electra-small-discriminator")
    ```
    """
    repo = HubRepository(handle)
    config_path = repo.fetch(CONFIG_FILE)
    directory = os.path.dirname(config_path)
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        return directory  # the loader reports the broken config with its path
    if isinstance(config, dict) and "model_type" in config:
        weights = _fetch_first(repo, TRANSFORMERS_WEIGHTS)
        if weights is None:
            where = "in the Hugging Face cache" if repo.offline or repo.unreachable else "in the repository"
            raise _preset_error(
                f"{repo.label} has no weights {where}: expected one of "
                f"{', '.join(TRANSFORMERS_WEIGHTS)}."
            )
        extras = TRANSFORMERS_EXTRAS
    else:
        _fetch_first(repo, KERAS_WEIGHTS)  # the loader says when none is there
        extras = KERAS_EXTRAS
    for filename in extras:
        repo.fetch(filename, optional=True)
    return directory
