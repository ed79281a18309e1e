"""`--distribution` / `--mesh-shape` / `--tpu` flags shared by pretrain and finetune."""

from keras_electra.distribution.keras_distribution import DISTRIBUTION_KINDS
from keras_electra.distribution.keras_distribution import parse_mesh_shape
from keras_electra.errors import ElectraError


def add_distribution_arguments(parser):
    """Adds the distribution flags to an argparse parser.

    Example:
    ```python
    import argparse
    from keras_electra.cli.distribution_args import add_distribution_arguments

    parser = argparse.ArgumentParser()
    add_distribution_arguments(parser)
    args = parser.parse_args(["--distribution", "model", "--mesh-shape", "2,4"])
    ```
    """
    group = parser.add_argument_group("distribution")
    group.add_argument(
        "--distribution", choices=DISTRIBUTION_KINDS, default="none",
        help="data: replicate the model over all devices (JAX DataParallel, "
        "tf.distribute on TensorFlow); model: shard weights over a mesh (JAX "
        "only). On torch use torchrun -m keras_electra.distribution.torch_ddp.",
    )
    group.add_argument(
        "--mesh-shape", type=parse_mesh_shape, default=None, metavar="D,M",
        help="device mesh for --distribution model: D data replicas x M model shards, e.g. 2,4.",
    )
    group.add_argument("--tpu", default=None,
                       help="TensorFlow only: TPU name/address for TPUStrategy ('local' on a TPU VM).")
    return parser


def apply_distribution(args):
    """Validates the flags and calls `configure_distribution`.

    Returns the context manager to build and compile the model in. The
    `--batch-size` of the CLIs is the GLOBAL batch size.
    """
    from keras_electra.distribution import configure_distribution

    kind = getattr(args, "distribution", "none")
    mesh_shape = getattr(args, "mesh_shape", None)
    if kind == "model" and mesh_shape is None:
        raise ElectraError("--distribution model needs --mesh-shape D,M (e.g. 2,4).")
    if kind != "model" and mesh_shape is not None:
        raise ElectraError("--mesh-shape only applies to --distribution model.")
    return configure_distribution(kind, mesh_shape=mesh_shape, tpu=getattr(args, "tpu", None))
