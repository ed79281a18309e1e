"""Script run in a subprocess: N training steps of the demo classifier on one
device and under the distribution set-ups named on the command line; writes
each run's per-step losses, optimizer iterations and final weights to an npz.

usage: python equivalence.py OUT.npz STEPS GLOBAL_BATCH SETUP [SETUP ...]
SETUP: single | jax_data | jax_model:D,M | tf_mirrored:N
"""

import os
import sys

if __name__ == "__main__":
    out, steps, global_batch, setups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    if any(s.startswith("tf_") for s in setups):
        from keras_electra.distribution import split_cpu_devices

        count = max(int(s.split(":")[1]) for s in setups if s.startswith("tf_"))
        split_cpu_devices(count)

    import contextlib

    import keras
    import numpy as np

    from keras_electra.distribution import configure_distribution
    from keras_electra.distribution import make_tf_dataset
    from keras_electra.distribution import num_replicas
    from keras_electra.distribution.demo import demo_classifier
    from keras_electra.distribution.demo import demo_data

    x, y = demo_data(steps * global_batch)
    results = {}
    for setup in setups:
        kind, _, arg = setup.partition(":")
        keras.distribution.set_distribution(None) if keras.config.backend() == "jax" else None
        if kind == "single":
            scope = contextlib.nullcontext()
        elif kind == "jax_data":
            scope = configure_distribution("data")
        elif kind == "jax_model":
            scope = configure_distribution("model", mesh_shape=arg)
        elif kind == "tf_mirrored":
            scope = configure_distribution("data")  # MirroredStrategy over the logical CPUs
        else:
            raise ValueError(setup)
        with scope:
            replicas = num_replicas()
            model = demo_classifier()
            losses = []
        for v in model.weights:
            results[f"{setup}|init|{v.path}"] = keras.ops.convert_to_numpy(v.value)
        for step in range(steps):
            part = slice(step * global_batch, (step + 1) * global_batch)
            xs = {k: v[part] for k, v in x.items()}
            if kind.startswith("tf_"):
                data = dict(x=make_tf_dataset(xs, y[part], global_batch))
            else:
                data = dict(x=xs, y=y[part], batch_size=global_batch)
            history = model.fit(**data, epochs=1, shuffle=False, verbose=0)
            losses.append(history.history["loss"][0])
        results[f"{setup}|losses"] = np.array(losses)
        results[f"{setup}|iterations"] = np.array(int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
        results[f"{setup}|replicas"] = np.array(replicas)
        for v in model.weights:
            results[f"{setup}|weight|{v.path}"] = keras.ops.convert_to_numpy(v.value)
        if kind == "jax_model":
            kernel = [v for v in model.weights if v.path.endswith("transformer_layer_0/feedforward_intermediate_dense/kernel")][0]
            results[f"{setup}|ffn_shard_shape"] = np.array(kernel.value.sharding.shard_shape(kernel.shape))
    np.savez(out, **results)
    print("OK", sorted(setups))
