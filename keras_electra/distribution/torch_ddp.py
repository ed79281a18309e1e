"""Data-parallel training on the torch backend with DistributedDataParallel.

Keras 3.15's torch backend has no `keras.distribution`, and `model.fit` does
not use DDP. Following the keras.io guide "Multi-GPU distributed training
with PyTorch", `train_ddp` wraps the Keras model (a `torch.nn.Module`) in
`torch.nn.parallel.DistributedDataParallel` and runs a short custom loop:
each process reads its share of every global batch through
`torch.utils.data.DistributedSampler`, DDP averages the gradients during
`backward()`, and the model's own compiled Keras optimizer applies them, so
learning-rate schedules, weight decay and layer-wise decay behave exactly as
under `fit` (one optimizer step per global batch). Process groups use gloo on
CPU and nccl on GPU.

Launch with torchrun (one process per GPU, or per CPU worker):

```
KERAS_BACKEND=torch torchrun --nproc_per_node=2 -m keras_electra.distribution.torch_ddp \
    --model-fn my_project.train:build_model --dataset-fn my_project.train:load_data \
    --steps 1000 --global-batch-size 256
```
"""

import argparse
import importlib
import os
import sys

import numpy as np


class _ArrayDataset:
    """Map-style dataset over `(x, y)` nested numpy arrays."""

    def __init__(self, x, y=None):
        import keras

        self.x, self.y = x, y
        self.length = len(keras.tree.flatten(x)[0])

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        import keras

        x = keras.tree.map_structure(lambda a: a[index], self.x)
        return (x,) if self.y is None else (x, keras.tree.map_structure(lambda a: a[index], self.y))


def distributed_environment():
    """`(rank, local_rank, world_size)` from torchrun's environment variables."""
    return (
        int(os.environ.get("RANK", 0)),
        int(os.environ.get("LOCAL_RANK", 0)),
        int(os.environ.get("WORLD_SIZE", 1)),
    )


def init_process_group(backend=None):
    """Joins torchrun's process group (gloo on CPU, nccl on GPU) if there is one.

    Pins this process to GPU `LOCAL_RANK` first, so Keras creates the
    model's variables there. Returns `(rank, world_size, device)`.
    """
    import torch
    import torch.distributed as dist

    rank, local_rank, world_size = distributed_environment()
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        backend = backend or ("nccl" if device.type == "cuda" else "gloo")
        dist.init_process_group(backend=backend)
    return rank, world_size, device


def train_ddp(model_fn, dataset_fn, steps, global_batch_size, shuffle=False, seed=0,
              backend=None, find_unused_parameters=False, verbose=True):
    """Trains `model_fn()` on `dataset_fn()` with DDP for `steps` global steps.

    Works under `torchrun` (any number of processes, one host or many) and
    as a plain single process, where it is ordinary training with the same
    batches, which is how it is checked against DDP.

    Args:
        model_fn: callable returning a COMPILED Keras model (optimizer and
            loss set); called in every process. Any model built from
            `ElectraBackbone`s works, e.g. a classifier or a pretrainer.
        dataset_fn: callable returning `(x, y)` (nested numpy arrays with
            examples on axis 0) or a map-style `torch.utils.data.Dataset`
            yielding `(x, y)` pairs.
        steps: number of global steps (optimizer updates).
        global_batch_size: examples per step summed over processes; each
            process takes `global_batch_size / world_size` of them.
        shuffle: shuffle with `DistributedSampler` (reshuffled each epoch).
        seed: shuffling seed, the same in every process.
        backend: process-group backend; default gloo on CPU, nccl on GPU.
        find_unused_parameters: passed to DDP (for models with branches
            that do not contribute to the loss).
        verbose: show a progress bar on rank 0.

    Returns:
        dict with `model` (the trained Keras model, unwrapped), `losses`
        (the global mean loss of each step, identical on every rank),
        `rank` and `world_size`.

    Example:
    ```python
    # KERAS_BACKEND=torch
    from keras_electra.distribution import train_ddp
    from keras_electra.distribution.demo import demo_classifier, demo_data

    result = train_ddp(demo_classifier, lambda: demo_data(64), steps=4, global_batch_size=8)
    result["losses"]  # the global mean loss of each of the 4 steps
    ```
    """
    import keras
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader
    from torch.utils.data import DistributedSampler

    from keras_electra.distribution.batching import resolve_batch_sizes

    if keras.config.backend() != "torch":
        raise ValueError(
            "`train_ddp` needs KERAS_BACKEND=torch. Received backend: "
            f"{keras.config.backend()}."
        )
    rank, world_size, device = init_process_group(backend)
    _, per_replica = resolve_batch_sizes(global_batch_size, num_replicas=world_size)

    model = model_fn()
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        raise ValueError("`model_fn` must return a compiled Keras model (optimizer and loss).")
    dataset = dataset_fn()
    if isinstance(dataset, tuple):
        dataset = _ArrayDataset(*dataset)
    if len(dataset) < global_batch_size:
        raise ValueError(
            f"The dataset has {len(dataset)} examples, fewer than one global batch ({global_batch_size})."
        )
    sampler = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=shuffle, seed=seed, drop_last=True
    )
    loader = DataLoader(dataset, batch_size=per_replica, sampler=sampler, drop_last=True)

    distributed = world_size > 1
    if distributed:
        ddp_model = DistributedDataParallel(
            model,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=find_unused_parameters,
        )
    else:
        ddp_model = model
    trainable = model.trainable_variables
    model.optimizer.build(trainable)

    progbar = keras.utils.Progbar(steps) if (verbose and rank == 0) else None
    losses, epoch, step = [], 0, 0
    while step < steps:
        sampler.set_epoch(epoch)
        for batch in loader:
            x, y = batch if len(batch) == 2 else (batch[0], None)
            x = keras.tree.map_structure(lambda t: t.to(device), x)
            y = None if y is None else keras.tree.map_structure(lambda t: t.to(device), y)
            model.zero_grad()
            y_pred = ddp_model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
            model.optimizer.scale_loss(loss).backward()  # DDP all-reduces here
            grads = [v.value.grad for v in trainable]
            with torch.no_grad():
                model.optimizer.apply(grads, trainable)
            reported = loss.detach().clone()
            if distributed:
                dist.all_reduce(reported)
                reported /= world_size
            losses.append(float(reported))
            step += 1
            if progbar is not None:
                progbar.update(step, [("loss", losses[-1])])
            if step >= steps:
                break
        epoch += 1
    return {"model": model, "losses": losses, "rank": rank, "world_size": world_size}


def _load_callable(spec):
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"Expected 'package.module:function'. Received: {spec!r}.")
    return getattr(importlib.import_module(module_name), attr)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="torchrun --nproc_per_node=N -m keras_electra.distribution.torch_ddp",
        description="Data-parallel Keras training on the torch backend with DistributedDataParallel.",
        epilog=(
            "examples:\n"
            "  KERAS_BACKEND=torch torchrun --nproc_per_node=2 -m keras_electra.distribution.torch_ddp --steps 5\n"
            "  KERAS_BACKEND=torch torchrun --nproc_per_node=8 -m keras_electra.distribution.torch_ddp \\\n"
            "      --model-fn my_project.train:build_model --dataset-fn my_project.train:load_data \\\n"
            "      --steps 10000 --global-batch-size 256 --output weights.npz\n"
            "Without --model-fn/--dataset-fn a tiny demo classifier and synthetic data are used."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model-fn", default="keras_electra.distribution.demo:demo_classifier",
                        help="'module:function' returning a compiled Keras model.")
    parser.add_argument("--dataset-fn", default="keras_electra.distribution.demo:demo_data",
                        help="'module:function' returning (x, y) arrays or a torch Dataset.")
    parser.add_argument("--steps", type=int, default=10, help="global steps (optimizer updates).")
    parser.add_argument("--global-batch-size", type=int, default=8,
                        help="examples per step over all processes.")
    parser.add_argument("--shuffle", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=("gloo", "nccl"), default=None,
                        help="process-group backend (default: nccl on GPU, gloo on CPU).")
    parser.add_argument("--output", default=None,
                        help="rank 0 writes the losses and final weights (by variable path) to this .npz.")
    parser.add_argument("--quiet", action="store_true")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    result = train_ddp(
        _load_callable(args.model_fn), _load_callable(args.dataset_fn), args.steps,
        args.global_batch_size, shuffle=args.shuffle, seed=args.seed,
        backend=args.backend, verbose=not args.quiet,
    )
    if result["rank"] == 0:
        print(f"world_size={result['world_size']} final_loss={result['losses'][-1]:.6f}")
        if args.output:
            model = result["model"]
            arrays = {f"weight:{v.path}": np.asarray(v.numpy()) for v in model.weights}
            np.savez(args.output, losses=np.array(result["losses"]),
                     iterations=int(model.optimizer.iterations.numpy()), **arrays)
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
