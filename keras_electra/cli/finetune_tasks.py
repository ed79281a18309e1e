"""The GLUE and chunking tasks of the fine-tuning CLI."""

import numpy as np

from keras_electra.cli.finetune_task import FinetuneTask
from keras_electra.metrics.glue import GLUE_METRICS


def _columns(text):
    return None if text is None else tuple(int(c) for c in text.split(","))


class GlueTask(FinetuneTask):
    """A GLUE sentence(-pair) classification or regression task."""

    def __init__(self, name):
        self.name = name
        # The original's name ("sst2" -> "sst"); "generic" where it has no recipe (WNLI).
        from keras_electra.data.glue import original_task_name
        from keras_electra.training.recipes import FINETUNING_TASKS

        original = original_task_name(name)
        self.recipe_task = original if original in FINETUNING_TASKS else "generic"
        self.metric = GLUE_METRICS[name][0]

    def read(self, path, args, split):
        from keras_electra.data.glue import read_glue

        header = getattr(args, "header", None)
        return read_glue(
            path, self.name, split=split,
            double_unordered=split == "train" and getattr(args, "double_unordered", False),
            text_columns=_columns(getattr(args, "text_columns", None)),
            label_column=None if split == "test" else getattr(args, "label_column", None),
            header=None if header is None else header == "yes",
        )

    def build(self, args, train_data):
        from keras_electra.tasks import ElectraTextClassifierPreprocessor
        from keras_electra.tasks.text_classifier import ElectraTextClassifier

        preprocessor = ElectraTextClassifierPreprocessor.from_preset(
            args.preset, sequence_length=args.sequence_length
        )
        model = ElectraTextClassifier.from_preset(
            args.preset, num_classes=train_data.num_classes,
            preprocessor=preprocessor, head=args.head,
        )
        info = {"task": self.name, "label_names": train_data.label_names,
                "sequence_length": args.sequence_length}
        return model, info

    def fit(self, model, data, info, args, **kwargs):
        return model.fit(data.x, data.y, batch_size=args.batch_size, **kwargs)

    def _predict(self, model, data, args):
        outputs = np.asarray(model.predict(data.x, batch_size=args.batch_size, verbose=0))
        return outputs[:, 0] if model.num_classes == 1 else outputs.argmax(-1)

    def evaluate(self, model, data, info, args):
        from keras_electra.metrics.glue import glue_metrics

        return glue_metrics(self.name, data.y, self._predict(model, data, args))

    def predict(self, model, data, info, args):
        predictions = self._predict(model, data, args)
        names = info.get("label_names")
        return [[f"{p:.6f}" if names is None else names[int(p)]] for p in predictions]

    def load(self, directory):
        from keras_electra.tasks.text_classifier import ElectraTextClassifier

        return ElectraTextClassifier.from_preset(directory)


class ChunkTask(FinetuneTask):
    """CoNLL-2000 chunking: word-level BIO tags, scored by chunk F1."""

    name = "chunk"
    recipe_task = "chunk"
    metric = "f1"

    def read(self, path, args, split):
        from keras_electra.data.conll import read_conll

        return read_conll(path, num_columns=3)  # CoNLL-2000: word POS chunk

    def check_evaluation(self, train_data, eval_data):
        """Raises `InputFileError` (file and line) on eval tags the training data lacks."""
        eval_data.tag_ids(train_data.tag_vocabulary())

    def build(self, args, train_data):
        from keras_electra.tasks.token_classifier import ElectraTokenClassifier
        from keras_electra.tasks.token_classifier_preprocessor import (
            ElectraTokenClassifierPreprocessor,
        )

        tags = train_data.tag_vocabulary()
        preprocessor = ElectraTokenClassifierPreprocessor.from_preset(
            args.preset, sequence_length=args.sequence_length
        )
        model = ElectraTokenClassifier.from_preset(
            args.preset, num_classes=len(tags), preprocessor=preprocessor
        )
        info = {"task": self.name, "label_names": tags,
                "sequence_length": args.sequence_length}
        return model, info

    def fit(self, model, data, info, args, **kwargs):
        labels = data.tag_ids(info["label_names"])
        return model.fit(data.words, labels, batch_size=args.batch_size, **kwargs)

    def _predict_tags(self, model, data, info, args):
        names = info["label_names"]
        ids = model.predict_words(data.words, batch_size=args.batch_size, verbose=0)
        return [[names[i] if i is not None else "O" for i in row] for row in ids]

    def evaluate(self, model, data, info, args):
        from keras_electra.metrics.chunking import chunk_f1

        data.tag_ids(info["label_names"])  # unknown gold tags: an error, before predicting
        scores = chunk_f1(data.tags, self._predict_tags(model, data, info, args))
        return {k: scores[k] for k in ("f1", "precision", "recall", "accuracy")}

    def predict(self, model, data, info, args):
        rows = []
        for words, tags in zip(data.words, self._predict_tags(model, data, info, args)):
            rows.extend([w, t] for w, t in zip(words, tags))
            rows.append([])
        return rows

    def load(self, directory):
        from keras_electra.tasks.token_classifier import ElectraTokenClassifier

        return ElectraTokenClassifier.from_preset(directory)

