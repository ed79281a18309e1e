"""Plain jax (XLA CPU) against plain torch at the ELECTRA-Small fine-tuning step's shapes.

No keras-electra and no Keras: each kernel is written once in jax (jitted) and once in
torch (eager, as transformers runs), with the same shapes and float32 inputs. Each
framework runs in its own worker process (in one process, XLA's idle worker threads
spin and slow torch down), and the two are timed interleaved: the parent asks the jax
worker for one timing of a kernel, then the torch worker, and so on. The report gives, per kernel,
the median wall and CPU time per call and the jax/torch ratio (above 1: jax is slower).
The shapes are those of one ELECTRA-Small encoder layer at batch 32, sequence 64:
hidden 256, 4 heads of 64, feed-forward 1024 (12 such layers make the step).

    python tools/kernel_gap_repro.py                 # every kernel, 7 rounds
    python tools/kernel_gap_repro.py --rounds 3 --only dense_1024 gelu
    python tools/kernel_gap_repro.py --threads 1   # kernel efficiency, robust to load

Run it on a quiet machine for absolute numbers; on a shared one the CPU-time column and
the ratios are the ones to read.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

B, T, H, HEADS, FF = 32, 64, 256, 4, 1024
N = B * T
KERNELS = ["dense_256", "dense_1024", "dense_1024_back", "dense_grads", "attention_scores",
           "masked_softmax", "gelu", "layer_norm", "dropout_mask", "encoder_layer_fwd_bwd"]


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    f = lambda *s: (rng.standard_normal(s) * 0.05).astype("float32")  # noqa: E731
    return {
        "x": f(N, H), "x_ff": f(N, FF), "w_qkv": f(H, H), "w_in": f(H, FF), "w_out": f(FF, H),
        "dy": f(N, H), "dy_ff": f(N, FF), "q": f(B, HEADS, T, 64), "k": f(B, HEADS, T, 64),
        "scores": f(B, HEADS, T, T), "mask": (rng.random((B, 1, 1, T)) < 0.9).astype("float32"),
        "gamma": np.ones(H, "float32"), "beta": np.zeros(H, "float32"),
        "w_q": f(H, H), "w_k": f(H, H), "w_v": f(H, H), "w_o": f(H, H),
    }


def jax_kernels(a):
    import jax
    import jax.numpy as jnp

    a = {k: jnp.asarray(v) for k, v in a.items()}

    def layer_norm(x):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) * jax.lax.rsqrt(var + 1e-12) * a["gamma"] + a["beta"]

    def encoder_layer(x, w_q, w_k, w_v, w_o, w_in, w_out):
        split = lambda t: t.reshape(B, T, HEADS, 64).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(x @ w_q), split(x @ w_k), split(x @ w_v)
        s = jnp.einsum("bhqd,bhkd->bhqk", q, k) / 8.0 + (1.0 - a["mask"]) * -1e9
        p = jax.nn.softmax(s, axis=-1)
        o = jnp.einsum("bhqk,bhkd->bhqd", p, v).transpose(0, 2, 1, 3).reshape(N, H)
        x = layer_norm(x + o @ w_o)
        return layer_norm(x + jax.nn.gelu(x @ w_in, approximate=False) @ w_out)

    def layer_fwd_bwd(x, *w):
        out, vjp = jax.vjp(encoder_layer, x, *w)
        return vjp(a["dy"])

    def gelu_fwd_bwd(x, g):
        out, vjp = jax.vjp(lambda t: jax.nn.gelu(t, approximate=False), x)
        return out, vjp(g)

    key = jnp.array([0, 1], jnp.uint32)
    w = [a[n] for n in ("w_q", "w_k", "w_v", "w_o", "w_in", "w_out")]
    kernels = {
        "dense_256": (jax.jit(lambda x, w: x @ w), (a["x"], a["w_qkv"])),
        "dense_1024": (jax.jit(lambda x, w: x @ w), (a["x"], a["w_in"])),
        "dense_1024_back": (jax.jit(lambda x, w: x @ w), (a["x_ff"], a["w_out"])),
        "dense_grads": (jax.jit(lambda x, w, dy: (dy @ w.T, x.T @ dy)), (a["x_ff"], a["w_out"], a["dy"])),
        "attention_scores": (jax.jit(lambda q, k: jnp.einsum("bhqd,bhkd->bhqk", q, k)), (a["q"], a["k"])),
        "masked_softmax": (jax.jit(lambda s, m: jax.nn.softmax(s + (1.0 - m) * -1e9, axis=-1)),
                           (a["scores"], a["mask"])),
        "gelu": (jax.jit(gelu_fwd_bwd), (a["x_ff"], a["dy_ff"])),
        "layer_norm": (jax.jit(layer_norm), (a["x"],)),
        "dropout_mask": (jax.jit(lambda k: jax.random.uniform(k, (B, HEADS, T, T)) < 0.9), (key,)),
        "encoder_layer_fwd_bwd": (jax.jit(layer_fwd_bwd), (a["x"], *w)),
    }
    return {k: (lambda f=f, args=args: jax.block_until_ready(f(*args))) for k, (f, args) in kernels.items()}


def torch_kernels(a):
    import torch
    import torch.nn.functional as F

    t = {k: torch.from_numpy(v) for k, v in a.items()}
    w = {n: t[n].clone().requires_grad_() for n in ("w_q", "w_k", "w_v", "w_o", "w_in", "w_out")}

    def encoder_layer(x):
        split = lambda u: u.reshape(B, T, HEADS, 64).transpose(1, 2)  # noqa: E731
        q, k, v = split(x @ w["w_q"]), split(x @ w["w_k"]), split(x @ w["w_v"])
        s = q @ k.transpose(-1, -2) / 8.0 + (1.0 - t["mask"]) * -1e9
        p = torch.softmax(s, dim=-1)
        o = (p @ v).transpose(1, 2).reshape(N, H)
        x = F.layer_norm(x + o @ w["w_o"], (H,), t["gamma"], t["beta"], 1e-12)
        return F.layer_norm(x + F.gelu(x @ w["w_in"]) @ w["w_out"], (H,), t["gamma"], t["beta"], 1e-12)

    def layer_fwd_bwd():
        x = t["x"].clone().requires_grad_()
        for weight in w.values():
            weight.grad = None
        encoder_layer(x).backward(t["dy"])
        return (x.grad, *(w[n].grad for n in ("w_q", "w_k", "w_v", "w_o", "w_in", "w_out")))

    def gelu_fwd_bwd():
        x = t["x_ff"].clone().requires_grad_()
        out = F.gelu(x)
        out.backward(t["dy_ff"])
        return out, x.grad

    def no_grad(f):
        def run():
            with torch.no_grad():
                return f()
        return run

    x, x_ff, dy = t["x"], t["x_ff"], t["dy"]
    return {
        "dense_256": no_grad(lambda: x @ t["w_qkv"]),
        "dense_1024": no_grad(lambda: x @ t["w_in"]),
        "dense_1024_back": no_grad(lambda: x_ff @ t["w_out"]),
        "dense_grads": no_grad(lambda: (dy @ t["w_out"].T, x_ff.T @ dy)),
        "attention_scores": no_grad(lambda: t["q"] @ t["k"].transpose(-1, -2)),
        "masked_softmax": no_grad(lambda: torch.softmax(t["scores"] + (1.0 - t["mask"]) * -1e9, -1)),
        "gelu": gelu_fwd_bwd,
        "layer_norm": no_grad(lambda: F.layer_norm(x, (H,), t["gamma"], t["beta"], 1e-12)),
        "dropout_mask": no_grad(lambda: torch.rand(B, HEADS, T, T) < 0.9),
        "encoder_layer_fwd_bwd": layer_fwd_bwd,
    }


def worker(framework, threads):
    """Reads `kernel calls` lines; answers `wall_s cpu_s` per call of that kernel."""
    if threads == 1 and framework == "jax":
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()
    if framework == "jax":
        import jax

        kernels, version = jax_kernels(_inputs()), f"jax {jax.__version__} ({jax.default_backend()})"
    else:
        import torch

        if threads:
            torch.set_num_threads(threads)
        kernels = torch_kernels(_inputs())
        version = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    for f in kernels.values():
        f()  # compile / warm up
    print(version, flush=True)
    for line in sys.stdin:
        name, calls = line.split()
        f, calls = kernels[name], int(calls)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            f()
        print((time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls, flush=True)


def measure(names, rounds, calls, threads=None):
    """Interleaved timing: ({framework: {kernel: (median wall s, median cpu s)}}, versions)."""
    workers = {fw: subprocess.Popen([sys.executable, __file__, "--worker", fw,
                                     "--threads", str(threads or 0)], text=True,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
               for fw in ("jax", "torch")}
    versions = [w.stdout.readline().strip() for w in workers.values()]
    times = {fw: {k: ([], []) for k in names} for fw in workers}
    for _ in range(rounds):
        for name in names:
            for fw, w in workers.items():
                w.stdin.write(f"{name} {calls}\n")
                w.stdin.flush()
                wall, cpu = map(float, w.stdout.readline().split())
                times[fw][name][0].append(wall)
                times[fw][name][1].append(cpu)
    for w in workers.values():
        w.stdin.close()
        w.wait()
    return {fw: {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in ks.items()}
            for fw, ks in times.items()}, versions


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=5, help="calls per timing")
    parser.add_argument("--only", nargs="*", default=KERNELS, choices=KERNELS,
                        help="kernel names to run")
    parser.add_argument("--threads", type=int, default=0,
                        help="1: both frameworks single-threaded (XLA without its Eigen pool, "
                        "torch.set_num_threads(1)); 0 (default): their defaults")
    parser.add_argument("--worker", choices=("jax", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.threads)
    result, versions = measure(args.only, args.rounds, args.calls, args.threads)
    print(f"{', '.join(versions)}; median of {args.rounds} interleaved rounds of {args.calls} calls")
    print("| kernel | jax wall ms | torch wall ms | jax cpu ms | torch cpu ms | jax/torch (cpu) |")
    print("|---|---|---|---|---|---|")
    for name in args.only:
        jw, jc = result["jax"][name]
        tw, tc = result["torch"][name]
        print(f"| {name} | {jw * 1e3:.2f} | {tw * 1e3:.2f} | {jc * 1e3:.2f} | {tc * 1e3:.2f} | "
              f"{jc / tc:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
