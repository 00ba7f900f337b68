"""Making tensors (PyTorch's creation functions).

    from data      tensor, as_tensor, from_numpy
    filled         zeros, ones, full, empty, eye, and zeros_like, ones_like, full_like, empty_like
    ranges         arange, linspace, logspace
    random         rand, randn, randint, randperm, and rand_like, randn_like, randint_like
                   (multinomial is in random.py, beside the generators)

Every random function takes `generator=` (a minigrad.Generator, see random.py); without it, it
draws from the default generator that `minigrad.manual_seed` seeds.
"""

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


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing its memory when it can (torch.as_tensor).

    A Tensor that already has the dtype and device is returned as it is; a NumPy array whose
    dtype fits goes to "cpu" without a copy (as from_numpy); anything else is copied like
    tensor(data, dtype=dtype, device=device). Never part of a graph: requires_grad=False,
    except for a Tensor returned as it is.
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        same_dtype = dtype is None or dtype == data.dtype
        same_device = device is None or normalize_device(device) == data.device
        if same_dtype and same_device:
            return data
        return data.to(device or data.device, dtype=dtype or data.dtype)
    target = normalize_device(device)
    if isinstance(data, np.ndarray) and target == "cpu" and (dtype is None or dtype == data.dtype):
        return from_numpy(data)
    return Tensor(data, dtype=dtype, device=target)


def from_numpy(array):
    """A "cpu" tensor that shares its memory with the NumPy array (torch.from_numpy).

    It keeps the array's dtype (float64 stays float64: convert with .float() for a model).
    Writing into either changes both; the array stays as large as it was.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    try:
        dtypes.as_dtype(array.dtype)
    except TypeError:
        raise TypeError(
            f"from_numpy: can't convert a NumPy array of dtype {array.dtype}; minigrad supports "
            f"{sorted(dtypes.NAMES)}"
        ) from None
    return Tensor._make(array, "cpu")


# --------------------------------------------------------------------------------------------
# Filled tensors
# --------------------------------------------------------------------------------------------


def _shape(shape):
    """zeros(2, 3) and zeros((2, 3)) mean the same."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"a shape needs non-negative integer sizes, got {shape}")
    return tuple(int(size) for size in shape)


def _filled(shape, fill, dtype, requires_grad, device):
    device = normalize_device(device)
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    data = get_backend(device).xp.full(shape, fill, dtype=dtype)
    return Tensor._make(data, device).requires_grad_(requires_grad)


def zeros(*shape, dtype=None, requires_grad=False, device=None):
    return _filled(_shape(shape), 0, dtype, requires_grad, device)


def ones(*shape, dtype=None, requires_grad=False, device=None):
    return _filled(_shape(shape), 1, dtype, requires_grad, device)


def empty(*shape, dtype=None, requires_grad=False, device=None):
    """A tensor whose values are not set (torch.empty). minigrad fills it with zeros, so a
    forgotten initialisation gives zeros rather than leftovers from other memory."""
    return _filled(_shape(shape), 0, dtype, requires_grad, device)


def full(shape, fill_value, dtype=None, requires_grad=False, device=None):
    if dtype is None and isinstance(fill_value, (bool, int)) and not isinstance(fill_value, float):
        dtype = dtypes.bool if isinstance(fill_value, bool) else dtypes.int64
    shape = _shape((shape,) if isinstance(shape, int) else tuple(shape))
    return _filled(shape, fill_value, dtype, requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The n x m matrix with ones on the diagonal and zeros elsewhere (m defaults to n)."""
    m = n if m is None else m
    for name, size in (("n", n), ("m", m)):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"eye: {name} must be a non-negative integer, got {size!r}")
    device = normalize_device(device)
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    data = get_backend(device).xp.eye(int(n), int(m), dtype=dtype)
    return Tensor._make(data, device).requires_grad_(requires_grad)


def _like(input, dtype, device):
    """The shape, dtype and device a *_like function gives: input's, unless given."""
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor as input, got {type(input).__name__}")
    dtype = input.dtype if dtype is None else dtypes.as_dtype(dtype)
    return input.shape, dtype, input.device if device is None else device


def zeros_like(input, dtype=None, requires_grad=False, device=None):
    shape, dtype, device = _like(input, dtype, device)
    return zeros(shape, dtype=dtype, requires_grad=requires_grad, device=device)


def ones_like(input, dtype=None, requires_grad=False, device=None):
    shape, dtype, device = _like(input, dtype, device)
    return ones(shape, dtype=dtype, requires_grad=requires_grad, device=device)


def empty_like(input, dtype=None, requires_grad=False, device=None):
    shape, dtype, device = _like(input, dtype, device)
    return empty(shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None):
    shape, dtype, device = _like(input, dtype, device)
    return full(shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=device)


# --------------------------------------------------------------------------------------------
# Ranges
# --------------------------------------------------------------------------------------------


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Evenly spaced values in [start, end) (torch.arange). Integers give int64, floats float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: the range from start={start} to end={end} does not go in the direction "
            f"of step={step}"
        )
    # PyTorch counts ceil((end - start) / step) values and computes start + i * step in
    # double precision before casting; NumPy's arange does the same.
    data = np.arange(
        start, end, step, dtype=np.float64 if dtypes.as_dtype(dtype).kind == "f" else None
    )
    data = data.astype(dtypes.as_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad, device=device)


def _steps(steps, name):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"{name}: steps must be an int, got {steps!r}")
    if steps < 0:
        raise ValueError(f"{name}: the number of steps must be non-negative, got {steps}")
    return int(steps)


def _evenly_spaced(start, end, steps, dtype):
    """`steps` values from start to end, both included: the first half counted up from start,
    the second half down from end, so both ends are exact. Computed in `dtype` when it is a
    float type (as PyTorch does, for the same roundings), else in float64."""
    compute = dtype if dtype.kind == "f" else np.dtype(np.float64)
    start, end = compute.type(start), compute.type(end)
    if steps == 1:
        return np.array([start], dtype=compute)
    step = (end - start) / compute.type(steps - 1)
    i = np.arange(steps).astype(compute)
    halfway = steps // 2
    return np.where(np.arange(steps) < halfway, start + step * i, end - step * (steps - 1 - i))


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """`steps` evenly spaced values from start to end, both included (torch.linspace)."""
    steps = _steps(steps, "linspace")
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    data = _evenly_spaced(start, end, steps, dtype).astype(dtype)
    return Tensor(data, requires_grad=requires_grad, device=device)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None):
    """`steps` values from base**start to base**end, evenly spaced on a log scale."""
    steps = _steps(steps, "logspace")
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    exponents = _evenly_spaced(start, end, steps, dtype)
    data = np.power(exponents.dtype.type(base), exponents).astype(dtype)
    return Tensor(data, requires_grad=requires_grad, device=device)


# --------------------------------------------------------------------------------------------
# Random tensors
# --------------------------------------------------------------------------------------------


def _random_float_dtype(dtype, name):
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if dtype not in (dtypes.float16, dtypes.float32, dtypes.float64):
        raise TypeError(f"{name}: random floats can be float16, float32 or float64, not {dtype}")
    return dtype


def _on_device(data, device, requires_grad):
    """Host numbers as a tensor on `device` (drawn on the host: the same on every device)."""
    device = normalize_device(device)
    return Tensor._make(get_backend(device).asarray(data), device).requires_grad_(requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal samples N(0, 1)."""
    dtype = _random_float_dtype(dtype, "randn")
    rng = _random.numpy_generator(generator)
    data = rng.standard_normal(_shape(size), dtype=np.float64 if dtype == dtypes.float16 else dtype)
    return _on_device(data.astype(dtype, copy=False), device, requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform samples in [0, 1)."""
    dtype = _random_float_dtype(dtype, "rand")
    rng = _random.numpy_generator(generator)
    data = rng.random(_shape(size), dtype=np.float64 if dtype == dtypes.float16 else dtype)
    return _on_device(data.astype(dtype, copy=False), device, requires_grad)


def randint(
    low=0, high=None, size=None, *, generator=None, dtype=None, requires_grad=False, device=None
):
    """Random integers in [low, high): randint(high, size) or randint(low, high, size).

    As in PyTorch, `size` (a tuple or list) is required, and the result is int64 unless `dtype`
    says otherwise. With two positional arguments the first is high: randint(10, (3,)).
    """
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...) or randint(high=..., size=...)
        low, high = 0, low
    _check_randint_arguments(low, high, size)
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    data = _random.numpy_generator(generator).integers(low, high, size=_shape(tuple(size)))
    return _on_device(data.astype(dtype), device, requires_grad)


def _check_randint_arguments(low, high, size):
    if size is None:
        raise TypeError("randint() needs a size: randint(high, size) or randint(low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): size must be a tuple of ints, not {type(size).__name__}")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint(): {name} must be an int, got {value!r}")
    if low >= high:
        raise ValueError(f"randint(): low must be less than high, but got low={low} >= high={high}")


def randperm(n, generator=None, dtype=None, requires_grad=False, device=None):
    """A random permutation of 0 .. n-1 (int64 unless `dtype` says otherwise)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative integer, got {n!r}")
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    data = _random.numpy_generator(generator).permutation(int(n))
    return _on_device(data.astype(dtype), device, requires_grad)


def rand_like(input, generator=None, dtype=None, requires_grad=False, device=None):
    shape, dtype, device = _like(input, dtype, device)
    return rand(shape, generator=generator, dtype=dtype, requires_grad=requires_grad, device=device)


def randn_like(input, generator=None, dtype=None, requires_grad=False, device=None):
    shape, dtype, device = _like(input, dtype, device)
    return randn(
        shape, generator=generator, dtype=dtype, requires_grad=requires_grad, device=device
    )


def randint_like(
    input, low=0, high=None, generator=None, dtype=None, requires_grad=False, device=None
):
    """randint_like(input, high) or randint_like(input, low, high): input's shape and dtype."""
    if high is None:
        low, high = 0, low
    shape, dtype, device = _like(input, dtype, device)
    return randint(
        low,
        high,
        shape,
        generator=generator,
        dtype=dtype,
        requires_grad=requires_grad,
        device=device,
    )
