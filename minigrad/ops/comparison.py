"""Comparisons and logic: == != < <= > >=, ~ & |, any, all.

Their results are boolean tensors, which have no gradient, so these are plain array code and not
`Function`s: nothing is recorded in the graph.
"""

from minigrad import dtypes
from minigrad._coerce import binary_operands, same_device


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


def any(x):
    return x._make(x.xp.asarray(x.array.any()), x.device)


def all(x):
    return x._make(x.xp.asarray(x.array.all()), x.device)
