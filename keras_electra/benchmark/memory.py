"""Peak memory readings per framework (accelerator if present, else host RSS)."""

import resource
import sys


def host_peak_memory():
    """Peak resident memory of this process, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def torch_peak_memory(torch):
    if torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated())
    return host_peak_memory()


def keras_peak_memory(backend):
    """Peak accelerator memory under a Keras backend, else host RSS."""
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                stats = device.memory_stats() or {}
                if "peak_bytes_in_use" in stats:
                    return int(stats["peak_bytes_in_use"])
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return int(torch.cuda.max_memory_allocated())
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])
    except Exception:  # a reading is best effort; the timing still stands
        pass
    return host_peak_memory()
