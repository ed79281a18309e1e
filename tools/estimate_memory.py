"""Print per-device memory of ELECTRA under ModelParallel as a markdown table.

usage: python tools/estimate_memory.py [--sizes small,base,large] [--meshes 1,1 1,2 ...]
                                       [--task finetune|pretrain|both] [--seq 512] [--device-gb 16]
Assumptions: see keras_electra/distribution/memory.py.
"""

import argparse

from keras_electra.distribution.memory import GB
from keras_electra.distribution.memory import estimate_memory

MESHES = ["1,1", "1,2", "1,4", "1,8", "2,4", "4,2", "8,1"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="small,base,large")
    parser.add_argument("--meshes", nargs="+", default=MESHES)
    parser.add_argument("--task", choices=("finetune", "pretrain", "both"), default="both")
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--device-gb", type=float, default=16)
    args = parser.parse_args(argv)
    tasks = ("finetune", "pretrain") if args.task == "both" else (args.task,)
    print(f"Per-device memory, {args.device_gb:g} GB accelerator, seq {args.seq}, bf16 activations, "
          "float32 weights+grads+Adam (16 B/param), 10% headroom.\n")
    print("| model | task | params | mesh (data,model) | state/device (GB) | act./example (GB) "
          f"| max batch/device | max params fitting {args.device_gb:g} GB |")
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        for task in tasks:
            for mesh in args.meshes:
                mesh_shape = tuple(int(m) for m in mesh.split(","))
                r = estimate_memory(size, mesh_shape, task, args.seq, device_memory=args.device_gb * GB)
                if "error" in r:
                    print(f"| {size} | {task} | {r['params'] / 1e6:.1f}M | {mesh_shape} | not divisible: {r['error'].split(':')[0]} | | | |")
                    continue
                print(f"| {size} | {task} | {r['params'] / 1e6:.1f}M | {mesh_shape} | {r['state_gb']:.2f} "
                      f"| {r['activation_gb_per_example']:.3f} | {r['max_batch_per_device']} "
                      f"| {r['max_params_fitting'] / 1e9:.2f}B |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
