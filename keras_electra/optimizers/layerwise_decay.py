"""Layer-wise learning-rate decay: lower rates for layers closer to the input.

Depths follow google-research/electra (`_get_layer_lrs` in
`model/optimization.py`): the embeddings (and the embeddings projection) are
depth 0, transformer layer `i` (0-based) is depth `i + 1`, and everything else
(the task head) sits on top. A variable at depth `d` gets its update
multiplied by `decay ** (top - d)`:

- `original_off_by_one=False` (default): the head is depth `L + 1` and
  `top = L + 1`, so the head gets 1, the top transformer layer `decay`, and
  the embeddings `decay ** (L + 1)`.
- `original_off_by_one=True`: the original's numbers. It puts the head at
  `n_layers + 2` and uses `top = L + 2`, leaving depth `L + 1` empty: the head
  still gets 1, but every backbone multiplier is one factor of `decay`
  smaller (top layer `decay ** 2`, embeddings `decay ** (L + 2)`). This is
  what the published fine-tuning results were trained with.
"""

import keras
from keras import ops

from keras_electra.fast_paths import torch_foreach


def _find_backbone(model):
    for candidate in (model, getattr(model, "backbone", None)):
        if candidate is not None and hasattr(candidate, "transformer_layers"):
            return candidate
    raise ValueError(
        "Layer-wise decay needs an ELECTRA backbone (with `embeddings`, "
        "`embeddings_projection`, `transformer_layers` and `num_layers`) or a "
        f"task model whose `.backbone` is one. Received: {type(model).__name__} "
        f"named {getattr(model, 'name', None)!r}."
    )


def layerwise_decay_multipliers(model, decay, original_off_by_one=False):
    """Per-variable update multipliers for layer-wise learning-rate decay.

    See the module docstring for the depth of each variable and what
    `original_off_by_one` changes. Every variable of `model` (trainable or
    frozen) gets an entry, keyed by `variable.path`, which is stable across
    `model.save` / `keras.saving.load_model`.

    Args:
        model: an ELECTRA backbone or a task model with `.backbone`.
        decay: float in (0, 1]. The decay per layer (0.8 in the original
            fine-tuning, 0.9 for large models).
        original_off_by_one: bool. Reproduce the original's extra factor of
            `decay` on every backbone variable.

    Returns:
        dict mapping `variable.path` to its float multiplier.

    Example:
    ```python
    import keras_electra
    from keras_electra.optimizers import layerwise_decay_multipliers

    backbone = keras_electra.models.ElectraBackbone(
        vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=16,
    )
    multipliers = layerwise_decay_multipliers(backbone, decay=0.8)
    multipliers["transformer_layer_1/feedforward_output_dense/kernel"]  # 0.8
    multipliers["embeddings/token_embedding/embeddings"]  # 0.8 ** 3
    ```
    """
    if not isinstance(decay, (int, float)) or not 0.0 < decay <= 1.0:
        raise ValueError(f"`decay` must be a float in (0, 1]. Received: decay={decay!r}")
    backbone = _find_backbone(model)
    num_layers = len(backbone.transformer_layers)
    if num_layers != backbone.num_layers:
        raise ValueError(
            f"The backbone reports num_layers={backbone.num_layers} but has "
            f"{num_layers} `transformer_layers`."
        )
    top = num_layers + 2 if original_off_by_one else num_layers + 1

    depth_of = {}  # id(variable) -> depth
    bottom = [backbone.embeddings, getattr(backbone, "embeddings_projection", None)]
    for layer in bottom:
        if layer is not None:
            for variable in layer.weights:
                depth_of[id(variable)] = 0
    for index, layer in enumerate(backbone.transformer_layers):
        for variable in layer.weights:
            depth_of[id(variable)] = index + 1

    multipliers = {}
    for variable in model.weights:
        depth = depth_of.get(id(variable), top)
        multiplier = float(decay) ** (top - depth)
        previous = multipliers.get(variable.path)
        if previous is not None and previous != multiplier:
            raise ValueError(
                f"Two variables share the path {variable.path!r} but sit at "
                "different depths, so layer-wise multipliers cannot be keyed by "
                "path. Give the layers distinct names."
            )
        multipliers[variable.path] = multiplier
    return multipliers


def _snapshot(variables):
    """Copies of the variables' values (one foreach kernel on torch)."""
    if torch_foreach.applies():
        return torch_foreach.snapshot(variables)
    return [ops.copy(variable.value) for variable in variables]


def _interpolate(scaled, olds):
    """Sets each `(variable, multiplier)` to `old + multiplier * (new - old)`."""
    if torch_foreach.applies():  # one kernel per distinct multiplier
        torch_foreach.interpolate(
            [variable for variable, _ in scaled], olds, [m for _, m in scaled]
        )
        return
    for (variable, multiplier), old in zip(scaled, olds):
        new = variable.value
        variable.assign(old + ops.cast(multiplier, variable.dtype) * (new - old))


@keras.saving.register_keras_serializable(package="keras_electra")
class LayerwiseDecayOptimizer(keras.optimizers.Optimizer):
    """Wraps any Keras optimizer and scales each variable's update by a multiplier.

    After the inner optimizer has updated the variables, each variable `w`
    with multiplier `c` is set to `w_old + c * (w_new - w_old)`. So the whole
    update (gradient step, momentum, weight decay) is scaled, exactly as a
    per-variable learning rate does for SGD and Adam, and unlike gradient
    scaling, which Adam would undo. It works with every Keras optimizer and
    learning-rate schedule on JAX, TensorFlow and PyTorch; it keeps one copy of
    the scaled variables during each step.

    Multipliers are keyed by `variable.path`, so the wrapper and its inner
    optimizer's state survive `get_config()`/`from_config()` and
    `model.save()`/`keras.saving.load_model()`. Every variable the optimizer
    updates must have a multiplier. EMA (`use_ema`) on the inner optimizer is
    not supported, since it would average the unscaled values. Tested without a
    `tf.distribute` strategy.

    Args:
        inner_optimizer: the `keras.optimizers.Optimizer` doing the update.
        multipliers: dict mapping `variable.path` to a float multiplier, e.g.
            from `layerwise_decay_multipliers(model, decay)`.
        name: optional name.

    Example:
    ```python
    import keras
    import keras_electra
    from keras_electra.optimizers import LayerwiseDecayOptimizer
    from keras_electra.optimizers import layerwise_decay_multipliers

    backbone = keras_electra.models.ElectraBackbone(
        vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=16,
    )
    optimizer = LayerwiseDecayOptimizer(
        keras.optimizers.AdamW(1e-4),
        layerwise_decay_multipliers(backbone, decay=0.8),
    )
    ```
    """

    def __init__(self, inner_optimizer, multipliers, name=None, **kwargs):
        if kwargs:
            raise ValueError(
                "LayerwiseDecayOptimizer takes no base optimizer arguments; set "
                f"them on the inner optimizer. Received: {sorted(kwargs)}."
            )
        if not isinstance(inner_optimizer, keras.optimizers.Optimizer):
            raise ValueError(
                "`inner_optimizer` must be a keras.optimizers.Optimizer. "
                f"Received: {inner_optimizer!r}"
            )
        if inner_optimizer.use_ema:
            raise ValueError(
                "LayerwiseDecayOptimizer does not support an inner optimizer "
                "with `use_ema=True`: its moving average would track unscaled "
                "updates."
            )
        checked = {}
        for path, value in dict(multipliers).items():
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f"Multiplier for {path!r} must be a float >= 0. Received: {value!r}"
                )
            checked[str(path)] = float(value)
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.multipliers = checked
        self._variable_multipliers = []
        object.__setattr__(self, "_built_variables", [])

    def build(self, var_list):
        missing = [v.path for v in var_list if v.path not in self.multipliers]
        if missing:
            known = sorted(self.multipliers)[:5]
            raise ValueError(
                f"No layer-wise multiplier for {len(missing)} variable(s), "
                f"first: {missing[:5]}. Known paths start with {known}. Build "
                "the multipliers from the model being trained."
            )
        self.inner_optimizer.build(var_list)
        super().build(var_list)
        # Not tracked: these are the model's variables, not the optimizer's.
        object.__setattr__(self, "_built_variables", list(var_list))
        self._variable_multipliers = [self.multipliers[v.path] for v in var_list]

    @property
    def variables(self):
        return super().variables + self.inner_optimizer.variables

    def apply(self, grads, trainable_variables=None):
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "Call `optimizer.build(trainable_variables)` or pass "
                    "`trainable_variables` before applying gradients."
                )
            scaled_variables = self._built_variables
            multipliers = self._variable_multipliers
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                with keras.name_scope(self.name, caller=self):
                    self.build(trainable_variables)
            scaled_variables = trainable_variables
            multipliers = [self._multiplier_of(v) for v in trainable_variables]

        scaled = [
            (variable, multiplier)
            for variable, multiplier in zip(scaled_variables, multipliers)
            if multiplier != 1.0
        ]
        olds = _snapshot([variable for variable, _ in scaled])
        self.inner_optimizer.apply(grads, trainable_variables)
        _interpolate(scaled, olds)

    def _multiplier_of(self, variable):
        if variable.path not in self.multipliers:
            raise ValueError(
                f"No layer-wise multiplier for variable {variable.path!r}."
            )
        return self.multipliers[variable.path]

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        # Only `name` of the base config applies; the rest lives on the inner.
        return {
            "name": self.name,
            "inner_optimizer": keras.saving.serialize_keras_object(
                self.inner_optimizer
            ),
            "multipliers": dict(self.multipliers),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner_optimizer = keras.saving.deserialize_keras_object(
            config.pop("inner_optimizer"), custom_objects=custom_objects
        )
        return cls(inner_optimizer, **config)
