"""tf.data pipelines: static shapes, and model.fit on the current backend."""

import keras
import numpy as np
import pytest

from keras_electra.data import stdlib_docstring_corpus
from keras_electra.data import text_dataset
from keras_electra.data import tfrecord_dataset
from keras_electra.data import train_vocabulary
from keras_electra.data import write_pretraining_shards
from keras_electra.models import ElectraBackbone
from tests.conftest import requires_tf

pytestmark = requires_tf
SEQ, BATCH = 32, 4


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    corpus = stdlib_docstring_corpus(str(folder / "c.txt"), max_files=20)
    vocab = str(folder / "vocab.txt")
    tokens = train_vocabulary([corpus], 800, out=vocab)
    write_pretraining_shards([corpus], vocab, str(folder / "shards"), seq_len=SEQ,
                             num_shards=2, progress=False)
    return corpus, vocab, str(folder / "shards"), len(tokens)


def datasets(data):
    corpus, vocab, shards, _ = data
    return {
        "tfrecord": tfrecord_dataset(shards, batch_size=BATCH, seed=1),
        "streaming": text_dataset([corpus], vocab, batch_size=BATCH, seq_len=SEQ, seed=1),
    }


def test_static_shapes_and_values(data):
    import tensorflow as tf

    for name, ds in datasets(data).items():
        for key, spec in ds.element_spec.items():
            assert spec.shape == (BATCH, SEQ) and spec.dtype == tf.int32, (name, key)
        for batch in ds.take(30):  # repeats past the end of the small corpus
            mask = batch["padding_mask"].numpy()
            ids = batch["token_ids"].numpy()
            assert (ids[:, 0] == 2).all() and ((ids == 0) == (mask == 0)).all()
            assert set(np.unique(batch["segment_ids"].numpy())) <= {0, 1}


def test_model_fit_on_both_datasets(data):
    _, _, _, vocabulary_size = data
    backbone = ElectraBackbone(vocabulary_size=vocabulary_size, num_layers=1, num_heads=2,
                               hidden_dim=16, intermediate_dim=32, embedding_dim=8,
                               max_sequence_length=SEQ)
    inputs = {name: keras.Input((SEQ,), dtype="int32", name=name)
              for name in ("token_ids", "segment_ids", "padding_mask")}
    logits = keras.layers.Dense(vocabulary_size, name="lm")(backbone(inputs)["sequence_output"])
    model = keras.Model(inputs, logits)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    for name, ds in datasets(data).items():
        # Reconstruct the tokens: a target that needs every input of the dict.
        ds = ds.map(lambda x: (x, x["token_ids"]))
        history = model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0]), name


def test_streaming_bad_inputs(data, tmp_path):
    _, vocab, _, _ = data
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n")
    ds = text_dataset([str(blank)], vocab, batch_size=2, seq_len=SEQ)
    with pytest.raises(Exception, match="No examples.*blank.txt"):
        next(iter(ds))
    with pytest.raises(ValueError, match="not found: .*nope.txt"):
        text_dataset([str(tmp_path / "nope.txt")], vocab, batch_size=2)
