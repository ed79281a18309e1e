"""The torch fast path of our optimizers: one foreach kernel per op.

Keras gives its own `AdamW` a multi-tensor (`torch._foreach_*`) update on the
torch backend, but only to that exact class; a subclass falls back to the
generic per-variable `update_step`, about ten Python-dispatched ops per
variable per step. On a small model that was half of the torch training step.
These functions apply the same arithmetic to all variables at once, for
`ElectraAdamWeightDecay` and for `LayerwiseDecayOptimizer`'s rescaling. They
are the only torch-specific optimizer code and are tested against the generic
path (`tests/training/test_training_torch_foreach.py`).
"""

import keras
from keras import ops

from keras_electra.fast_paths.switch import fast_paths_enabled


def applies():
    """Whether the foreach path runs: torch backend, fast paths on."""
    return keras.config.backend() == "torch" and fast_paths_enabled()


def adam_update(optimizer, grads, variables, learning_rate):
    """Applies `optimizer`'s Adam step (either bias-correction mode) in place."""
    import torch

    values = [variable.value for variable in variables]
    grads = [
        g if g.dtype == value.dtype else g.to(value.dtype)
        for g, value in zip(grads, values)
    ]
    index = optimizer._get_variable_index
    momentums = [optimizer._momentums[index(v)].value for v in variables]
    velocities = [optimizer._velocities[index(v)].value for v in variables]
    beta_1, beta_2 = optimizer.beta_1, optimizer.beta_2
    with torch.no_grad():
        dtype = values[0].dtype
        alpha = ops.cast(learning_rate, dtype)
        if optimizer.bias_correction:
            step = ops.cast(optimizer.iterations + 1, dtype)
            beta_1_power = torch.pow(beta_1, step)
            beta_2_power = torch.pow(beta_2, step)
            alpha = alpha * torch.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        # m += (g - m) * (1 - beta_1); v = beta_2 v + (1 - beta_2) g^2, in place
        # as torch.optim.AdamW: no temporary the size of the model.
        torch._foreach_lerp_(momentums, grads, 1 - beta_1)
        torch._foreach_mul_(velocities, beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, 1 - beta_2)
        if optimizer.amsgrad:
            hats = [optimizer._velocity_hats[index(v)].value for v in variables]
            torch._foreach_maximum_(hats, velocities)
            velocities = hats
        # w -= alpha m / (sqrt(v) + eps), with alpha folded into the denominator
        # (a tensor, so no host sync on an accelerator).
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, optimizer.epsilon)
        torch._foreach_div_(denominators, alpha)
        torch._foreach_addcdiv_(values, momentums, denominators, value=-1.0)


def clip_by_global_norm(grads, clip_norm):
    """Keras' `clip_by_global_norm` (NaN on a non-finite norm) with two kernels."""
    import torch

    present = [g for g in grads if g is not None]
    if not present:
        return grads
    with torch.no_grad():
        norms = [n.float() for n in torch._foreach_norm(present)]
        norm = torch.linalg.vector_norm(torch.stack(norms))
        scale = clip_norm * torch.clamp(1.0 / norm, max=1.0 / clip_norm)
        scale = scale + (norm - norm)
        scaled = iter(torch._foreach_mul(present, scale))
    return [None if g is None else next(scaled) for g in grads]


def snapshot(variables):
    """Copies of the variables' values, in one kernel."""
    import torch

    if not variables:
        return []
    with torch.no_grad():
        return torch._foreach_mul([variable.value for variable in variables], 1.0)


def interpolate(variables, olds, multipliers):
    """Sets each variable `w` to `old + multiplier * (w - old)`, grouped by multiplier."""
    import torch

    groups = {}
    for variable, old, multiplier in zip(variables, olds, multipliers):
        groups.setdefault(multiplier, ([], []))
        groups[multiplier][0].append(variable.value)
        groups[multiplier][1].append(old)
    with torch.no_grad():
        for multiplier, (values, group_olds) in groups.items():
            torch._foreach_lerp_(group_olds, values, float(multiplier))
            torch._foreach_copy_(values, group_olds)
