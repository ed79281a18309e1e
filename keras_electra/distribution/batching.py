"""Global vs per-replica batch sizes and global step counts.

Conventions used everywhere in keras-electra: the batch size a user gives is
the GLOBAL batch (examples per optimizer update, summed over replicas), as in
the ELECTRA paper's recipes. Each replica processes `global / replicas`
examples. The optimizer's step counter advances once per global batch on all
engines (keras.distribution, tf.distribute, torch DDP), so learning-rate
schedules are written in global steps.
"""

import math


def resolve_batch_sizes(global_batch_size=None, per_replica_batch_size=None, num_replicas=1):
    """Returns `(global_batch_size, per_replica_batch_size)` from either one.

    Args:
        global_batch_size: examples per optimizer step over all replicas.
        per_replica_batch_size: examples per step on each replica.
        num_replicas: number of data-parallel replicas.

    Raises:
        ValueError: when neither or inconsistent sizes are given, or the
            global batch does not split evenly over the replicas.

    Example:
    ```python
    from keras_electra.distribution import resolve_batch_sizes

    resolve_batch_sizes(global_batch_size=256, num_replicas=8)  # (256, 32)
    resolve_batch_sizes(per_replica_batch_size=32, num_replicas=8)  # (256, 32)
    ```
    """
    num_replicas = int(num_replicas)
    if num_replicas < 1:
        raise ValueError(f"`num_replicas` must be >= 1. Received: {num_replicas}.")
    if global_batch_size is None and per_replica_batch_size is None:
        raise ValueError("Give `global_batch_size` or `per_replica_batch_size`.")
    if global_batch_size is None:
        return per_replica_batch_size * num_replicas, per_replica_batch_size
    if global_batch_size < 1 or global_batch_size % num_replicas:
        raise ValueError(
            f"The global batch size {global_batch_size} must be a positive "
            f"multiple of the number of replicas ({num_replicas})."
        )
    per_replica = global_batch_size // num_replicas
    if per_replica_batch_size is not None and per_replica_batch_size != per_replica:
        raise ValueError(
            f"global_batch_size={global_batch_size} over {num_replicas} replicas "
            f"is {per_replica} per replica, not {per_replica_batch_size}."
        )
    return global_batch_size, per_replica


def num_train_steps(num_examples, global_batch_size, epochs=1):
    """Optimizer steps (global steps) for `epochs` passes, dropping the remainder.

    Use it for `ElectraLearningRateSchedule(num_train_steps=...)`: the
    schedule is driven by `optimizer.iterations`, which counts global steps.

    Example:
    ```python
    from keras_electra.distribution import num_train_steps

    num_train_steps(10_000, global_batch_size=32, epochs=3)  # 936
    ```
    """
    if global_batch_size < 1:
        raise ValueError(f"`global_batch_size` must be >= 1. Received: {global_batch_size}.")
    return (int(num_examples) // int(global_batch_size)) * int(epochs)


def scale_learning_rate(learning_rate, global_batch_size, reference_batch_size):
    """Square-root scaling of a learning rate tuned at another global batch size.

    A heuristic (not from the ELECTRA paper): when changing the global batch
    from `reference_batch_size`, multiply the rate by
    `sqrt(global / reference)`. The paper's own recipes fix the batch size.

    Example:
    ```python
    from keras_electra.distribution import scale_learning_rate

    scale_learning_rate(1e-4, global_batch_size=1024, reference_batch_size=256)  # 2e-4
    ```
    """
    return learning_rate * math.sqrt(global_batch_size / reference_batch_size)
