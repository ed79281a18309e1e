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
            # None: the original's (MRPC and STS-B training pairs in both orders).
            double_unordered=(getattr(args, "double_unordered", None)
                              if split == "train" else False),
            text_columns=_columns(getattr(args, "text_columns", None)),
            label_column=None if split == "test" else getattr(args, "label_column", None),
            header=None if header is None else header == "yes",
        )

    def build(self, args, train_data, evaluation=None):
        from keras_electra.tasks import ElectraTextClassifierPreprocessor
        from keras_electra.tasks.text_classifier import ElectraTextClassifier

        preprocessor = ElectraTextClassifierPreprocessor.from_preset(
            args.preset, sequence_length=args.sequence_length
        )
        head = {} if args.head is None else {"head": args.head}
        model = ElectraTextClassifier.from_preset(
            args.preset, num_classes=train_data.num_classes, preprocessor=preprocessor, **head
        )
        # Regression trains on the original's targets (STS-B: score / 5).
        info = {"task": self.name, "label_names": train_data.label_names,
                "sequence_length": args.sequence_length, "rescaled_targets": True}
        return model, info

    def fit(self, model, data, info, args, **kwargs):
        y = data.targets if info.get("rescaled_targets") else data.y
        return model.fit(data.x, y, batch_size=args.batch_size, **kwargs)

    def _predict(self, model, data, args):
        outputs = np.asarray(model.predict(data.x, batch_size=args.batch_size, verbose=0))
        return outputs[:, 0] if model.num_classes == 1 else outputs.argmax(-1)

    def evaluate(self, model, data, info, args):
        from keras_electra.metrics.glue import glue_metrics

        y = data.targets if info.get("rescaled_targets") else data.y
        return glue_metrics(self.name, y, self._predict(model, data, args))

    def predict(self, model, data, info, args):
        predictions = self._predict(model, data, args)
        if info.get("rescaled_targets"):
            predictions = data.scores_from_targets(predictions)  # STS-B: back to 0-5
        names = info.get("label_names")
        return [[f"{p:.6f}" if names is None else names[int(p)]] for p in predictions]

    def load(self, directory):
        from keras_electra.tasks.text_classifier import ElectraTextClassifier

        return ElectraTextClassifier.from_preset(directory)


class ChunkTask(FinetuneTask):
    """CoNLL-2000 chunking, as the original: trained on BIOES tags, scored by chunk F1.

    The label map holds the BIOES tags of the training and evaluation files
    (the original's holds train, dev and test); predictions are read back
    as spans (`tag_encoding.to_bio`) and scored against the gold BIO tags.
    Presets written before BIOES (no `tag_encoding` in `finetune.json`)
    keep their BIO labels.
    """

    name = "chunk"
    recipe_task = "chunk"
    metric = "f1"

    def read(self, path, args, split):
        from keras_electra.data.conll import read_conll

        return read_conll(path, num_columns=3)  # CoNLL-2000: word POS chunk

    def build(self, args, train_data, evaluation=None):
        from keras_electra.data.tag_encoding import tag_vocabulary
        from keras_electra.tasks.token_classifier import ElectraTokenClassifier
        from keras_electra.tasks.token_classifier_preprocessor import (
            ElectraTokenClassifierPreprocessor,
        )

        tag_sets = [train_data.tags] + ([evaluation.tags] if evaluation is not None else [])
        tags = tag_vocabulary(*tag_sets, encoding="BIOES")
        preprocessor = ElectraTokenClassifierPreprocessor.from_preset(
            args.preset, sequence_length=args.sequence_length
        )
        model = ElectraTokenClassifier.from_preset(
            args.preset, num_classes=len(tags), preprocessor=preprocessor
        )
        info = {"task": self.name, "label_names": tags, "tag_encoding": "BIOES",
                "sequence_length": args.sequence_length}
        return model, info

    @staticmethod
    def _encoded(data, info):
        """`data` with its gold tags in the preset's encoding."""
        import dataclasses

        from keras_electra.data.tag_encoding import to_bioes

        if info.get("tag_encoding") != "BIOES":
            return data
        return dataclasses.replace(data, tags=[to_bioes(t) for t in data.tags])

    def fit(self, model, data, info, args, **kwargs):
        labels = self._encoded(data, info).tag_ids(info["label_names"])
        return model.fit(data.words, labels, batch_size=args.batch_size, **kwargs)

    def _predict_tags(self, model, data, info, args):
        """Predicted BIO tags per word (truncated words: "O")."""
        from keras_electra.data.tag_encoding import to_bio

        names = info["label_names"]
        ids = model.predict_words(data.words, batch_size=args.batch_size, verbose=0)
        tags = [[names[i] if i is not None else "O" for i in row] for row in ids]
        return [to_bio(row) for row in tags] if info.get("tag_encoding") == "BIOES" else tags

    def evaluate(self, model, data, info, args):
        from keras_electra.metrics.chunking import chunk_f1

        # Unknown gold tags: an error (file and line), before predicting.
        self._encoded(data, info).tag_ids(info["label_names"])
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
