"""A tiny ELECTRA classifier and synthetic data to try the distribution paths.

Used by the guide, the `torch_ddp` launcher's `--demo` mode and the tests.
Sizes divide evenly over a model axis of 1, 2, 4 or 8 devices.
"""

import numpy as np

DEMO_CONFIG = dict(
    vocabulary_size=32,
    num_layers=2,
    num_heads=8,
    hidden_dim=32,
    intermediate_dim=64,
    embedding_dim=16,
    max_sequence_length=16,
    dropout=0.0,
)


def demo_classifier(num_classes=3, learning_rate=1e-3, seed=0, compile=True, **overrides):
    """ElectraBackbone + Dense head on `pooled_output`, compiled with Adam.

    Example:
    ```python
    from keras_electra.distribution.demo import demo_classifier, demo_data

    model = demo_classifier()
    x, y = demo_data(32)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False)
    ```
    """
    import keras

    from keras_electra.models.backbone import ElectraBackbone

    keras.utils.set_random_seed(seed)
    backbone = ElectraBackbone(**dict(DEMO_CONFIG, **overrides), name="backbone")
    logits = keras.layers.Dense(num_classes, name="classifier")(
        backbone.output["pooled_output"]
    )
    model = keras.Model(backbone.input, logits, name="demo_classifier")
    if compile:
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    return model


def demo_data(num_examples=64, sequence_length=16, num_classes=3, seed=0):
    """`(x, y)` numpy arrays: ELECTRA inputs and labels that depend on the tokens."""
    rng = np.random.default_rng(seed)
    vocab = DEMO_CONFIG["vocabulary_size"]
    token_ids = rng.integers(5, vocab, (num_examples, sequence_length)).astype("int32")
    token_ids[:, 0] = 2
    lengths = rng.integers(sequence_length // 2, sequence_length + 1, num_examples)
    padding_mask = (np.arange(sequence_length)[None] < lengths[:, None]).astype("int32")
    token_ids = token_ids * padding_mask
    segment_ids = ((np.arange(sequence_length)[None] >= lengths[:, None] // 2) * padding_mask).astype("int32")
    labels = (token_ids[:, 1] % num_classes).astype("int32")
    x = {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}
    return x, labels
