"""One measured configuration, run in its own process.

`python -m keras_electra.benchmark.worker '<json spec>'` prints one line
`BENCHMARK_RESULT {...}`. The Keras backend must be set through
`KERAS_BACKEND` before this process starts.
"""

import json
import sys

RESULT_PREFIX = "BENCHMARK_RESULT "


def measure(spec):
    from keras_electra.benchmark.inputs import model_sizes

    discriminator, generator, mask_probability = model_sizes(spec["size"])
    if spec["framework"] == "transformers":
        from keras_electra.benchmark import transformers_worker as worker
    else:
        from keras_electra.benchmark import keras_worker as worker
    return worker.run(spec, discriminator, generator, mask_probability)


def matmul_peak(precision, size=None):
    """Measured dense matmul throughput (FLOP/s) with torch on this device."""
    import time

    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
    n = size or (8192 if device == "cuda" else 1024)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    repeats = 20 if device == "cuda" else 5
    for _ in range(3):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        c = a @ b
    float(c[0, 0])
    if device == "cuda":
        torch.cuda.synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    if spec.get("framework") == "peak":
        result = {"flops_per_s": matmul_peak(spec["precision"])}
    else:
        result = measure(spec)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
