"""transformers `ElectraFor*` task heads to keras-electra task models, and back.

Sequence classification, token classification, multiple choice and
question answering (the "hf" heads of the text classifier and the question
answerer).

Each supported architecture is one entry of `TASKS`: the keras-electra task
class it becomes and a head table, transformers prefix -> the task's dense
layer holding it (torch `Linear` weights are `[out, in]`, transposed here).
Loading is strict like the backbone's: every head tensor of the checkpoint
must be consumed, every head variable written, and errors list the names.
"""

import logging

import numpy as np

from keras_electra.convert.weights import ConversionError
from keras_electra.convert.weights import backbone_variable_table
from keras_electra.convert.weights import check_finite
from keras_electra.convert.weights import check_names

logger = logging.getLogger("keras_electra.convert")


def task_classes():
    """Architecture -> task class, for the tasks with a transformers head layout.

    Each class declares its `transformers_architecture`.
    """
    from keras_electra.tasks import ElectraMultipleChoice
    from keras_electra.tasks import ElectraQuestionAnswerer
    from keras_electra.tasks import ElectraTextClassifier
    from keras_electra.tasks import ElectraTokenClassifier

    classes = (ElectraTextClassifier, ElectraTokenClassifier, ElectraMultipleChoice, ElectraQuestionAnswerer)
    return {cls.transformers_architecture: cls for cls in classes}


def task_architecture(config):
    """The task architecture named in a transformers config, or None."""
    found = [a for a in config.get("architectures") or [] if a in task_classes()]
    return found[0] if found else None


def classifier_dropout(config):
    """transformers' rule: `classifier_dropout`, else `hidden_dropout_prob`."""
    value = config.get("classifier_dropout")
    return float(value if value is not None else config.get("hidden_dropout_prob", 0.1))


def head_table(task):
    """transformers prefix (e.g. `classifier.dense`) -> the task's `Dense` layer."""
    name = type(task).__name__
    if name == "ElectraTextClassifier":
        if task.head != "hf":
            raise ConversionError(
                "Only ElectraTextClassifier(head='hf') has the layout of "
                "ElectraForSequenceClassification (dense, gelu, out_proj); this "
                f"model has head={task.head!r}."
            )
        return {"classifier.dense": task.classifier_dense, "classifier.out_proj": task.output_dense}
    if name == "ElectraTokenClassifier":
        return {"classifier": task.classifier}
    if name == "ElectraMultipleChoice":
        return {"sequence_summary.summary": task.sequence_summary, "classifier": task.classifier}
    if name == "ElectraQuestionAnswerer":
        if task.head != "hf":
            raise ConversionError(
                "Only ElectraQuestionAnswerer(head='hf') has the layout of "
                "ElectraForQuestionAnswering (one qa_outputs layer); this model "
                f"has head={task.head!r} (the original joint span head)."
            )
        return {"qa_outputs": task.qa_outputs}
    raise ConversionError(f"No transformers head layout for {name}.")


def architecture_of(task):
    """The transformers architecture a keras-electra task exports to."""
    classes = task_classes()
    architecture = getattr(task, "transformers_architecture", None)
    if architecture not in classes or not isinstance(task, classes[architecture]):
        raise ConversionError(
            f"{type(task).__name__} has no transformers counterpart; supported: "
            + ", ".join(c.__name__ for c in classes.values())
            + "."
        )
    head_table(task)  # raises for heads with no counterpart
    return architecture


def _check_summary_config(config):
    expected = {"summary_type": "first", "summary_use_proj": True, "summary_activation": "gelu"}
    bad = [f"{k}={config.get(k)!r}" for k, v in expected.items() if config.get(k, v) != v]
    if config.get("summary_proj_to_labels"):
        bad.append("summary_proj_to_labels=True")
    if bad:
        raise ConversionError(
            "ElectraMultipleChoice implements the default sequence summary "
            "(summary_type='first', summary_use_proj=True, summary_activation="
            f"'gelu'); this config has {', '.join(bad)}."
        )


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
    num_labels = len(config["id2label"]) if config.get("id2label") else config.get("num_labels", 2)
    if architecture == "ElectraForSequenceClassification":
        return cls(backbone, num_classes=int(num_labels), preprocessor=preprocessor, head="hf",
                   dropout=classifier_dropout(config))
    if architecture == "ElectraForTokenClassification":
        return cls(backbone, num_classes=int(num_labels), preprocessor=preprocessor,
                   dropout=classifier_dropout(config))
    if architecture == "ElectraForQuestionAnswering":
        if int(num_labels) != 2:
            raise ConversionError(
                f"ElectraForQuestionAnswering with num_labels={num_labels}: "
                "ElectraQuestionAnswerer(head='hf') has 2 outputs (start, end)."
            )
        return cls(backbone, preprocessor=preprocessor, head="hf")
    _check_summary_config(config)
    return cls(backbone, num_choices=num_choices, preprocessor=preprocessor,
               dropout=float(config.get("summary_last_dropout", 0.1)))


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
    """transformers config entries of a task head (labels, dropout, summary)."""
    architecture = architecture_of(task)
    fields = {"architectures": [architecture]}
    if architecture == "ElectraForMultipleChoice":
        fields.update(summary_type="first", summary_use_proj=True, summary_activation="gelu",
                      summary_last_dropout=task.dropout)
        return fields
    if architecture == "ElectraForQuestionAnswering":
        fields["num_labels"] = 2
        return fields
    num_labels = task.num_classes
    fields["id2label"] = {str(i): f"LABEL_{i}" for i in range(num_labels)}
    fields["label2id"] = {f"LABEL_{i}": i for i in range(num_labels)}
    fields["classifier_dropout"] = task.dropout
    if architecture == "ElectraForSequenceClassification":
        fields["problem_type"] = "regression" if num_labels == 1 else "single_label_classification"
        if task.activation is not None and task.activation.__name__ != "linear":
            logger.info(
                "The model applies %s to its outputs; transformers' "
                "ElectraForSequenceClassification returns the logits before it.",
                task.activation.__name__,
            )
    return fields
