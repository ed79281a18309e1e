"""tf.distribute on the TensorFlow backend: strategies, scopes and datasets.

Keras 3 on TensorFlow trains under any `tf.distribute.Strategy` whose scope
the model was built and compiled in: `model.fit` distributes a `tf.data`
dataset of GLOBAL batches over the replicas and averages the gradients. The
same code runs on TPU with `TPUStrategy`, provided shapes are static (fixed
sequence length, `drop_remainder=True`) and the step calls nothing on the
host. TensorFlow is imported lazily.
"""

import json
import os

STRATEGY_KINDS = ("auto", "mirrored", "multi_worker", "tpu")


def tf_strategy(kind="auto", tpu=None, devices=None):
    """Creates a `tf.distribute.Strategy`.

    Args:
        kind: `"mirrored"` (all local GPUs, or `devices`), `"multi_worker"`
            (MultiWorkerMirroredStrategy; hosts described by `TF_CONFIG`),
            `"tpu"` (TPUStrategy on `tpu`, e.g. `"local"` on a TPU VM or a
            pod-slice name) or `"auto"`: TPU when `tpu` is given, multi-worker
            when `TF_CONFIG` lists several workers, else mirrored.
        tpu: TPU name or address for `TPUClusterResolver`.
        devices: devices for MirroredStrategy, e.g. `["/cpu:0", "/cpu:1"]`.

    Example:
    ```python
    from keras_electra.distribution import tf_strategy

    strategy = tf_strategy("mirrored")
    with strategy.scope():
        model = build_model()
        model.compile(...)
    model.fit(dataset)  # batches of the global batch size
    ```
    """
    import tensorflow as tf

    if kind not in STRATEGY_KINDS:
        raise ValueError(f"`kind` must be one of {STRATEGY_KINDS}. Received: {kind!r}.")
    if kind == "auto":
        if tpu is not None:
            kind = "tpu"
        elif _num_tf_config_workers() > 1:
            kind = "multi_worker"
        else:
            kind = "mirrored"
    if kind == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if kind == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if devices is None and not tf.config.list_logical_devices("GPU"):
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=devices)


def _num_tf_config_workers():
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    cluster = config.get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def split_cpu_devices(count):
    """Splits the host CPU into `count` logical devices (for tests and demos).

    Must run before TensorFlow initializes its devices.

    Example:
    ```python
    from keras_electra.distribution import split_cpu_devices, tf_strategy

    split_cpu_devices(2)
    strategy = tf_strategy("mirrored")  # 2 replicas on one CPU
    ```
    """
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    )
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def make_tf_dataset(x, y=None, global_batch_size=32, shuffle_buffer=None, seed=None,
                    repeat=False, shard_policy="data"):
    """A `tf.data.Dataset` of global batches with static shapes.

    Batches are dropped at the remainder, so every batch has the same shape
    (TPU needs it and each replica then gets `global / replicas` examples).
    `shard_policy` sets how multi-worker runs split the data: `"data"`
    (every worker reads all files and keeps its share of the elements, right
    for in-memory arrays) or `"file"` (workers read different files, for
    TFRecord shards).

    Args:
        x: array or dict of arrays (e.g. token_ids, segment_ids, padding_mask).
        y: optional labels.
        global_batch_size: examples per optimizer step over all replicas.

    Example:
    ```python
    import numpy as np
    from keras_electra.distribution import make_tf_dataset

    ds = make_tf_dataset({"token_ids": np.zeros((64, 16), "int32")}, np.zeros(64), 32)
    ```
    """
    import tensorflow as tf

    data = x if y is None else (x, y)
    dataset = tf.data.Dataset.from_tensor_slices(data)
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(global_batch_size, drop_remainder=True)
    return with_shard_policy(dataset, shard_policy).prefetch(tf.data.AUTOTUNE)


def with_shard_policy(dataset, shard_policy="data"):
    """Sets the dataset's multi-worker auto-shard policy (`data`, `file`, `off`)."""
    import tensorflow as tf

    policies = {
        "data": tf.data.experimental.AutoShardPolicy.DATA,
        "file": tf.data.experimental.AutoShardPolicy.FILE,
        "off": tf.data.experimental.AutoShardPolicy.OFF,
        "auto": tf.data.experimental.AutoShardPolicy.AUTO,
    }
    if shard_policy not in policies:
        raise ValueError(f"`shard_policy` must be one of {sorted(policies)}. Received: {shard_policy!r}.")
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policies[shard_policy]
    return dataset.with_options(options)


def distribute_dataset(strategy, dataset):
    """Per-replica batches for a custom training loop (`strategy.run`).

    `model.fit` does this itself; pass it the global-batch dataset instead.
    """
    return strategy.experimental_distribute_dataset(dataset)


def build_in_scope(strategy, model_fn):
    """Calls `model_fn()` (build AND compile) inside `strategy.scope()`.

    Variables, optimizer slots and metrics must all be created under the
    scope, so the compile belongs in `model_fn` too.

    Example:
    ```python
    model = build_in_scope(tf_strategy(), lambda: compiled_model())
    ```
    """
    with strategy.scope():
        return model_fn()
