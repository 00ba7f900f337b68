"""The Optimizer base class: parameter groups, zero_grad, step and state dicts.

An optimizer changes parameters so that the loss goes down (F4: theta <- theta - lr * grad, and
its refinements). Every optimizer in minigrad shares the same bookkeeping, written once here:

    param_groups   a list of dicts. Each dict holds some parameters ("params") and the
                   hyperparameters used for them ("lr", "momentum", ...). One group is the usual
                   case; several groups let different layers train with different learning rates.
    state          per-parameter memory (momentum buffers, Adam's moment estimates, step counts):
                   a dict param -> dict of that parameter's buffers, so `optimizer.state[p]`
                   shows what the optimizer remembers about p (Tensors hash by identity).

A subclass only says how ONE parameter is updated from its gradient, in `update_parameter`.

Everything works on the raw backend arrays `p.array` and `p.grad.array`, in place, so:

* a Module holding the parameter sees the new values at once (no copies to hand back);
* no computation graph is recorded (an update is not part of the model);
* float32 parameters stay float32: the arrays are only combined with Python floats, which NumPy
  (and CuPy) treat as "weak" scalars that take the array's dtype;
* the same code runs on any device, because it only calls the tensor's array module `p.xp`.
"""

import numpy as np

from minigrad import grad_mode
from minigrad.backend import get_backend
from minigrad.tensor import Tensor


class Optimizer:
    """Base class of all optimizers (PyTorch's `torch.optim.Optimizer`).

    Args:
        params: an iterable of Tensors, or an iterable of dicts (parameter groups), each with a
            "params" entry and optionally its own hyperparameters, e.g.
            `[{"params": body.parameters()}, {"params": head.parameters(), "lr": 1e-2}]`.
        defaults: the hyperparameters of this optimizer, used where a group does not set them.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}  # param -> {"momentum_buffer": array, ...}
        self.param_groups = []

        if isinstance(params, Tensor):
            raise TypeError(
                "params should be an iterable of Tensors or dicts, e.g. [w, b] or "
                "model.parameters(), but got a single Tensor"
            )
        params = list(params)
        if len(params) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with "params"), e.g. a layer unfrozen later on."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        group["params"] = list(params)

        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"an optimizer can only optimize Tensors, but one of the params is a "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                # A non-leaf is recomputed from the leaves at every forward pass: changing it
                # would have no lasting effect, so it is almost certainly a mistake.
                raise ValueError("can't optimize a non-leaf Tensor (optimize the leaves instead)")

        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.check_hyperparameters(group)

        # A parameter in two groups would be updated twice per step.
        seen = {p for g in self.param_groups for p in g["params"]}
        new = group["params"]
        if len(set(new)) != len(new) or seen.intersection(new):
            raise ValueError("some parameters appear more than once in the optimizer's groups")

        self.param_groups.append(group)

    def check_hyperparameters(self, group):
        """Raise ValueError for impossible hyperparameters. Each optimizer checks its own."""

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of the last backward pass (they would otherwise accumulate).

        set_to_none=True (the default, as in PyTorch) drops the gradients: `p.grad` becomes None,
        which saves memory and lets `step` skip parameters that got no gradient.
        set_to_none=False writes zeros into the existing gradient tensors instead.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; return the closure's loss (or None).

        closure: optional function that re-evaluates the model and returns the loss (some
        optimizers such as L-BFGS need it; the ones here just call it once, as PyTorch does).
        """
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()

        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue  # frozen, or not used by this loss: leave it (and its state) alone
                state = self.state.setdefault(p, {})
                self.update_parameter(p, p.grad.array, state, group)
                # An in-place change, so it counts: a graph built before this step that saved p
                # cannot be backpropagated any more (as in PyTorch: the "GAN order" mistake).
                p._version_counter.value += 1
        return loss

    def update_parameter(self, p, grad, state, group):
        """Change `p.array` in place using its gradient `grad`. Each optimizer writes this."""
        raise NotImplementedError

    def state_dict(self):
        """Everything needed to resume training, as plain data (PyTorch's layout).

        {"state": {index: {"momentum_buffer": array, ...}, ...},
         "param_groups": [{"lr": ..., ..., "params": [index, ...]}, ...]}

        Parameters are named by their position (0, 1, 2, ... in group order), not stored: the
        model's own state dict holds their values. Arrays are copies, so the result is a
        snapshot that later steps do not change.
        """
        index_of = {}  # param -> its position among all parameters
        groups = []
        for group in self.param_groups:
            saved = {name: value for name, value in group.items() if name != "params"}
            saved["params"] = []
            for p in group["params"]:
                index_of[p] = len(index_of)
                saved["params"].append(index_of[p])
            groups.append(saved)

        state = {}
        for p, buffers in self.state.items():
            if p in index_of:
                state[index_of[p]] = {name: _copy(value) for name, value in buffers.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()` taken from an optimizer over the same parameters.

        The hyperparameters of each group (lr, betas, ...) are restored too. Buffers are copied
        onto each parameter's device and, if floating point, cast to its dtype.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                "load_state_dict: expected an optimizer state dict, a dict with 'state' and "
                f"'param_groups' (from optimizer.state_dict()), got {_describe(state_dict)}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, but this optimizer "
                f"has {len(self.param_groups)}"
            )
        param_at = self._saved_index_to_param(saved_groups)
        new_state = {}
        for index, buffers in state_dict["state"].items():
            p = param_at.get(int(index))
            if p is None:
                raise ValueError(
                    f"load_state_dict: the state dict has state for parameter {index}, but this "
                    f"optimizer has only {len(param_at)} parameters"
                )
            new_state[p] = _buffers_for(p, index, buffers)

        self.state = new_state
        for saved, group in zip(saved_groups, self.param_groups):
            for name, value in saved.items():
                if name != "params":
                    group[name] = value

    def _saved_index_to_param(self, saved_groups):
        """The saved state dict's parameter indices -> this optimizer's parameters."""
        param_at = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {number}: the loaded state dict has {len(saved['params'])} "
                    f"parameters, but this optimizer has {len(group['params'])}"
                )
            for index, p in zip(saved["params"], group["params"]):
                param_at[int(index)] = p
        return param_at

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            for name in sorted(group):
                if name != "params":
                    lines.append(f"    {name}: {group[name]}")
        lines.append(")")
        return "\n".join(lines)


def _describe(value):
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))[:6]}"
    return f"a {type(value).__name__}"


def as_betas(betas):
    """Adam's (beta1, beta2) as two Python floats, or a TypeError that says what is expected
    (instead of "'float' object is not subscriptable" for betas=0.9)."""
    try:
        beta1, beta2 = betas
        return float(beta1), float(beta2)
    except (TypeError, ValueError):
        raise TypeError(
            f"Invalid betas: {betas!r}; it must be a pair of numbers (beta1, beta2), "
            "e.g. betas=(0.9, 0.999)"
        ) from None


def _copy(value):
    """A snapshot of a state entry: arrays are copied, numbers are immutable anyway."""
    return value.copy() if hasattr(value, "copy") else value


def _buffers_for(p, index, buffers):
    """One parameter's saved buffers, moved to its device and dtype, shapes checked."""
    moved = {name: _like_param(value, p) for name, value in buffers.items()}
    for name, value in moved.items():
        # A buffer of another shape would only fail (or silently broadcast) at step().
        if getattr(value, "ndim", 0) > 0 and tuple(value.shape) != p.shape:
            raise ValueError(
                f"load_state_dict: state '{name}' of parameter {index} has shape "
                f"{tuple(value.shape)}, but the parameter has shape {p.shape}"
            )
    return moved


def _like_param(value, p):
    """A loaded state entry as an array on p's device (float buffers in p's dtype).

    Numbers (such as the step count) are returned unchanged.
    """
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, np.generic):  # e.g. np.int64(3): back to a plain Python number, so
        return value.item()  # that beta ** step stays a Python float (weak, dtype-preserving)
    if isinstance(value, Tensor):
        value = value.numpy()
    backend = get_backend(p.device)
    if not backend.is_array(value):
        value = _to_host(value)
    dtype = p.dtype if value.dtype.kind == "f" else value.dtype
    # asarray of a host array copies it to the device; astype(copy=True) gives a private copy
    # when it already is there, so the optimizer never shares memory with the state dict.
    return backend.asarray(value, dtype=dtype).astype(dtype, copy=True)


def _to_host(array):
    """Any backend's array (NumPy, CuPy, strict) -> NumPy array."""
    if isinstance(array, np.ndarray):
        return array
    for device in ("strict", "cuda"):
        try:
            backend = get_backend(device)
        except RuntimeError:  # the device is unavailable here (e.g. no CuPy)
            continue
        if backend.is_array(array):
            return backend.to_numpy(array)
    return np.asarray(array)
