"""Reductions: sum, mean, var, std, amax, amin over some axes (all axes when axis is None), and
max / min along one axis, which also say where the extreme is (`values, indices = x.max(1)`).

A reduction maps many inputs to one output, so its backward sends the output's gradient back to
each input that contributed: `_expand` turns the reduced gradient back into the input's shape.
Axes arrive normalised by the Tensor method: None or a sorted tuple of non-negative ints.
"""

from minigrad import dtypes, return_types
from minigrad._coerce import as_float, single_axis
from minigrad.autograd import Function, TensorBase
from minigrad.ops import kernels
from minigrad.ops.arithmetic import maximum, minimum
from minigrad.ops.indexing import put_back_at, take_at


def _expand(xp, grad, shape, axis, keepdims):
    """Broadcast a reduced gradient back over the axes that were reduced away."""
    if axis is not None and not keepdims:
        grad = xp.expand_dims(grad, axis)
    return xp.broadcast_to(grad, shape)


def _count(shape, axis):
    """How many elements were reduced into each output element."""
    count = 1
    for i, size in enumerate(shape):
        if axis is None or i in axis:
            count *= size
    return count


class Sum(Function):
    """y = sum_i x_i.        dy/dx_i = 1: every input receives the output's gradient."""

    name = "sum"
    latex = r"y = \sum_i x_i \qquad \frac{\partial y}{\partial x_i} = 1"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _expand(ctx.xp, grad, ctx.shape, ctx.axis, ctx.keepdims), None, None


class Mean(Function):
    """y = (1/n) sum_i x_i.  dy/dx_i = 1/n."""

    name = "mean"
    latex = r"y = \frac{1}{n} \sum_i x_i \qquad \frac{\partial y}{\partial x_i} = \frac{1}{n}"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        n = _count(ctx.shape, ctx.axis)
        return _expand(ctx.xp, grad / n, ctx.shape, ctx.axis, ctx.keepdims), None, None


class Var(Function):
    """y = sum_i (x_i - mean)^2 / (n - correction).
    dy/dx_i = 2 (x_i - mean) / (n - correction)   (the mean's own dependence on x_i cancels,
    because the deviations sum to zero).  correction=1 is PyTorch's default (Bessel's correction);
    n - correction <= 0 gives inf/nan, as in PyTorch.
    """

    name = "var"
    latex = r"""
        y = \frac{\sum_i (x_i - \bar{x})^2}{n - c}
        \frac{\partial y}{\partial x_i} = \frac{2\,(x_i - \bar{x})}{n - c}
    """

    @staticmethod
    def forward(ctx, x, axis=None, correction=1, keepdims=False):
        centered = x - x.mean(axis=axis, keepdims=True)
        divisor = _count(x.shape, axis) - correction
        ctx.scale = 1 / divisor if divisor > 0 else float("nan")
        ctx.save_for_backward(centered)
        ctx.axis, ctx.keepdims = axis, keepdims
        return (centered * centered).sum(axis=axis, keepdims=keepdims) * ctx.scale

    @staticmethod
    def backward(ctx, grad):
        (centered,) = ctx.saved_tensors
        grad = _expand(ctx.xp, grad, centered.shape, ctx.axis, ctx.keepdims)
        return grad * centered * (2 * ctx.scale), None, None, None


class Std(Function):
    """y = sqrt(var(x)) = sqrt( sum_i (x_i - mean)^2 / (n - correction) ).
    dy/dx_i = (x_i - mean) / ((n - correction) y)   -- the chain rule through var and sqrt.

    Where y = 0 (constant data) the slope of sqrt is infinite but every (x_i - mean) is 0;
    the gradient there is defined as 0, as PyTorch does, so that normalising a constant feature
    gives 0 and not nan.
    """

    name = "std"
    latex = r"""
        y = \sqrt{\frac{\sum_i (x_i - \bar{x})^2}{n - c}}
        \frac{\partial y}{\partial x_i} = \frac{x_i - \bar{x}}{(n - c)\,y}
    """

    @staticmethod
    def forward(ctx, x, axis=None, correction=1, keepdims=False):
        centered = x - x.mean(axis=axis, keepdims=True)
        divisor = _count(x.shape, axis) - correction
        ctx.scale = 1 / divisor if divisor > 0 else float("nan")
        y = ctx.xp.sqrt((centered * centered).sum(axis=axis, keepdims=True) * ctx.scale)
        ctx.save_for_backward(centered, y)
        ctx.axis, ctx.keepdims = axis, keepdims
        return y if keepdims else _squeeze(ctx.xp, y, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        centered, y = ctx.saved_tensors
        xp = ctx.xp
        grad = _expand(xp, grad, centered.shape, ctx.axis, ctx.keepdims)
        safe_y = xp.where(y == 0, 1, y)  # avoid 0/0; those rows get gradient 0 below
        slope = xp.where(y == 0, 0, centered * ctx.scale / safe_y)
        return grad * slope, None, None, None


class Amax(Function):
    """y = max_i x_i over the reduced axes (`x.amax(dim)`, and `x.max()` over everything).
    dy/dx_i = 1/k for each of the k elements equal to the maximum, 0 for the others.

    Ties share the gradient equally (as PyTorch's amax and x.max() do), so the gradients still
    sum to the output's gradient. A NaN is the maximum of its group (the result is NaN); the
    gradient goes to the NaN(s), not to every element (nan == nan is False, so they are found
    with isnan).
    """

    name = "amax"
    latex = r"""
        y = \max_i x_i
        \frac{\partial y}{\partial x_i} = \frac{[x_i = y]}{k} \quad (k\ \mathrm{ties\ at\ the\ max})
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = x.max(axis=axis, keepdims=True)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(_is_extreme(ctx.xp, x, out))
        ctx.axis, ctx.keepdims = axis, keepdims
        return _squeeze(ctx.xp, out, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _extreme_backward(ctx, grad), None, None


class Amin(Function):
    """y = min_i x_i over the reduced axes.   dy/dx_i = 1/k for the k smallest (ties share;
    a NaN is the minimum and takes the gradient), 0 for the others."""

    name = "amin"
    latex = r"""
        y = \min_i x_i
        \frac{\partial y}{\partial x_i} = \frac{[x_i = y]}{k} \quad (k\ \mathrm{ties\ at\ the\ min})
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = x.min(axis=axis, keepdims=True)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(_is_extreme(ctx.xp, x, out))
        ctx.axis, ctx.keepdims = axis, keepdims
        return _squeeze(ctx.xp, out, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _extreme_backward(ctx, grad), None, None


class Max(Function):
    """values = max of x along one axis, at `index` (`values, indices = x.max(dim)`).
    dy/dx_i = 1 at the chosen index, 0 elsewhere.

    The index is argmax's: the first largest element, or the first NaN (a NaN is the maximum,
    as in PyTorch). Unlike amax, ties do not share: the whole gradient goes to that one element,
    the one `indices` names (PyTorch's max(dim) does the same).
    """

    name = "max"
    latex = r"""
        y = x_{\mathrm{index}} = \max_i x_i
        \frac{\partial y}{\partial x_i} = [i = \mathrm{index}]
    """

    @staticmethod
    def forward(ctx, x, index, axis, keepdims):
        ctx.keepdims = keepdims
        values = take_at(ctx, x, index, axis)  # index keeps the axis (size 1)
        return values if keepdims else ctx.xp.squeeze(values, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return _chosen_backward(ctx, grad), None, None, None


class Min(Function):
    """values = min of x along one axis, at `index` (argmin's: the first smallest, or the first
    NaN).   dy/dx_i = 1 at that index, 0 elsewhere."""

    name = "min"
    latex = r"""
        y = x_{\mathrm{index}} = \min_i x_i
        \frac{\partial y}{\partial x_i} = [i = \mathrm{index}]
    """

    @staticmethod
    def forward(ctx, x, index, axis, keepdims):
        ctx.keepdims = keepdims
        values = take_at(ctx, x, index, axis)  # index keeps the axis (size 1)
        return values if keepdims else ctx.xp.squeeze(values, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return _chosen_backward(ctx, grad), None, None, None


def _squeeze(xp, out, axis, keepdims):
    if keepdims:
        return out
    if axis is None:
        return out.reshape(())
    return xp.squeeze(out, axis=axis)


def _is_extreme(xp, x, out):
    """Where x equals its group's max (or min); where the result is NaN, where x is NaN."""
    if x.dtype.kind != "f":
        return x == out
    return xp.where(xp.isnan(out), xp.isnan(x), x == out)


def _extreme_backward(ctx, grad):
    (is_extreme,) = ctx.saved_tensors
    grad = _expand(ctx.xp, grad, is_extreme.shape, ctx.axis, ctx.keepdims)
    ties = is_extreme.sum(axis=ctx.axis, keepdims=True)
    # Reference: xp.where(is_extreme, grad / ties, 0) (select: NaN * 0 would leak a NaN)
    return kernels.select(ctx.xp, is_extreme, grad / ties.astype(grad.dtype))


def _chosen_backward(ctx, grad):
    """max(dim)/min(dim): the gradient of the values goes back to the positions `index` chose."""
    if not ctx.keepdims:
        grad = ctx.xp.expand_dims(grad, ctx.dim)
    return put_back_at(ctx, grad)


# --------------------------------------------------------------------------------------------
# The entry points (`x.sum(...)`, `minigrad.sum(x, ...)`). `axis`/`keepdims` as in NumPy;
# PyTorch's `dim`/`keepdim` are accepted too. Axes reach the ops normalised: None or a sorted
# tuple of non-negative ints.
# --------------------------------------------------------------------------------------------


def reduction_args(tensor, axis, dim, keepdims, keepdim, op):
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis or dim, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    if axis is None:
        return None, bool(keepdims)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if tensor.ndim == 0:
        if any(a not in (0, -1) for a in axes):
            raise IndexError(f"{op}: axis {axis} is out of range for a 0-d tensor")
        return None, bool(keepdims)
    normalized = tuple(sorted({single_axis(tensor, a, op) for a in axes}))
    if len(normalized) != len(axes):
        raise ValueError(f"{op}: axis {axis} names the same axis twice")
    return normalized, bool(keepdims)


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis, keepdims = reduction_args(x, axis, dim, keepdims, keepdim, "sum")
    return Sum.apply(x, axis, keepdims)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis, keepdims = reduction_args(x, axis, dim, keepdims, keepdim, "mean")
    return Mean.apply(as_float(x), axis, keepdims)


def var(x, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None, unbiased=None):
    axis, keepdims = reduction_args(x, axis, dim, keepdims, keepdim, "var")
    if unbiased is not None:  # the older PyTorch spelling
        correction = 1 if unbiased else 0
    return Var.apply(as_float(x), axis, correction, keepdims)


def std(x, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None):
    axis, keepdims = reduction_args(x, axis, dim, keepdims, keepdim, "std")
    return Std.apply(as_float(x), axis, correction, keepdims)


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The largest value over `dim` (an int, a tuple of ints, or all axes when left out).
    Ties share the gradient equally (see Amax)."""
    dim, keepdim = reduction_args(x, axis, dim, keepdim, keepdims, "amax")
    return Amax.apply(x, dim, keepdim)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The smallest value over `dim` (an int, a tuple of ints, or all axes when left out)."""
    dim, keepdim = reduction_args(x, axis, dim, keepdim, keepdims, "amin")
    return Amin.apply(x, dim, keepdim)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """As PyTorch's three forms of max:

    x.max()               the largest value (a 0-d tensor; ties share the gradient)
    x.max(dim)            (values, indices): the largest along one axis, and where it is
    minigrad.max(x, y)    the elementwise maximum of two tensors (minigrad.maximum)
    """
    if isinstance(dim, TensorBase):
        return maximum(x, dim)
    return _extreme_along(x, dim, keepdim, axis, keepdims, "max")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """x.min(), x.min(dim) -> (values, indices), minigrad.min(x, y): as max."""
    if isinstance(dim, TensorBase):
        return minimum(x, dim)
    return _extreme_along(x, dim, keepdim, axis, keepdims, "min")


def _extreme_along(x, dim, keepdim, axis, keepdims, op):
    if dim is None and axis is None:
        if x.numel() == 0:
            raise RuntimeError(
                f"{op}(): expected reduction dim to be specified for an empty tensor "
                f"(shape {tuple(x.shape)}); give dim=..."
            )
        return (Amax if op == "max" else Amin).apply(x, None, False)
    dim = dim if dim is not None else axis
    if isinstance(dim, (tuple, list)):
        raise TypeError(
            f"{op}(dim=...) takes one int dim and returns (values, indices); use "
            f"a{op}(dim={tuple(dim)}) for the {op} over several axes"
        )
    keepdim = bool(keepdims if keepdims is not None else keepdim)
    axis = single_axis(x, dim, op)
    if x.ndim == 0:  # dim 0 or -1 of a 0-d tensor: the value itself, at index 0
        indices = x._make(x.xp.zeros((), dtype=dtypes.int64), x.device)
        return _named(op)(x.reshape(()), indices)
    if x.shape[axis] == 0:
        raise IndexError(f"{op}(): cannot reduce over dim {dim} of size 0 (shape {x.shape})")
    find = x.array.argmax if op == "max" else x.array.argmin
    index = find(axis=axis, keepdims=True)
    values = (Max if op == "max" else Min).apply(x, index, axis, keepdim)
    indices = index if keepdim else x.xp.squeeze(index, axis=axis)
    return _named(op)(values, x._make(indices.astype(dtypes.int64), x.device))


def _named(op):
    return return_types.max if op == "max" else return_types.min


def argmax(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The index of the largest value (not differentiable: an index has no gradient)."""
    axis = single_axis(x, dim if dim is not None else axis, "argmax")
    keepdims = keepdim if keepdim is not None else keepdims
    return x._make(x.array.argmax(axis=axis, keepdims=keepdims), x.device)


def argmin(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The index of the smallest value (not differentiable)."""
    axis = single_axis(x, dim if dim is not None else axis, "argmin")
    keepdims = keepdim if keepdim is not None else keepdims
    return x._make(x.array.argmin(axis=axis, keepdims=keepdims), x.device)


def bincount(x, weights=None, minlength=0):
    """How often each value 0, 1, 2, ... occurs in a 1-D tensor of non-negative integers
    (weights: add weights[i] instead of 1 for x[i]). Counts have no gradient."""
    if not isinstance(x, TensorBase) or x.ndim != 1 or x.dtype.kind not in "iu":
        raise TypeError(
            "bincount only supports 1-d non-negative integral inputs, got "
            + (f"a {x.ndim}-D {x.dtype} tensor" if isinstance(x, TensorBase) else type(x).__name__)
        )
    if x.numel() and int(x.array.min()) < 0:
        raise ValueError("bincount only supports 1-d non-negative integral inputs (found < 0)")
    if isinstance(minlength, bool) or not isinstance(minlength, int) or minlength < 0:
        raise ValueError(f"bincount: minlength must be a non-negative int, got {minlength!r}")
    if weights is None:
        return x._make(x.xp.bincount(x.array, minlength=minlength).astype("int64"), x.device)
    if not isinstance(weights, TensorBase) or weights.shape != x.shape:
        raise ValueError(f"bincount: weights must be a tensor of shape {tuple(x.shape)}")
    counts = x.xp.bincount(x.array, weights=weights.array, minlength=minlength)
    # NumPy adds the weights in float64; the result keeps the weights' float dtype, as PyTorch's
    dtype = weights.dtype if weights.dtype.kind == "f" else "float64"
    return x._make(counts.astype(dtype), x.device)
