"""Sorting and selecting by rank along one dimension: sort, argsort, topk, kthvalue.

Each op has two results, as in PyTorch: the values and the indices they came from (a named
tuple from return_types.py). Only the values have a gradient; an index is a position, not a
number that could change a little. So the work is split in two:

* the entry point finds the order (an argsort along `dim`, no gradient), and
* the op takes the values at those indices:   y[p] = x[p with its `dim` coordinate = indices[p]]

Its backward puts dL/dy back where each value came from; every other element of x gets 0.
Each position of x is chosen at most once (the indices of one row are distinct), so the
gradient is put in place by assignment: nothing has to add up, unlike gather's backward
(ops/indexing.py), where an index may repeat.

Ties are broken by position: the sort is stable, so of two equal values the one that comes
first in x comes first in the result (PyTorch guarantees this only with stable=True; minigrad
always does it, so results are reproducible).
"""

from minigrad import return_types
from minigrad.autograd import Function
from minigrad.ops.indexing import put_back_at, required_dim, take_at


class Sort(Function):
    """y = x sorted along dim:  y[..., j, ...] = x[..., indices[j], ...], indices a permutation.
    dL/dx[..., indices[j], ...] = dL/dy[..., j, ...]   (the permutation undone).
    """

    name = "sort"
    latex = r"""
        y_j = x_{\pi_j} \quad (\pi = \mathrm{indices},\ \mathrm{a\ permutation})
        \frac{\partial L}{\partial x_{\pi_j}} = \frac{\partial L}{\partial y_j}
    """

    @staticmethod
    def forward(ctx, x, indices, dim):
        return take_at(ctx, x, indices, dim)

    @staticmethod
    def backward(ctx, grad):
        return put_back_at(ctx, grad), None, None


class TopK(Function):
    """y = the k largest (or smallest) elements along dim:
    y[..., j, ...] = x[..., indices[j], ...].
    dL/dx = dL/dy at the k chosen positions, 0 at the others.
    """

    name = "topk"
    latex = r"""
        y_j = x_{\pi_j}, \quad j < k \quad (\pi = \mathrm{indices})
        \frac{\partial L}{\partial x_{\pi_j}} = \frac{\partial L}{\partial y_j}
        \frac{\partial L}{\partial x_i} = 0 \quad (i\ \mathrm{not\ chosen})
    """

    @staticmethod
    def forward(ctx, x, indices, dim):
        return take_at(ctx, x, indices, dim)

    @staticmethod
    def backward(ctx, grad):
        return put_back_at(ctx, grad), None, None


class KthValue(Function):
    """y = the k-th smallest element along dim:  y[...] = x[..., index, ...].
    dL/dx = dL/dy at that one position, 0 at the others. (indices arrive with a size-1 `dim`,
    which keepdim=False removes from y, and backward puts back.)
    """

    name = "kthvalue"
    latex = r"""
        y = x_i \quad (i = \mathrm{index\ of\ the\ } k\mathrm{th\ smallest})
        \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y}, \quad 0\ \mathrm{elsewhere}
    """

    @staticmethod
    def forward(ctx, x, indices, dim, keepdim):
        ctx.keepdim = keepdim
        y = take_at(ctx, x, indices, dim)
        return y if keepdim else y.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            grad = ctx.xp.expand_dims(grad, ctx.dim)
        return put_back_at(ctx, grad), None, None, None


def _order(xp, x, dim, descending):
    """The stable sorting permutation of x along dim (NaN last ascending, first descending).

    Descending and stable: sort x reversed along dim (ties then come last-first), then reverse
    that order and map positions back (position i of the reversed x is n - 1 - i of x).
    """
    if not descending:
        return _stable_argsort(xp, x, dim).astype(xp.int64)
    n = x.shape[dim]
    order = _stable_argsort(xp, xp.flip(x, axis=dim), dim)
    return ((n - 1) - xp.flip(order, axis=dim)).astype(xp.int64)


def _stable_argsort(xp, x, dim):
    """NumPy sorts stably only when asked (kind="stable"); CuPy's sort is always stable, and
    CuPy before version 12 does not take the `kind` argument at all."""
    try:
        return xp.argsort(x, axis=dim, kind="stable")
    except TypeError:
        return xp.argsort(x, axis=dim)


# --------------------------------------------------------------------------------------------
# The entry points (`x.sort()`, `minigrad.topk(x, 3)`, ...): PyTorch's arguments and named
# tuples. A 0-d tensor acts as a 1-element vector, as in PyTorch.
# --------------------------------------------------------------------------------------------


def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002 - PyTorch's name
    """(values, indices): x sorted along dim, and where each value was in x."""
    del stable  # minigrad's sort is always stable (see the module docstring)
    if input.ndim == 0:
        values, indices = sort(input.reshape(1), dim, descending)
        return return_types.sort(values.reshape(()), indices.reshape(()))
    dim = required_dim(input, dim, "sort")
    indices = input._make(_order(input.xp, input.array, dim, descending), input.device)
    return return_types.sort(Sort.apply(input, indices, dim), indices)


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002 - PyTorch's name
    """The indices that sort x along dim (an int64 tensor; no gradient)."""
    return sort(input, dim, descending, stable).indices


def _check_k(k, size, op, low):
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"{op}: k must be an int, not {type(k).__name__}")
    if not low <= k <= size:
        raise IndexError(
            f"{op}: k={k} is out of range for a dimension of size {size} (need {low} <= k <= "
            f"{size})"
        )


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's names
    """(values, indices) of the k largest elements along dim (k smallest with largest=False).

    The values always come sorted (largest first, or smallest first), which sorted=False allows.
    """
    del sorted  # PyTorch leaves the order open with sorted=False; minigrad always sorts
    if input.ndim == 0:
        values, indices = topk(input.reshape(1), k, dim, largest)
        shape = () if k == 1 else (0,)
        return return_types.topk(values.reshape(shape), indices.reshape(shape))
    dim = required_dim(input, dim, "topk")
    _check_k(k, input.shape[dim], "topk", low=0)
    order = _order(input.xp, input.array, dim, descending=largest)
    chosen = order[(slice(None),) * dim + (slice(0, k),)]
    indices = input._make(chosen, input.device)
    return return_types.topk(TopK.apply(input, indices, dim), indices)


def kthvalue(input, k, dim=-1, keepdim=False):  # noqa: A002 - PyTorch's name
    """(values, indices) of the k-th smallest element along dim (k = 1 is the smallest)."""
    if input.ndim == 0:
        values, indices = kthvalue(input.reshape(1), k, dim, keepdim)
        return return_types.kthvalue(values.reshape(()), indices.reshape(()))
    dim = required_dim(input, dim, "kthvalue")
    _check_k(k, input.shape[dim], "kthvalue", low=1)
    order = _order(input.xp, input.array, dim, descending=False)
    chosen = order[(slice(None),) * dim + (slice(k - 1, k),)]  # dim keeps size 1
    values = KthValue.apply(input, input._make(chosen, input.device), dim, keepdim)
    # The indices handed out are a copy: changing them in place must not change what backward
    # uses.
    indices = chosen.copy() if keepdim else chosen.squeeze(dim).copy()
    return return_types.kthvalue(values, input._make(indices, input.device))
