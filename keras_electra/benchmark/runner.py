"""Runs every benchmark configuration side by side and writes JSON + markdown.

Each (framework, backend or mode, workload) runs in a fresh subprocess with
the same shapes, precision and synthetic data. transformers' eager result of
the same workload is the reference for the `vs transformers` ratio.
"""

import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys

from keras_electra.benchmark import flops as flops_lib
from keras_electra.benchmark.inputs import SIZES
from keras_electra.benchmark.inputs import model_sizes
from keras_electra.benchmark.inputs import num_predictions
from keras_electra.benchmark.worker import RESULT_PREFIX

WORKLOADS = ("pretrain", "finetune", "inference")
BACKENDS = ("jax", "tensorflow", "torch")
TRANSFORMERS_MODES = ("eager", "compile")
BACKEND_MODULES = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}


def installed(module):
    return importlib.util.find_spec(module) is not None


def workload_flops(workload, size, batch_size, sequence_length):
    discriminator, generator, mask_probability = model_sizes(size)
    if workload == "pretrain":
        return flops_lib.pretrain_step_flops(
            discriminator, generator, batch_size, sequence_length,
            num_predictions(sequence_length, mask_probability),
        )
    if workload == "finetune":
        return flops_lib.finetune_step_flops(discriminator, batch_size, sequence_length)
    return flops_lib.inference_flops(discriminator, batch_size, sequence_length)


def run_worker(spec, env_overrides, timeout, module="keras_electra.benchmark.worker"):
    """Runs one spec in a subprocess of `module`; returns (result dict, error string)."""
    env = dict(os.environ, **env_overrides)
    command = [sys.executable, "-m", module, json.dumps(spec)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):]), None
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return None, f"exit {done.returncode}: " + " | ".join(tail)


def plan(args):
    """The list of (label, spec, env) to run, in order."""
    runs = []
    common = {
        "size": args.size, "batch_size": args.batch_size,
        "sequence_length": args.sequence_length, "steps": args.steps,
        "warmup_steps": args.warmup_steps, "precision": args.precision,
        "repeats": args.repeats, "steps_per_execution": args.steps_per_execution,
    }
    for workload in args.workloads:
        for mode in args.transformers_modes:
            spec = dict(common, framework="transformers", mode=mode, workload=workload)
            runs.append((f"transformers torch ({mode})", spec, {}))
        for backend in args.backends:
            mode = args.jit_compile
            spec = dict(common, framework="keras-electra", mode=mode, workload=workload,
                        backend=backend)
            runs.append((f"keras-electra {backend}", spec, {"KERAS_BACKEND": backend}))
    return runs


def run_all(args, log=print):
    """Runs the plan; returns the report dict (also what `--out` saves)."""
    if not installed("torch"):
        log("torch is not installed: transformers runs and the matmul peak are skipped")
    runs = plan(args)
    peak = None
    if installed("torch"):
        log(f"[0/{len(runs)}] measuring the {args.precision} matmul peak with torch")
        result, error = run_worker({"framework": "peak", "precision": args.precision}, {},
                                   args.timeout)
        peak = result["flops_per_s"] if result else None
    rows = []
    for index, (label, spec, env) in enumerate(runs, 1):
        row = {"label": label, **spec}
        missing = _missing_requirement(spec)
        if missing:
            row["error"] = f"skipped: {missing} is not installed"
            log(f"[{index}/{len(runs)}] {label} {spec['workload']}: {row['error']}")
            rows.append(row)
            continue
        log(f"[{index}/{len(runs)}] {label} {spec['workload']} ...")
        result, error = run_worker(spec, env, args.timeout)
        if error:
            row["error"] = error
        else:
            row.update(result)
            tokens = spec["batch_size"] * spec["sequence_length"]
            step_flops = workload_flops(spec["workload"], spec["size"], spec["batch_size"],
                                        spec["sequence_length"])
            row["tokens_per_s"] = tokens / row["step_time_s"]
            row["flops_per_step"] = step_flops
            row["achieved_flops_per_s"] = step_flops / row["step_time_s"]
            row["mfu"] = row["achieved_flops_per_s"] / peak if peak else None
        log(f"    {_summary(row)}")
        rows.append(row)
    _add_ratios(rows)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": getattr(args, "command_line", "keras-electra benchmark"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": os.cpu_count()},
        "versions": library_versions(),
        "matmul_peak_flops_per_s": peak,
        "rows": rows,
    }


def _missing_requirement(spec):
    if spec["framework"] == "transformers":
        for module in ("torch", "transformers"):
            if not installed(module):
                return module
        return None
    module = BACKEND_MODULES[spec["backend"]]
    return None if installed(module) else module


def _add_ratios(rows):
    reference = {
        r["workload"]: r["step_time_s"] for r in rows
        if r["framework"] == "transformers" and r["mode"] == "eager" and "step_time_s" in r
    }
    for row in rows:
        ref = reference.get(row["workload"])
        if ref and "step_time_s" in row:
            row["speedup_vs_transformers_eager"] = ref / row["step_time_s"]


def _summary(row):
    if "error" in row:
        return row["error"]
    return (f"{row['step_time_s'] * 1e3:.1f} ms/step, {row['tokens_per_s']:,.0f} tokens/s, "
            f"peak memory {row['peak_memory_bytes'] / 2**20:,.0f} MiB")


def library_versions():
    versions = {}
    for name in ("keras_electra", "keras", "keras_hub", "jax", "tensorflow", "torch",
                 "transformers", "numpy"):
        if not installed(name):
            continue
        try:
            from importlib import metadata

            dist = {"keras_electra": "keras-electra", "keras_hub": "keras-hub"}.get(name, name)
            versions[name] = metadata.version(dist)
        except Exception:
            versions[name] = "unknown"
    return versions


def markdown(report):
    """The report as a markdown section (device, versions, command, table)."""
    rows = report["rows"]
    first = rows[0] if rows else {}
    devices = sorted({r["device"] for r in rows if "device" in r})
    lines = [
        f"### {first.get('size', '?')}, batch {first.get('batch_size', '?')}, "
        f"seq {first.get('sequence_length', '?')}, {first.get('precision', '?')}",
        "",
        f"- date: {report['date']}",
        f"- device: {', '.join(devices) or 'n/a'}; {report['machine']['platform']}, "
        f"{report['machine']['cpu_count']} CPUs",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        f"- command: `{report['command']}`",
        "- matmul peak (torch, same precision): "
        + (f"{report['matmul_peak_flops_per_s'] / 1e12:.3f} TFLOP/s"
           if report["matmul_peak_flops_per_s"] else "n/a"),
        "",
        "| workload | run | step time (ms) | tokens/s | peak memory (MiB) | TFLOP/s | MFU "
        "| vs transformers eager | call overhead (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['workload']} | {r['label']} | {r['error']} | | | | | | |")
            continue
        mfu = f"{r['mfu'] * 100:.1f}%" if r.get("mfu") else "n/a"
        ratio = r.get("speedup_vs_transformers_eager")
        overhead = r.get("call_overhead_s")
        lines.append(
            f"| {r['workload']} | {r['label']} | {r['step_time_s'] * 1e3:.1f} | "
            f"{r['tokens_per_s']:,.0f} | {r['peak_memory_bytes'] / 2**20:,.0f} | "
            f"{r['achieved_flops_per_s'] / 1e12:.3f} | {mfu} | "
            + (f"{ratio:.2f}×" if ratio else "n/a") + " | "
            + ("—" if overhead is None else f"{overhead * 1e3:.0f}") + " |"
        )
    return "\n".join(lines) + "\n"


def add_arguments(parser):
    parser.add_argument("--size", choices=SIZES, default="tiny", help="model size (default tiny)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seq-len", dest="sequence_length", type=int, default=64)
    parser.add_argument("--steps", type=_positive_int, default=20, help="timed steps per run")
    parser.add_argument("--warmup-steps", type=int, default=3,
                        help="untimed steps first (compilation, warm-up)")
    parser.add_argument("--repeats", type=_positive_int, default=3,
                        help="timed repetitions per run; the median is reported (default 3)")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--transformers-modes", nargs="*", choices=TRANSFORMERS_MODES,
                        default=list(TRANSFORMERS_MODES))
    parser.add_argument("--jit-compile", choices=("auto", "on", "off"), default="auto",
                        help="Keras jit_compile: auto (Keras' choice: XLA on jax, and on "
                        "tensorflow when a GPU/TPU is present; eager torch), on (also "
                        "torch.compile on torch) or off")
    parser.add_argument("--steps-per-execution", type=_positive_int, default=1,
                        help="Keras `steps_per_execution` for the keras-electra runs (default "
                        "1, Keras' default): on jax/tensorflow N steps run in one compiled "
                        "call, which amortises the per-step loop overhead")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per run")
    parser.add_argument("--out", help="folder for results.json and results.md")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace results.json and results.md already in --out")


def _positive_int(text):
    import argparse

    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


RESULT_FILES = ("results.json", "results.md")


def check_out(out, overwrite=False):
    """Refuses earlier results in `out` unless `overwrite` (checked before running)."""
    from keras_electra.utils.output_files import check_output

    for name in RESULT_FILES:
        check_output(os.path.join(out, name), overwrite)


def write(report, out, text=None):
    """Writes `results.json` and `results.md` (`text`, or the table) into `out`, each replaced whole."""
    from keras_electra.utils.output_files import atomic_file

    os.makedirs(out, exist_ok=True)
    with atomic_file(os.path.join(out, "results.json")) as f:
        json.dump(report, f, indent=2)
    with atomic_file(os.path.join(out, "results.md")) as f:
        f.write(text if text is not None else markdown(report))
