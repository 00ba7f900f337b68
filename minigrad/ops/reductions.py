"""Reductions: sum, mean, var, max, min over some axes (all axes when axis is None).

A reduction maps many inputs to one output, so its backward sends the output's gradient back to
each input that contributed: `_expand` turns the reduced gradient back into the input's shape.
Axes arrive normalised by the Tensor method: None or a sorted tuple of non-negative ints.
"""

from minigrad._coerce import as_float, single_axis
from minigrad.autograd import Function


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


class Max(Function):
    """y = max_i x_i.   dy/dx_i = 1 for the largest x_i, 0 for the others.

    When several elements tie for the maximum the gradient is shared equally among them
    (as PyTorch's amax does), so the sum of the gradients stays the output's gradient.
    """

    name = "max"
    latex = r"""
        y = \max_i x_i
        \frac{\partial y}{\partial x_i} = [x_i = y] \quad (\mathrm{ties\ share})
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = x.max(axis=axis, keepdims=True)
        ctx.save_for_backward(x == out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return _squeeze(ctx.xp, out, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _extreme_backward(ctx, grad), None, None


class Min(Function):
    """y = min_i x_i.   dy/dx_i = 1 for the smallest x_i, 0 for the others (ties share)."""

    name = "min"
    latex = r"""
        y = \min_i x_i
        \frac{\partial y}{\partial x_i} = [x_i = y] \quad (\mathrm{ties\ share})
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = x.min(axis=axis, keepdims=True)
        ctx.save_for_backward(x == out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return _squeeze(ctx.xp, out, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _extreme_backward(ctx, grad), None, None


def _squeeze(xp, out, axis, keepdims):
    if keepdims:
        return out
    if axis is None:
        return out.reshape(())
    return xp.squeeze(out, axis=axis)


def _extreme_backward(ctx, grad):
    (is_extreme,) = ctx.saved_tensors
    grad = _expand(ctx.xp, grad, is_extreme.shape, ctx.axis, ctx.keepdims)
    ties = is_extreme.sum(axis=ctx.axis, keepdims=True)
    return grad * is_extreme / ties.astype(grad.dtype)


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


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis, keepdims = reduction_args(x, axis, dim, keepdims, keepdim, "max")
    return Max.apply(x, axis, keepdims)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis, keepdims = reduction_args(x, axis, dim, keepdims, keepdim, "min")
    return Min.apply(x, axis, keepdims)


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
