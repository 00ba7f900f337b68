"""Comparisons and logic: == != < <= > >=, ~ & |, any, all, isclose, allclose, equal.

Their results are boolean tensors, which have no gradient, so these are plain array code and not
`Function`s: nothing is recorded in the graph.
"""

from minigrad import dtypes
from minigrad._coerce import binary_operands, same_device
from minigrad.ops.reductions import reduction_args


def _compare(a, b, name, compute):
    a, b = binary_operands(a, b, name)
    same_device(a, b, name)
    return a._make(compute(a.array, b.array), a.device)


def eq(a, b):
    return _compare(a, b, "eq", lambda x, y: x == y)


def ne(a, b):
    return _compare(a, b, "ne", lambda x, y: x != y)


def lt(a, b):
    return _compare(a, b, "lt", lambda x, y: x < y)


def le(a, b):
    return _compare(a, b, "le", lambda x, y: x <= y)


def gt(a, b):
    return _compare(a, b, "gt", lambda x, y: x > y)


def ge(a, b):
    return _compare(a, b, "ge", lambda x, y: x >= y)


def _logical(a, b, name, compute):
    a, b = binary_operands(a, b, name)
    same_device(a, b, name)
    if a.dtype != dtypes.bool:
        raise TypeError(f"logical {name} needs boolean tensors, not {a.dtype}")
    return a._make(compute(a.array, b.array), a.device)


def logical_and(a, b):
    return _logical(a, b, "and", lambda x, y: x & y)


def logical_or(a, b):
    return _logical(a, b, "or", lambda x, y: x | y)


def logical_not(x):
    if x.dtype != dtypes.bool:
        raise TypeError(f"~ (logical not) needs a boolean tensor, not {x.dtype}")
    return x._make(~x.array, x.device)


def any(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where any element over `dim` (an int, a tuple, or all axes) is non-zero."""
    return _truth_reduction(x, dim, keepdim, axis, keepdims, "any")


def all(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where every element over `dim` (an int, a tuple, or all axes) is non-zero."""
    return _truth_reduction(x, dim, keepdim, axis, keepdims, "all")


def _truth_reduction(x, dim, keepdim, axis, keepdims, op):
    axes, keepdim = reduction_args(x, axis, dim, keepdim, keepdims, op)
    array = (
        x.array.any(axis=axes, keepdims=keepdim)
        if op == "any"
        else x.array.all(axis=axes, keepdims=keepdim)
    )
    # bool, except that uint8 stays uint8 (PyTorch keeps that old convention)
    dtype = dtypes.uint8 if x.dtype == dtypes.uint8 else dtypes.bool
    return x._make(x.xp.asarray(array).astype(dtype, copy=False), x.device)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol |b| elementwise (a boolean tensor), as torch.isclose.
    inf equals only an inf of the same sign; nan equals nan only with equal_nan=True."""
    a, b = binary_operands(a, b, "isclose")
    same_device(a, b, "isclose")
    xp = a.xp
    x, y = a.array, b.array
    if x.dtype.kind != "f":  # integers and bools: compared exactly when the tolerances allow
        x, y = x.astype(dtypes.float64), y.astype(dtypes.float64)
    # Exactly equal (this covers inf == inf), or both finite and within the tolerance.
    close = x == y
    if equal_nan:
        close |= xp.isnan(x) & xp.isnan(y)
    finite = xp.isfinite(x) & xp.isfinite(y)
    x, y = xp.where(finite, x, 0), xp.where(finite, y, 0)  # no inf - inf below
    close |= finite & (xp.abs(x - y) <= atol + rtol * xp.abs(y))
    return a._make(close, a.device)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of a is close to b (isclose): a Python bool, as torch.allclose."""
    return bool(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan).array.all())


def equal(a, b):
    """True if a and b have the same shape and the same elements (a Python bool)."""
    if tuple(a.shape) != tuple(b.shape):
        return False
    return bool(eq(a, b).array.all())
