"""Op-level profile of the jax ELECTRA fine-tuning step (Keras `train_step`, XLA CPU).

Builds the benchmark's `ElectraTextClassifier` (synthetic batch, AdamW with clipping),
jits its public stateless `train_step`, records a `jax.profiler` trace of a few steps and
groups the XLA CPU thunks by what they compute, using the compiled HLO (each fused
computation's ops and source `op_name`s). Times are each op's wall time summed over
threads, so on a loaded machine every share is inflated alike; read the percentages.

    KERAS_BACKEND=jax python tools/profile_jax_step.py --size small --batch-size 32 --seq-len 64
    python tools/profile_jax_step.py --top 20        # also the 20 slowest single ops
"""

import argparse
import collections
import glob
import gzip
import json
import os
import re
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")


def build_step(size_name, batch_size, sequence_length):
    import keras

    from keras_electra.benchmark.inputs import model_sizes
    from keras_electra.benchmark.inputs import synthetic_batch
    from keras_electra.benchmark.keras_worker import _classifier
    from keras_electra.optimizers.adam_weight_decay import create_optimizer

    keras.utils.set_random_seed(0)
    size = model_sizes(size_name)[0]
    model = _classifier(size)
    model.compile(optimizer=create_optimizer(learning_rate=1e-4, weight_decay=0.01, global_clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=[])
    batch, labels = synthetic_batch(batch_size, sequence_length, size.vocabulary_size)
    model.fit(batch, labels, batch_size=batch_size, epochs=1, verbose=0)  # builds the optimizer
    state = tuple([v.value for v in variables] for variables in (
        model.trainable_variables, model.non_trainable_variables,
        model.optimizer.variables, model.metrics_variables))
    return model, state, (batch, labels), size.vocabulary_size


class Hlo:
    """Instructions of a compiled HLO module: shape, opcode, called computation, op_name."""

    INSTRUCTION = re.compile(r"\s*(ROOT )?%(\S+) = (\S+) (\S+)\(")

    def __init__(self, text):
        self.computations, current = {}, None
        for line in text.splitlines():
            header = re.match(r"^(ENTRY )?%(\S+) .*\{$", line)
            if header:
                current = header.group(2)
                self.computations[current] = []
            elif line.startswith("}"):
                current = None
            elif current:
                self.computations[current].append(line)
        self.instructions = {}
        for computation, lines in self.computations.items():
            for line in lines:
                match = self.INSTRUCTION.match(line)
                if match:
                    calls = re.search(r"(?:calls|body)=%([\w.\-]+)", line)
                    op_name = re.search(r'op_name="([^"]*)"', line)
                    self.instructions[match.group(2)] = dict(
                        shape=match.group(3), opcode=match.group(4), computation=computation,
                        calls=calls.group(1) if calls else None,
                        op_name=op_name.group(1) if op_name else "")

    def inside(self, computation, depth=0):
        """(opcode counts, op_names) of a computation and what it calls."""
        opcodes, names = collections.Counter(), set()
        for line in self.computations.get(computation, []):
            match = self.INSTRUCTION.match(line)
            if not match:
                continue
            opcodes[match.group(4)] += 1
            op_name = re.search(r'op_name="([^"]*)"', line)
            if op_name:
                names.add(op_name.group(1))
            called = re.search(r"calls=%([\w.\-]+)", line)
            if called and depth < 3:
                more_opcodes, more_names = self.inside(called.group(1), depth + 1)
                opcodes += more_opcodes
                names |= more_names
        return opcodes, names


def category(hlo, name, vocabulary_size):
    """What a thunk computes, or None for runtime events."""
    inst = hlo.instructions.get(name)
    if inst is None:
        return None
    if inst["calls"]:
        opcodes, names = hlo.inside(inst["calls"])
    else:
        opcodes, names = collections.Counter({inst["opcode"]: 1}), set()
    names.add(inst["op_name"])
    all_names = " ".join(names)
    backward = "transpose(" in inst["op_name"]
    if f"[{vocabulary_size}," in inst["shape"]:
        if "scatter" in opcodes or "_take" in all_names:
            return "word-embedding gradient (zero fill + scatter-add)"
        return "AdamW / clipping on the word-embedding table"
    if "ynn" in name or inst["opcode"] == "dot" or "dot" in opcodes:
        return "matmul " + ("backward" if backward else "forward")
    if "_uniform" in all_names or "threefry" in all_names or "xor" in opcodes or "while" in inst["op_name"]:
        return "dropout RNG (threefry) and the ops fused with the masks"
    if "erf" in all_names:
        return "GELU (erf)"
    if "exponential" in opcodes:
        return "softmax / loss / GELU-backward exp"
    if "rsqrt" in opcodes or "rsqrt" in all_names:
        return "LayerNorm (and AdamW sqrt)"
    if inst["opcode"] == "copy" or ("copy" in opcodes and "transpose" in opcodes) or name.startswith(("copy", "transpose")):
        return "layout copies / transposes"
    if "jvp" not in all_names and "transpose(" not in all_names:
        return "optimizer (AdamW, clipping), other"
    return "other element-wise / reductions " + ("backward" if backward else "forward")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="traced steps")
    parser.add_argument("--top", type=int, default=0, help="also list the N slowest ops")
    parser.add_argument("--trace-dir", help="keep the trace here (default: a temporary folder)")
    args = parser.parse_args(argv)
    import jax

    model, state, data, vocabulary_size = build_step(args.size, args.batch_size, args.seq_len)
    compiled = jax.jit(model.train_step).lower(state, data).compile()
    hlo = Hlo(compiled.as_text())
    for _ in range(2):
        jax.block_until_ready(compiled(state, data))
    trace_dir = args.trace_dir or tempfile.mkdtemp(prefix="jax_step_trace_")
    jax.profiler.start_trace(trace_dir)
    for _ in range(args.steps):
        jax.block_until_ready(compiled(state, data))
    jax.profiler.stop_trace()
    trace = sorted(glob.glob(os.path.join(trace_dir, "plugins/profile/*/*.trace.json.gz")))[-1]
    totals, per_op = collections.Counter(), collections.Counter()
    for event in json.load(gzip.open(trace))["traceEvents"]:
        if event.get("ph") == "X":
            kind = category(hlo, event["name"], vocabulary_size)
            if kind:
                totals[kind] += event["dur"]
                per_op[event["name"]] += event["dur"]
    total = sum(totals.values())
    print(f"jax {jax.__version__}, {args.size}, batch {args.batch_size}, seq {args.seq_len}: "
          f"{total / 1e3 / args.steps:.0f} ms of op time per step (summed over threads)")
    print("| part of the step | share of op time |\n|---|---|")
    for kind, micros in totals.most_common():
        print(f"| {kind} | {100 * micros / total:.1f}% |")
    for name, micros in per_op.most_common(args.top):
        inst = hlo.instructions[name]
        print(f"{100 * micros / total:5.2f}%  {name}  {inst['shape']}  {inst['op_name'][:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
