"""The keras-electra side of the benchmark, on the backend of this process.

Training steps run through `model.fit` and inference through `model.predict`,
as users run them. One untimed call compiles and warms up. Then each repeat
times two calls, one of `warmup_steps` batches and one of
`warmup_steps + steps`; both end synchronized with the device (their last
logs or outputs are read), so the difference divided by `steps` is the
steady-state step, Keras' per-step loop work included, and the median over
`repeats` is reported (`time_steps`). The rest of the short call is the fixed
cost of starting a `fit`/`predict` call (data adapter, callbacks; 30-60 ms on
TensorFlow), reported apart as `call_overhead_s`: transformers' bare loop has
no such cost. Timing inside a call (from a batch-begin hook) would not do:
jax dispatches steps asynchronously, so a hook at batch `warmup_steps` fires
while the warm-up batches still run on the device.
"""

import os
import statistics
import time

import numpy as np

from keras_electra.benchmark.inputs import num_predictions
from keras_electra.benchmark.inputs import synthetic_batch
from keras_electra.benchmark.memory import keras_peak_memory


def _classifier(size):
    from keras_electra.models import ElectraBackbone
    from keras_electra.tasks import ElectraTextClassifier

    backbone = ElectraBackbone(**size.backbone_kwargs(), name="backbone")
    return ElectraTextClassifier(backbone, num_classes=2, dropout=0.1, compile=False)


def _pretrainer(size, generator, mask_probability, sequence_length):
    from keras_electra.models import ElectraBackbone
    from keras_electra.models import ElectraPretrainer

    discriminator = ElectraBackbone(**size.backbone_kwargs(), name="discriminator")
    generator = ElectraBackbone(
        **generator.backbone_kwargs(),
        embedding_layer=discriminator.embeddings,
        name="generator",
    )
    return ElectraPretrainer(
        discriminator=discriminator,
        generator=generator,
        mask_probability=mask_probability,
        max_predictions=num_predictions(sequence_length, mask_probability),
        # The synthetic batches use the ids of keras-electra's own vocabularies.
        pad_token_id=0, cls_token_id=2, sep_token_id=3, mask_token_id=4,
    )


def _tiled(batch, copies):
    return {k: np.concatenate([v] * copies) for k, v in batch.items()}


def run(spec, discriminator, generator, mask_probability):
    import keras

    from keras_electra.optimizers.adam_weight_decay import create_optimizer

    backend = keras.config.backend()
    if spec["precision"] == "bfloat16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    batch_size, steps = spec["batch_size"], spec["steps"]
    batch, labels = synthetic_batch(batch_size, spec["sequence_length"],
                                    discriminator.vocabulary_size)
    workload = spec["workload"]
    jit = {"auto": "auto", "on": True, "off": False}[spec["mode"]]
    steps_per_execution = spec.get("steps_per_execution", 1)

    optimizer = create_optimizer(learning_rate=1e-4, weight_decay=0.01, global_clipnorm=1.0)
    if workload == "pretrain":
        model = _pretrainer(discriminator, generator, mask_probability, spec["sequence_length"])
        model.compile(optimizer=optimizer, jit_compile=jit,
                      steps_per_execution=steps_per_execution)
        target = None
    else:
        model = _classifier(discriminator)
        # No metrics: transformers' loop computes only the loss.
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[],
            jit_compile=jit,
            steps_per_execution=steps_per_execution,
        )
        target = labels

    inputs = {}

    def call(num_steps):
        if num_steps not in inputs:
            y = None if target is None else np.concatenate([target] * num_steps)
            inputs[num_steps] = (_tiled(batch, num_steps), y)
        x, y = inputs[num_steps]
        # Reading the outputs or the last loss waits for the device.
        if workload == "inference":
            keras.tree.map_structure(keras.ops.convert_to_numpy,
                                     model.predict(x, batch_size=batch_size, verbose=0))
            return
        history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        float(history.history["loss"][-1])

    # Whole executions: with steps_per_execution N, batches begin every N steps.
    warmup = _round_up(max(1, spec["warmup_steps"]), steps_per_execution)
    steps = _round_up(steps, steps_per_execution)
    call(warmup)
    step_times, overheads = time_steps(call, warmup, steps, spec.get("repeats", 1))
    return {
        "step_time_s": statistics.median(step_times),
        "step_times_s": step_times,
        "call_overhead_s": statistics.median(overheads),
        "peak_memory_bytes": keras_peak_memory(backend),
        "device": _device_name(backend),
    }


def _round_up(value, multiple):
    return -(-value // multiple) * multiple


def time_steps(call, warmup, steps, repeats, clock=time.perf_counter):
    """Per-repeat step times and call overheads (seconds) of `call(num_steps)`.

    Each repeat times `call(warmup)` and `call(warmup + steps)`: the
    difference over `steps` is one step; the short call minus `warmup` steps
    is the fixed cost of a call (at least 0). Exact whatever the backend's
    dispatch does inside a call, as long as each call returns synchronized.

    Example:
    ```python
    steps, overheads = time_steps(lambda n: time.sleep(0.01 + 0.002 * n), 2, 8, 3)
    ```
    """
    step_times, overheads = [], []
    for _ in range(repeats):
        start = clock()
        call(warmup)
        short = clock() - start
        start = clock()
        call(warmup + steps)
        long = clock() - start
        step = max(0.0, long - short) / steps
        step_times.append(step)
        overheads.append(max(0.0, short - warmup * step))
    return step_times, overheads


def _device_name(backend):
    try:
        if backend == "jax":
            import jax

            return str(jax.devices()[0].device_kind)
        if backend == "torch":
            import torch

            return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return gpus[0].name if gpus else "cpu"
    except Exception:
        return os.environ.get("KERAS_BACKEND", "unknown")
