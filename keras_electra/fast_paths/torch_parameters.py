"""Torch backend: every variable of a model is a torch parameter, even when paths repeat.

Keras (3.15) registers a torch-backend model's variables in a
`torch.nn.ParameterDict` keyed by `variable.path`. Two functional backbones
built side by side (a generator and a discriminator) have the same layer names
and so the same paths, and the later one overwrites the earlier: those
variables are then missing from `model.parameters()`. The torch trainer clears
gradients with `model.zero_grad()`, so theirs are never cleared and add up
from step to step. ELECTRA's discriminator then collapses to a constant output.

`UniqueTorchParameters` keys the dict by path plus a counter where paths
repeat. On other backends it does nothing (the hooks are never called).
"""


def missing_torch_parameters(model):
    """The trainable variables of a torch-backend `model` that `parameters()` omits."""
    registered = {id(p) for p in model.parameters()}
    return [v for v in model.trainable_variables if id(v.value) not in registered]


class UniqueTorchParameters:
    """Mixin for a Keras model (before `keras.Model` in the bases).

    Example:
    ```python
    class TwoTowers(UniqueTorchParameters, keras.Model):
        ...
    ```
    """

    def _track_variables(self):
        import torch

        params = {}
        for variable in self.variables:
            self._add_unique_param(params, variable)
        self._torch_params = torch.nn.ParameterDict(params)

    def _post_track_variable(self, variable):
        if hasattr(self, "_torch_params"):
            if all(p is not variable.value for p in self._torch_params.values()):
                self._add_unique_param(self._torch_params, variable)

    def _post_untrack_variable(self, variable):
        if hasattr(self, "_torch_params"):
            for key, value in list(self._torch_params.items()):
                if value is variable.value:
                    self._torch_params.pop(key)

    @staticmethod
    def _add_unique_param(params, variable):
        key, count = variable.path, 1
        while key in params:
            if params[key] is variable.value:
                return
            count += 1
            key = f"{variable.path}_{count}"
        params[key] = variable.value
