"""Shared helpers for the attention and Transformer tests.

Inputs come from a hypothesis-drawn seed and a NumPy Generator, in float64 for gradient checks.
Expected values come from closed forms, plain NumPy, or PyTorch when it is installed -- never
from minigrad itself.
"""

import numpy as np
from hypothesis import strategies as st

import minigrad as mg

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def rng(seed):
    return np.random.default_rng(seed)


def leaf(array, device="cpu", requires_grad=True):
    """A leaf tensor with the array's dtype (float64 for gradient checks) on `device`."""
    return mg.tensor(np.asarray(array), requires_grad=requires_grad, device=device)


def host(array_or_tensor):
    """A NumPy copy of a Tensor's data or of a backend array (e.g. a .grad)."""
    if isinstance(array_or_tensor, mg.Tensor):
        return array_or_tensor.numpy()
    if isinstance(array_or_tensor, np.ndarray):
        return array_or_tensor
    strict = mg.backend.get_backend("strict")
    if strict.is_array(array_or_tensor):
        return strict.to_numpy(array_or_tensor)
    return mg.backend.get_backend("cuda").to_numpy(array_or_tensor)


def numpy_attention(q, k, v, keep=None, bias=None, scale=None):
    """Reference: softmax(scale q kᵀ + bias, masked) v in NumPy; fully masked rows give 0."""
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = scale * q @ np.swapaxes(k, -1, -2)
    if bias is not None:
        scores = scores + bias
    if keep is not None:
        scores = np.where(keep, scores, -np.inf)
    row_max = scores.max(-1, keepdims=True)
    empty = np.isneginf(row_max)
    e = np.exp(scores - np.where(empty, 0.0, row_max))
    p = e / np.where(empty, 1.0, e.sum(-1, keepdims=True))
    return p @ v, p


def module_gradcheck(module, inputs, output=lambda out: out, forward_kwargs=None, **kwargs):
    """gradcheck with respect to the float inputs that require grad AND every parameter.

    gradcheck calls fn on fresh copies of the tensors it is given, so the module's own Parameters
    would never be perturbed. fn therefore puts the copies it receives into the module's parameter
    slots for the duration of the call (a test-only stand-in for torch.func.functional_call).
    Tied parameters are one object in several slots: each slot gets the same copy.
    forward_kwargs: keyword arguments for every call of the module (masks, flags).
    """
    forward_kwargs = forward_kwargs or {}
    slots = [
        (owner, name)
        for _, owner in module.named_modules()
        for name, param in owner._parameters.items()
        if param is not None
    ]
    unique = []
    for owner, name in slots:
        param = owner._parameters[name]
        if all(param is not p for p in unique):
            unique.append(param)
    originals = [owner._parameters[name] for owner, name in slots]
    n = len(inputs)

    def fn(*tensors):
        copies = tensors[n:]
        for (owner, name), param in zip(slots, originals):
            index = next(i for i, p in enumerate(unique) if p is param)
            owner._parameters[name] = copies[index]
        try:
            return output(module(*tensors[:n], **forward_kwargs))
        finally:
            for (owner, name), param in zip(slots, originals):
                owner._parameters[name] = param

    return mg.gradcheck(fn, tuple(inputs) + tuple(unique), **kwargs)
