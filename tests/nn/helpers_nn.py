"""Shared helpers for the minigrad.nn tests.

Inputs are made from a hypothesis-drawn seed and a NumPy Generator (fast, and derandomised by the
"ci" profile), always in float64 for gradient checks. Expected values never come from minigrad:
they are closed forms, plain NumPy re-computations, or PyTorch (when it is installed).
"""

import numpy as np
from hypothesis import strategies as st

import minigrad as mg

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def rng(seed):
    return np.random.default_rng(seed)


def leaf(array, device="cpu", requires_grad=True):
    """A float64 (or the array's dtype) leaf tensor on `device`."""
    return mg.tensor(np.asarray(array), requires_grad=requires_grad, device=device)


def grad_of(t):
    """A host copy of t.grad."""
    return t.grad.numpy()


def set_params(module, arrays):
    """Write NumPy arrays (by parameter name) into a module's parameters."""
    params = dict(module.named_parameters())
    for name, array in arrays.items():
        params[name].array = mg.backend.get_backend(params[name].device).asarray(
            np.asarray(array), dtype=params[name].dtype
        )


def module_gradcheck(module, inputs, output=lambda out: out, **kwargs):
    """gradcheck with respect to the inputs AND every parameter of a float64 module.

    gradcheck calls fn on fresh copies of the tensors it is given, so the module's own Parameters
    would never be perturbed. Instead fn puts the copies it receives into the module's parameter
    slots for the duration of the call (a test-only stand-in for torch.func.functional_call).
    """
    slots = [
        (owner, name)
        for _, owner in module.named_modules()
        for name, param in owner._parameters.items()
        if param is not None
    ]
    originals = [owner._parameters[name] for owner, name in slots]
    n = len(inputs)

    def fn(*tensors):
        for (owner, name), tensor in zip(slots, tensors[n:]):
            owner._parameters[name] = tensor
        try:
            return output(module(*tensors[:n]))
        finally:
            for (owner, name), param in zip(slots, originals):
                owner._parameters[name] = param

    return mg.gradcheck(fn, tuple(inputs) + tuple(originals), **kwargs)
