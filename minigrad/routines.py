"""The tensor ops as functions, `minigrad.exp(x)` beside `x.exp()` (as torch.exp beside
Tensor.exp). Each one only calls the Tensor method; the op itself lives in minigrad/ops/.

The names shadow Python's built-in abs, max, min and sum inside this module only.
"""

from minigrad.tensor import (  # noqa: F401  (interim: these move here in the layout change)
    _binary_operands,
    broadcast_shapes,
    cat,
    concat,
    matmul,
    ops,
    split,
    stack,
    where,
)


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def abs(x):  # noqa: A001
    return x.abs()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def relu(x):
    return x.relu()


def gelu(x, approximate="none"):
    return x.gelu(approximate=approximate)


def clip(x, min=None, max=None):  # noqa: A002
    return x.clip(min, max)


clamp = clip


def maximum(a, b):
    return ops.Maximum.apply(*_binary_operands(a, b, "maximum"))


def minimum(a, b):
    return ops.Minimum.apply(*_binary_operands(a, b, "minimum"))


def sum(x, axis=None, keepdims=False, **kwargs):  # noqa: A001
    return x.sum(axis, keepdims, **kwargs)


def mean(x, axis=None, keepdims=False, **kwargs):
    return x.mean(axis, keepdims, **kwargs)


def var(x, axis=None, correction=1, keepdims=False, **kwargs):
    return x.var(axis, correction, keepdims, **kwargs)


def max(x, axis=None, keepdims=False, **kwargs):  # noqa: A001
    return x.max(axis, keepdims, **kwargs)


def min(x, axis=None, keepdims=False, **kwargs):  # noqa: A001
    return x.min(axis, keepdims, **kwargs)


def softmax(x, axis=-1, **kwargs):
    return x.softmax(axis, **kwargs)


def log_softmax(x, axis=-1, **kwargs):
    return x.log_softmax(axis, **kwargs)


def logsumexp(x, axis=-1, keepdims=False, **kwargs):
    return x.logsumexp(axis, keepdims, **kwargs)
