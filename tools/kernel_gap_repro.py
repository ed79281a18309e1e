"""Plain jax (XLA CPU) and plain TensorFlow against plain torch at the ELECTRA-Small
fine-tuning step's shapes.

No keras-electra and no Keras: each kernel is written once in jax (jitted), once in
TensorFlow (a `tf.function` graph without XLA, as Keras runs TensorFlow on a CPU) and
once in torch (eager, as transformers runs), with the same shapes and float32 inputs.
Each framework runs in its own worker process (in one process, XLA's idle worker
threads spin and slow torch down), and they are timed interleaved: the parent asks the
jax worker for one timing of a kernel, then the TensorFlow worker, then torch, and so
on. The report gives, per kernel, the median wall and CPU time per call and each
framework's wall time over torch's (above 1: slower than torch).
The shapes are those of one ELECTRA-Small encoder layer at batch 32, sequence 64:
hidden 256, 4 heads of 64, feed-forward 1024 (12 such layers make the step).

    python tools/kernel_gap_repro.py                 # every kernel, 7 rounds
    python tools/kernel_gap_repro.py --rounds 3 --only dense_1024 gelu
    python tools/kernel_gap_repro.py --threads 1   # each worker pinned to one core
    python tools/kernel_gap_repro.py --frameworks jax torch

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
FRAMEWORKS = ("jax", "tensorflow", "torch")
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


def tensorflow_kernels(a):
    import tensorflow as tf

    t = {k: tf.constant(v) for k, v in a.items()}
    w = [tf.Variable(t[n]) for n in ("w_q", "w_k", "w_v", "w_o", "w_in", "w_out")]

    def layer_norm(x):
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + 1e-12) * t["gamma"] + t["beta"]

    def encoder_layer(x, w_q, w_k, w_v, w_o, w_in, w_out):
        split = lambda u: tf.transpose(tf.reshape(u, (B, T, HEADS, 64)), (0, 2, 1, 3))  # noqa: E731
        q, k, v = split(x @ w_q), split(x @ w_k), split(x @ w_v)
        s = tf.matmul(q, k, transpose_b=True) / 8.0 + (1.0 - t["mask"]) * -1e9
        p = tf.nn.softmax(s, axis=-1)
        o = tf.reshape(tf.transpose(p @ v, (0, 2, 1, 3)), (N, H))
        x = layer_norm(x + o @ w_o)
        return layer_norm(x + tf.nn.gelu(x @ w_in, approximate=False) @ w_out)

    @tf.function(jit_compile=False)
    def layer_fwd_bwd(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = encoder_layer(x, *w)
        return tape.gradient(out, [x, *w], output_gradients=t["dy"])

    @tf.function(jit_compile=False)
    def gelu_fwd_bwd(x, g):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = tf.nn.gelu(x, approximate=False)
        return out, tape.gradient(out, x, output_gradients=g)

    graph = lambda f: tf.function(f, jit_compile=False)  # noqa: E731
    seed = tf.constant([0, 1], tf.int32)
    kernels = {
        "dense_256": (graph(lambda x, w: x @ w), (t["x"], t["w_qkv"])),
        "dense_1024": (graph(lambda x, w: x @ w), (t["x"], t["w_in"])),
        "dense_1024_back": (graph(lambda x, w: x @ w), (t["x_ff"], t["w_out"])),
        "dense_grads": (graph(lambda x, w, dy: (tf.matmul(dy, w, transpose_b=True),
                                                tf.matmul(x, dy, transpose_a=True))),
                        (t["x_ff"], t["w_out"], t["dy"])),
        "attention_scores": (graph(lambda q, k: tf.matmul(q, k, transpose_b=True)), (t["q"], t["k"])),
        "masked_softmax": (graph(lambda s, m: tf.nn.softmax(s + (1.0 - m) * -1e9, axis=-1)),
                           (t["scores"], t["mask"])),
        "gelu": (gelu_fwd_bwd, (t["x_ff"], t["dy_ff"])),
        "layer_norm": (graph(layer_norm), (t["x"],)),
        "dropout_mask": (graph(lambda s: tf.random.stateless_uniform((B, HEADS, T, T), s) < 0.9), (seed,)),
        "encoder_layer_fwd_bwd": (layer_fwd_bwd, (t["x"],)),
    }
    return {k: (lambda f=f, args=args: f(*args)) for k, (f, args) in kernels.items()}


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


def _pin_to_one_core():
    """Runs this process, all its threads included, on one core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def worker(framework, threads):
    """Reads `kernel calls` lines; answers `wall_s cpu_s` per call of that kernel."""
    if threads == 1:
        # XLA's and oneDNN's pools do not all follow their thread settings.
        _pin_to_one_core()
    if framework == "jax":
        if threads == 1:
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                       " intra_op_parallelism_threads=1").strip()
        import jax

        kernels, version = jax_kernels(_inputs()), f"jax {jax.__version__} ({jax.default_backend()})"
    elif framework == "tensorflow":
        import tensorflow as tf

        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        kernels, version = tensorflow_kernels(_inputs()), f"tensorflow {tf.__version__} (graph, no XLA)"
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


def measure(names, rounds, calls, threads=None, frameworks=FRAMEWORKS, settle=0.5):
    """Interleaved timing: ({framework: {kernel: (median wall s, median cpu s)}}, versions).

    Before each timing the parent waits `settle` seconds: the worker pools of the
    framework timed just before keep spinning for a while after their last call,
    and would take a core from the next one's short kernels (jax's [2048, 256] x
    [256, 256] product read 2.57 ms without the wait, 1.60 ms with 0.5 s).
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    workers = {fw: subprocess.Popen([sys.executable, __file__, "--worker", fw,
                                     "--threads", str(threads or 0)], text=True, env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
               for fw in frameworks}
    versions = [w.stdout.readline().strip() for w in workers.values()]
    times = {fw: {k: ([], []) for k in names} for fw in workers}
    for _ in range(rounds):
        for name in names:
            for fw, w in workers.items():
                time.sleep(settle)
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


def report(result, names):
    """The markdown table: wall and CPU ms per framework, and wall over torch's."""
    frameworks = list(result)
    others = [fw for fw in frameworks if fw != "torch" and "torch" in result]
    header = [f"{fw} wall ms" for fw in frameworks] + [f"{fw} cpu ms" for fw in frameworks]
    header += [f"{fw}/torch (wall)" for fw in others]
    lines = ["| kernel | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for name in names:
        cells = [f"{result[fw][name][0] * 1e3:.2f}" for fw in frameworks]
        cells += [f"{result[fw][name][1] * 1e3:.2f}" for fw in frameworks]
        cells += [f"{result[fw][name][0] / result['torch'][name][0]:.2f}" for fw in others]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=5, help="calls per timing")
    parser.add_argument("--only", nargs="*", default=KERNELS, choices=KERNELS,
                        help="kernel names to run")
    parser.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS), choices=FRAMEWORKS)
    parser.add_argument("--threads", type=int, default=0,
                        help="1: every worker pinned to one core and single-threaded (XLA "
                        "without its Eigen pool, one TensorFlow and torch thread); 0 (default): "
                        "their defaults")
    parser.add_argument("--settle", type=float, default=0.5,
                        help="seconds to wait before each timing, so that the previous "
                        "framework's spinning threads go idle (default 0.5)")
    parser.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.threads)
    result, versions = measure(args.only, args.rounds, args.calls, args.threads, args.frameworks,
                               args.settle)
    print(f"{', '.join(versions)}; median of {args.rounds} interleaved rounds of {args.calls} calls, "
          f"{args.settle} s apart")
    print(report(result, args.only))


if __name__ == "__main__":
    sys.exit(main())
