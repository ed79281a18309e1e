"""Input pipeline settings sized to the CPUs this process may run on.

Preprocessing threads compete with the training step for the same cores.
grain's default (`ReadOptions(num_threads=16)`) and an unbounded `tf.data`
thread pool start far more threads than a small machine has, so the task
input pipelines take their thread and read-ahead counts from here.
"""

import os


def cpu_count():
    """CPUs this process may run on (`os.sched_getaffinity`, else `os.cpu_count`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def pipeline_settings(cpus=None):
    """Thread and read-ahead counts for an input pipeline on `cpus` CPUs.

    Half the CPUs (at least one) read and preprocess; the rest stay with
    the training step. Read-ahead holds at least two batches and never
    fewer than the threads, so every thread has a slot (grain warns
    otherwise).

    Returns:
        A dict: `cpus`, `threads` (preprocessing threads: grain
        `num_threads`, `tf.data` private thread pool, Keras `PyDataset`
        workers), `prefetch` (batches read ahead: grain
        `prefetch_buffer_size`, `tf.data` prefetch, `PyDataset`
        `max_queue_size`).

    Example:
    ```python
    pipeline_settings(cpus=2)  # {'cpus': 2, 'threads': 1, 'prefetch': 2}
    pipeline_settings(cpus=16)  # {'cpus': 16, 'threads': 8, 'prefetch': 8}
    ```
    """
    cpus = cpu_count() if cpus is None else max(1, int(cpus))
    threads = max(1, cpus // 2)
    return {"cpus": cpus, "threads": threads, "prefetch": max(2, threads)}


def grain_read_options(settings=None):
    """`grain.ReadOptions` sized by `pipeline_settings` (no thread-count warning)."""
    import grain

    settings = settings or pipeline_settings()
    return grain.ReadOptions(
        num_threads=settings["threads"], prefetch_buffer_size=settings["prefetch"]
    )


def tf_data_options(settings=None):
    """`tf.data.Options` whose private thread pool follows `pipeline_settings`."""
    import tensorflow as tf

    settings = settings or pipeline_settings()
    options = tf.data.Options()
    options.threading.private_threadpool_size = settings["threads"]
    options.threading.max_intra_op_parallelism = 1
    return options
