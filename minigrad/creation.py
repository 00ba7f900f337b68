"""Making tensors: minigrad.tensor, zeros, ones, full, arange, randn, rand, randint, *_like."""

import numpy as np

from minigrad import dtypes
from minigrad import random as _random
from minigrad.backend import get_backend, normalize_device
from minigrad.tensor import Tensor


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A tensor from Python numbers, nested lists, a NumPy array or another tensor's data.

    Python floats become float32 (the default dtype), ints int64, bools bool; a NumPy array
    keeps its dtype (so np.random.randn(3), which is float64, stays float64 -- as in PyTorch).
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def _shape(shape):
    """zeros(2, 3) and zeros((2, 3)) mean the same."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for size in shape:
        if not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"a shape needs non-negative integer sizes, got {shape}")
    return tuple(int(size) for size in shape)


def _filled(shape, fill, dtype, requires_grad, device):
    device = normalize_device(device)
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    data = get_backend(device).xp.full(shape, fill, dtype=dtype)
    return Tensor(data, requires_grad=requires_grad, device=device)


def zeros(*shape, dtype=None, requires_grad=False, device=None):
    return _filled(_shape(shape), 0, dtype, requires_grad, device)


def ones(*shape, dtype=None, requires_grad=False, device=None):
    return _filled(_shape(shape), 1, dtype, requires_grad, device)


def full(shape, fill_value, dtype=None, requires_grad=False, device=None):
    if dtype is None and isinstance(fill_value, (bool, int)) and not isinstance(fill_value, float):
        dtype = dtypes.bool if isinstance(fill_value, bool) else dtypes.int64
    shape = _shape((shape,) if isinstance(shape, int) else tuple(shape))
    return _filled(shape, fill_value, dtype, requires_grad, device)


def zeros_like(t, dtype=None, requires_grad=False, device=None):
    return zeros(
        t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=device or t.device
    )


def ones_like(t, dtype=None, requires_grad=False, device=None):
    return ones(
        t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=device or t.device
    )


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None):
    return full(
        t.shape,
        fill_value,
        dtype=dtype or t.dtype,
        requires_grad=requires_grad,
        device=device or t.device,
    )


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Evenly spaced values in [start, end) (torch.arange). Integers give int64, floats float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    data = np.arange(start, end, step, dtype=dtypes.as_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad, device=device)


def _random_float_dtype(dtype):
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if dtype not in (dtypes.float32, dtypes.float64):
        raise TypeError(f"random floats can be float32 or float64, not {dtype}")
    return dtype


def randn(*shape, dtype=None, requires_grad=False, device=None, generator=None):
    """Standard normal samples N(0, 1)."""
    gen = generator or _random.generator()
    data = gen.standard_normal(_shape(shape), dtype=_random_float_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad, device=device)


def rand(*shape, dtype=None, requires_grad=False, device=None, generator=None):
    """Uniform samples in [0, 1)."""
    gen = generator or _random.generator()
    data = gen.random(_shape(shape), dtype=_random_float_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad, device=device)


def randint(low, high=None, size=(), dtype=None, device=None, generator=None):
    """Random integers in [low, high) (randint(high, size=...) starts at 0)."""
    if high is None:
        low, high = 0, low
    gen = generator or _random.generator()
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    size = _shape((size,) if isinstance(size, int) else tuple(size))
    return Tensor(gen.integers(low, high, size=size).astype(dtype), device=device)


def randperm(n, device=None, generator=None):
    """A random permutation of 0 .. n-1."""
    gen = generator or _random.generator()
    return Tensor(gen.permutation(n).astype(dtypes.int64), device=device)
