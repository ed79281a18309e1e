"""transformers `ElectraFor*` task heads to keras-electra task models, and back.

Sequence classification, token classification, multiple choice and
question answering (the "hf" heads of the text classifier and the question
answerer).

Each task class declares its `transformers_architecture`; each architecture
is one `TaskHead` of `TASK_HEADS`: how a transformers config builds the task,
the head table (transformers prefix -> the task's dense layer holding it;
torch `Linear` weights are `[out, in]`, transposed here) and the config
fields an export writes. Loading is strict like the backbone's: every head
tensor of the checkpoint must be consumed, every head variable written, and
errors list the names.
"""

import logging

import numpy as np

from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import backbone_variable_table
from keras_electra.convert.weights import check_finite
from keras_electra.convert.weights import check_names

logger = logging.getLogger("keras_electra.convert")


def classifier_dropout(config):
    """transformers' rule: `classifier_dropout`, else `hidden_dropout_prob`."""
    value = config.get("classifier_dropout")
    return float(value if value is not None else config.get("hidden_dropout_prob", 0.1))


def num_labels(config):
    """The number of labels of a transformers config (`id2label`, else `num_labels`)."""
    return int(len(config["id2label"]) if config.get("id2label") else config.get("num_labels", 2))


def label_fields(num_classes, dropout):
    """transformers config entries of a classifier's labels and dropout."""
    return {
        "id2label": {str(i): f"LABEL_{i}" for i in range(num_classes)},
        "label2id": {f"LABEL_{i}": i for i in range(num_classes)},
        "classifier_dropout": dropout,
    }


def check_hf_head(task, architecture, layout):
    """Raises unless `task` has `head="hf"`, the layout of `architecture`."""
    if task.head != "hf":
        raise ConversionError(
            f"Only {type(task).__name__}(head='hf') has the layout of {architecture} "
            f"({layout}); this model has head={task.head!r}."
        )


class TaskHead:
    """One transformers task architecture: building, head table, config fields."""

    def build(self, cls, config, backbone, preprocessor, num_choices):
        """The task model of class `cls` for a transformers `config`."""
        raise NotImplementedError

    def layers(self, task):
        """transformers prefix (e.g. `classifier.dense`) -> the task's `Dense` layer."""
        raise NotImplementedError

    def config_fields(self, task):
        """transformers config entries of the head (labels, dropout, summary)."""
        raise NotImplementedError


class SequenceClassification(TaskHead):
    """`ElectraForSequenceClassification`: `ElectraTextClassifier(head="hf")`."""

    def build(self, cls, config, backbone, preprocessor, num_choices):
        return cls(backbone, num_classes=num_labels(config), preprocessor=preprocessor,
                   head="hf", dropout=classifier_dropout(config))

    def layers(self, task):
        check_hf_head(task, "ElectraForSequenceClassification", "dense, gelu, out_proj")
        return {"classifier.dense": task.classifier_dense, "classifier.out_proj": task.output_dense}

    def config_fields(self, task):
        fields = label_fields(task.num_classes, task.dropout)
        fields["problem_type"] = "regression" if task.num_classes == 1 else "single_label_classification"
        if task.activation is not None and task.activation.__name__ != "linear":
            logger.info(
                "The model applies %s to its outputs; transformers' "
                "ElectraForSequenceClassification returns the logits before it.",
                task.activation.__name__,
            )
        return fields


class TokenClassification(TaskHead):
    """`ElectraForTokenClassification`: `ElectraTokenClassifier`."""

    def build(self, cls, config, backbone, preprocessor, num_choices):
        return cls(backbone, num_classes=num_labels(config), preprocessor=preprocessor,
                   dropout=classifier_dropout(config))

    def layers(self, task):
        return {"classifier": task.classifier}

    def config_fields(self, task):
        return label_fields(task.num_classes, task.dropout)


class MultipleChoice(TaskHead):
    """`ElectraForMultipleChoice`: `ElectraMultipleChoice` (the default sequence summary)."""

    SUMMARY = {"summary_type": "first", "summary_use_proj": True, "summary_activation": "gelu"}

    def build(self, cls, config, backbone, preprocessor, num_choices):
        bad = [f"{k}={config.get(k)!r}" for k, v in self.SUMMARY.items() if config.get(k, v) != v]
        if config.get("summary_proj_to_labels"):
            bad.append("summary_proj_to_labels=True")
        if bad:
            raise ConversionError(
                "ElectraMultipleChoice implements the default sequence summary "
                "(summary_type='first', summary_use_proj=True, summary_activation="
                f"'gelu'); this config has {', '.join(bad)}."
            )
        # transformers' model takes any number of choices; ours is built for one.
        return cls(backbone, num_choices=num_choices, preprocessor=preprocessor,
                   dropout=float(config.get("summary_last_dropout", 0.1)))

    def layers(self, task):
        if task.head != "summary":
            raise ConversionError(
                "Only ElectraMultipleChoice(head='summary') has the layout of "
                "ElectraForMultipleChoice (sequence_summary, classifier); this model has "
                f"head={task.head!r} (BERT's pooler, BertForMultipleChoice)."
            )
        return {"sequence_summary.summary": task.sequence_summary, "classifier": task.classifier}

    def config_fields(self, task):
        return dict(self.SUMMARY, summary_last_dropout=task.dropout)


class QuestionAnswering(TaskHead):
    """`ElectraForQuestionAnswering`: `ElectraQuestionAnswerer(head="hf")`."""

    def build(self, cls, config, backbone, preprocessor, num_choices):
        if num_labels(config) != 2:
            raise ConversionError(
                f"ElectraForQuestionAnswering with num_labels={num_labels(config)}: "
                "ElectraQuestionAnswerer(head='hf') has 2 outputs (start, end)."
            )
        return cls(backbone, preprocessor=preprocessor, head="hf")

    def layers(self, task):
        check_hf_head(task, "ElectraForQuestionAnswering",
                      "one qa_outputs layer; head='original' is the original joint span head")
        return {"qa_outputs": task.qa_outputs}

    def config_fields(self, task):
        return {"num_labels": 2}


# transformers architecture -> its head; each task class names its architecture.
TASK_HEADS = {
    "ElectraForSequenceClassification": SequenceClassification(),
    "ElectraForTokenClassification": TokenClassification(),
    "ElectraForMultipleChoice": MultipleChoice(),
    "ElectraForQuestionAnswering": QuestionAnswering(),
}


def task_classes():
    """Architecture -> the task class that declares it as its `transformers_architecture`."""
    from keras_electra.tasks import ElectraMultipleChoice
    from keras_electra.tasks import ElectraQuestionAnswerer
    from keras_electra.tasks import ElectraTextClassifier
    from keras_electra.tasks import ElectraTokenClassifier

    classes = (ElectraTextClassifier, ElectraTokenClassifier, ElectraMultipleChoice, ElectraQuestionAnswerer)
    return {cls.transformers_architecture: cls for cls in classes if cls.transformers_architecture in TASK_HEADS}


def task_architecture(config):
    """The task architecture named in a transformers config, or None."""
    found = [a for a in config.get("architectures") or [] if a in TASK_HEADS]
    return found[0] if found else None


def architecture_of(task):
    """The transformers architecture a keras-electra task exports to."""
    architecture = getattr(task, "transformers_architecture", None)
    if architecture not in TASK_HEADS:
        raise ConversionError(
            f"{type(task).__name__} has no transformers counterpart; supported: "
            + ", ".join(c.__name__ for c in task_classes().values())
            + "."
        )
    head_table(task)  # raises for heads with no counterpart
    return architecture


def head_table(task):
    """transformers prefix (e.g. `classifier.dense`) -> the task's `Dense` layer."""
    architecture = getattr(task, "transformers_architecture", None)
    if architecture not in TASK_HEADS:
        raise ConversionError(f"No transformers head layout for {type(task).__name__}.")
    return TASK_HEADS[architecture].layers(task)


def build_task(architecture, config, backbone, preprocessor=None, num_choices=2):
    """Builds the keras-electra task model of a transformers task architecture.

    Args:
        architecture: e.g. `"ElectraForSequenceClassification"`.
        config: the transformers config dict (`num_labels`/`id2label`,
            dropout settings).
        backbone: the converted `ElectraBackbone`.
        preprocessor: optional task preprocessor.
        num_choices: choices per example for `ElectraForMultipleChoice`
            (transformers' model takes any number; ours is built for one).
    """
    cls = task_classes()[architecture]
    return TASK_HEADS[architecture].build(cls, config, backbone, preprocessor, num_choices)


def set_head_weights(task, heads, source="The checkpoint"):
    """Assigns transformers head tensors to a task model, strictly.

    Args:
        task: a task model whose backbone is already loaded.
        heads: dict of transformers head name (relative to the model root,
            e.g. `classifier.dense.weight`) -> array.
        source: text naming the checkpoint, used in errors.

    Raises:
        ConversionError: listing missing, unexpected or misshapen head
            tensors, and task variables left at their initial values.
    """
    table = head_table(task)
    expected = [f"{prefix}.{w}" for prefix in table for w in ("weight", "bias")]
    check_names(expected, heads, f"{source} ({type(task).__name__} head)")
    check_finite({name: heads[name] for name in expected}, f"{source} ({type(task).__name__} head)")
    values, mismatched = [], []
    for prefix, layer in table.items():
        for variable, name in ((layer.kernel, prefix + ".weight"), (layer.bias, prefix + ".bias")):
            value = np.asarray(heads[name])
            shape = tuple(variable.shape)[::-1]  # torch layout: Linear weights are [out, in]
            if value.shape != shape:
                mismatched.append(f"{name} (checkpoint {value.shape}, model {shape})")
                continue
            values.append((variable, value.T))
    if mismatched:
        raise ConversionError(f"{source} has head shape mismatches: {', '.join(mismatched)}.")
    for variable, value in values:
        variable.assign(value.astype(variable.dtype))
    written = {id(v) for v, _ in values} | {id(v) for v in backbone_variable_table(task.backbone).values()}
    left = [v.path for v in task.weights if id(v) not in written]
    if left:
        raise ConversionError(
            f"{source} left these task variables at their initial values: {', '.join(left)}."
        )
    logger.info("Loaded %d head tensors: %s", len(expected), ", ".join(expected))
    return expected


def head_to_transformers_weights(task):
    """The task head's weights under transformers names (torch layout)."""
    import keras

    out = {}
    for prefix, layer in head_table(task).items():
        out[prefix + ".weight"] = np.ascontiguousarray(
            keras.ops.convert_to_numpy(layer.kernel).astype("float32").T
        )
        out[prefix + ".bias"] = keras.ops.convert_to_numpy(layer.bias).astype("float32")
    return out


def task_config_fields(task):
    """transformers config entries of a task head (architecture, labels, dropout, summary)."""
    architecture = architecture_of(task)
    return {"architectures": [architecture], **TASK_HEADS[architecture].config_fields(task)}
