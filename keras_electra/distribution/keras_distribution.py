"""Data and model parallelism through `keras.distribution` (JAX backend).

Thin constructors over Keras' own engine: `DataParallel`, `ModelParallel`
with keras-electra's `LayoutMap`, and `keras.distribution.initialize` for
multi-host runs. `configure_distribution` is the one entry point the CLIs
call on every backend.
"""

import contextlib
import os

import keras

from keras_electra.distribution.layout import electra_layout_map

DISTRIBUTION_KINDS = ("none", "data", "model")
BATCH_AXIS = "batch"
MODEL_AXIS = "model"


def _devices(devices):
    return list(devices) if devices is not None else keras.distribution.list_devices()


def data_parallel(devices=None):
    """A `keras.distribution.DataParallel` over `devices` (default: all).

    Weights are replicated; each global batch is split over the devices and
    the gradients are averaged, so training matches one device fed the same
    global batch.

    Example:
    ```python
    import keras
    from keras_electra.distribution import data_parallel

    keras.distribution.set_distribution(data_parallel())
    # build, compile and fit the model as usual, with the global batch size
    ```
    """
    _require_jax("data_parallel")
    return keras.distribution.DataParallel(devices=_devices(devices))


def model_parallel(mesh_shape, devices=None, model_axis=MODEL_AXIS):
    """A `keras.distribution.ModelParallel` sharding ELECTRA weights.

    Args:
        mesh_shape: `(data, model)`: data-parallel replicas times devices
            each model replica's weights are split over. `data * model`
            must equal the number of devices.
        devices: devices to use (default: all, as `keras.distribution.list_devices()`).
        model_axis: name of the weight-sharding mesh axis.

    Example:
    ```python
    import keras
    from keras_electra.distribution import model_parallel

    # 8 devices: 2 data-parallel replicas, each split over 4 devices.
    keras.distribution.set_distribution(model_parallel((2, 4)))
    ```
    """
    _require_jax("model_parallel")
    devices = _devices(devices)
    mesh_shape = parse_mesh_shape(mesh_shape)
    if mesh_shape[0] * mesh_shape[1] != len(devices):
        raise ValueError(
            f"`mesh_shape` {mesh_shape} needs {mesh_shape[0] * mesh_shape[1]} "
            f"devices, but {len(devices)} are available."
        )
    mesh = keras.distribution.DeviceMesh(
        shape=mesh_shape, axis_names=(BATCH_AXIS, model_axis), devices=devices
    )
    return keras.distribution.ModelParallel(
        layout_map=electra_layout_map(mesh, model_axis=model_axis),
        batch_dim_name=BATCH_AXIS,
    )


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Joins a multi-host run; call it on every host before anything else.

    Wraps `keras.distribution.initialize`. On Cloud TPU and under most
    schedulers the arguments can be left out (they are read from the
    `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES`
    and `KERAS_DISTRIBUTION_PROCESS_ID` environment variables or the TPU
    environment). On JAX only the coordinator's address is needed.

    Example:
    ```python
    from keras_electra.distribution import initialize

    initialize("10.0.0.1:1234", num_processes=2, process_id=0)  # on host 0
    ```
    """
    if keras.config.backend() != "jax":
        raise ValueError(
            "`initialize` is for the JAX backend. On TensorFlow set TF_CONFIG "
            "and use `tf_strategy('multi_worker')`; on torch launch with "
            "`torchrun --nnodes ...`. See guides/distributed.md."
        )
    keras.distribution.initialize(job_addresses, num_processes, process_id)


def parse_mesh_shape(mesh_shape):
    """Parses `"2,4"`, `"2x4"` or `(2, 4)` into a `(data, model)` tuple."""
    if isinstance(mesh_shape, str):
        parts = mesh_shape.replace("x", ",").split(",")
        try:
            mesh_shape = tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(
                f"`mesh_shape` must look like 'DATA,MODEL', e.g. '2,4'. Received: {mesh_shape!r}."
            ) from None
    mesh_shape = tuple(int(d) for d in mesh_shape)
    if len(mesh_shape) != 2 or min(mesh_shape) < 1:
        raise ValueError(
            f"`mesh_shape` must be two positive sizes (data, model). Received: {mesh_shape}."
        )
    return mesh_shape


def configure_distribution(kind="none", mesh_shape=None, devices=None, tpu=None):
    """Sets up distributed training for the current backend; the CLIs call this.

    - JAX: `"data"` / `"model"` set `keras.distribution.set_distribution`
      to `data_parallel()` / `model_parallel(mesh_shape)`. Build, compile and
      fit as usual, feeding global batches.
    - TensorFlow: `"data"` picks a `tf.distribute` strategy (TPUStrategy when
      `tpu` is given or a TPU is attached, MultiWorkerMirroredStrategy when
      `TF_CONFIG` names several workers, else MirroredStrategy); build and
      compile inside the returned scope. `"model"` is refused: Keras' model
      parallelism on TensorFlow is an unfinished DTensor prototype.
    - torch: `model.fit` cannot use DistributedDataParallel, so `"data"` and
      `"model"` are refused with directions to `torchrun -m
      keras_electra.distribution.torch_ddp`.

    Args:
        kind: `"none"`, `"data"` or `"model"`.
        mesh_shape: `(data, model)` or `"D,M"`, for `kind="model"`.
        devices: optional device list (JAX).
        tpu: optional TPU name/address for TensorFlow's TPUStrategy.

    Returns:
        A context manager to build and compile the model in. Entering it
        gives the `keras.distribution.Distribution` (JAX), the
        `tf.distribute.Strategy` (TensorFlow) or `None`.

    Example:
    ```python
    from keras_electra.distribution import configure_distribution

    with configure_distribution("data") as strategy:
        model = build_model()
        model.compile(...)
    model.fit(dataset)
    ```
    """
    if kind not in DISTRIBUTION_KINDS:
        raise ValueError(
            f"`kind` must be one of {DISTRIBUTION_KINDS}. Received: {kind!r}."
        )
    if kind != "model" and mesh_shape is not None:
        if kind == "data" and parse_mesh_shape(mesh_shape)[1] != 1:
            raise ValueError(
                f"`mesh_shape` {mesh_shape} has a model axis > 1; use kind='model'."
            )
    if kind == "none":
        return contextlib.nullcontext(None)
    backend = keras.config.backend()
    if backend == "jax":
        if kind == "data":
            distribution = data_parallel(devices)
        else:
            if mesh_shape is None:
                raise ValueError("kind='model' needs `mesh_shape` (data, model), e.g. (2, 4).")
            distribution = model_parallel(mesh_shape, devices)
        keras.distribution.set_distribution(distribution)
        return contextlib.nullcontext(distribution)
    if backend == "tensorflow":
        if kind == "model":
            raise ValueError(
                "Model parallelism (kind='model') is available on the JAX backend "
                "only; on TensorFlow use kind='data' (MirroredStrategy, "
                "MultiWorkerMirroredStrategy or TPUStrategy)."
            )
        from keras_electra.distribution.tf_strategy import tf_strategy

        return tf_strategy("tpu" if tpu else "auto", tpu=tpu).scope()
    raise ValueError(
        f"keras.distribution is not available on the {backend} backend, and "
        "`model.fit` cannot use DistributedDataParallel. Launch "
        "`torchrun --nproc_per_node=N -m keras_electra.distribution.torch_ddp "
        "--model-fn pkg.mod:build --dataset-fn pkg.mod:data ...` or call "
        "`keras_electra.distribution.train_ddp` (see guides/distributed.md). "
        "Model parallelism needs the JAX backend."
    )


def num_replicas():
    """Number of data-parallel replicas the current set-up splits a batch over.

    JAX: the data axis of the current `keras.distribution` (1 if none);
    TensorFlow: `num_replicas_in_sync` of the current strategy; torch: the
    `torch.distributed` world size (1 when not initialized).
    """
    backend = keras.config.backend()
    if backend == "jax":
        distribution = keras.distribution.distribution()
        if distribution is None:
            return 1
        mesh = distribution.device_mesh
        return int(mesh.shape[mesh.axis_names.index(distribution.batch_dim_name)])
    if backend == "tensorflow":
        import tensorflow as tf

        return int(tf.distribute.get_strategy().num_replicas_in_sync)
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", 1))


def _require_jax(name):
    if keras.config.backend() != "jax":
        raise ValueError(
            f"`{name}` builds a keras.distribution set-up, which Keras supports "
            f"on the JAX backend only (current backend: {keras.config.backend()}). "
            "Use `configure_distribution` for TensorFlow and `train_ddp` for torch."
        )
