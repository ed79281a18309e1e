"""The one switch of the fast paths: its state and setters.

Public as `keras_electra.config` (which re-exports these functions); it lives here so
that the fast paths read it without importing upward. See `keras_electra.config`.

Example:

>>> from keras_electra import config
>>> with config.settings(fast_paths=False):
...     config.fast_paths_enabled()
False
"""

import contextlib
import os
import warnings

ATTENTION_IMPLEMENTATIONS = ("auto", "keras", "eager", "sdpa")

_state = {
    "fast_paths": os.environ.get("KERAS_ELECTRA_FAST_PATHS", "1").strip().lower()
    not in ("0", "false", "no", "off"),
    "noise_routing": True,
    "attention": "auto",
}


def _private_api_present():
    from keras_electra.fast_paths import private_api

    if private_api.MODULES_AVAILABLE:
        return True
    warnings.warn(
        "keras-electra: the installed Keras or keras-hub lacks private symbols the fast "
        f"paths use ({private_api.IMPORT_ERROR}); running Keras' own (slower) "
        "computation instead. Install the versions pyproject.toml names to get them back.",
        stacklevel=3,
    )
    return False


if _state["fast_paths"]:
    _state["fast_paths"] = _private_api_present()


def set_fast_paths(enabled):
    """Turns every fast path on (default) or off (Keras' own computation).

    Off: functional models and the encoder layer run through Keras' `__call__`,
    attention is Keras' `MultiHeadAttention`, no fused kernels, Keras' own dropout and
    random draws, and Keras' per-variable optimizer update on torch. Results agree
    with the fast paths to float rounding (dropout masks differ on torch).

    Args:
        enabled: bool.
    """
    if enabled:
        from keras_electra.fast_paths import private_api

        if not private_api.MODULES_AVAILABLE:
            raise RuntimeError(
                "The fast paths need private Keras / keras-hub symbols that the installed "
                f"versions lack: {private_api.IMPORT_ERROR}."
            )
    _state["fast_paths"] = bool(enabled)


def fast_paths_enabled():
    """Whether the fast paths are on."""
    return _state["fast_paths"]


def set_noise_routing(enabled):
    """Whether dropout masks and masking/sampling noise take the fast route.

    On (default), unseeded noise on torch comes from torch's global generator (no
    device sync to read a seed back), on a single-device jax CPU noise uses the serial
    threefry layout (`random_noise.draws_serial_threefry`), and dropout masks are
    `uniform < keep`. Off, the
    lean paths use Keras' own `Dropout.call` and `keras.random`, whose masks on torch
    match Keras' for the same seed. Only matters while the fast paths are on.
    """
    _state["noise_routing"] = bool(enabled)


def noise_routing_enabled():
    """Whether noise takes the fast route (see `set_noise_routing`)."""
    return _state["fast_paths"] and _state["noise_routing"]


def set_attention_implementation(name):
    """Chooses how `ElectraEncoderLayer` computes self-attention.

    Args:
        name: `"auto"` (default: the fastest exact route for the backend, dropout and
            seed), `"keras"` (keras-hub's `TransformerEncoder` and Keras'
            `MultiHeadAttention`), `"eager"` (explicit einsum, masked softmax and
            dropout, as Keras' unfused path) or `"sdpa"` (one fused
            scaled-dot-product call: torch SDPA or `keras.ops.dot_product_attention`;
            with attention dropout in training only on torch with an unseeded layer).
            All but `"keras"` need the fast paths on.
    """
    if name not in ATTENTION_IMPLEMENTATIONS:
        from keras_electra.errors import ElectraError

        raise ElectraError(
            f"Unknown attention implementation {name!r}; expected one of "
            f"{ATTENTION_IMPLEMENTATIONS}."
        )
    _state["attention"] = name


def attention_implementation():
    """The attention implementation in effect (`"keras"` when fast paths are off)."""
    return _state["attention"] if _state["fast_paths"] else "keras"


@contextlib.contextmanager
def settings(fast_paths=None, noise_routing=None, attention=None):
    """Temporarily changes the switches; restores them on exit.

    Example:

    >>> from keras_electra import config
    >>> with config.settings(fast_paths=False):
    ...     config.fast_paths_enabled()
    False
    """
    saved = dict(_state)
    try:
        if fast_paths is not None:
            set_fast_paths(fast_paths)
        if noise_routing is not None:
            set_noise_routing(noise_routing)
        if attention is not None:
            set_attention_implementation(attention)
        yield
    finally:
        _state.update(saved)
