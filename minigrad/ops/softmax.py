"""softmax, log_softmax and logsumexp along one axis, written to be stable for huge logits.

All three subtract the maximum first: e^(x - m) never overflows, and the results are unchanged
because softmax(x) = softmax(x - m) and logsumexp(x) = m + logsumexp(x - m).

float16 input is computed in float32 and rounded once at the end (ops/special.upcast_half): a
float16 sum of many exponentials loses its small terms, and past 65504 it overflows.

An axis of length 0 gives what PyTorch gives: an empty softmax, and logsumexp = log 0 = -inf.

The three array functions below are that trick, written once for all of minigrad:

    stable_max(xp, x, axis)          max(x), the shift (0 for a row that is all -inf): attention
    shift_by_max(xp, x, axis)        x - max(x) (and the max): Softmax, LogSumExp
    stable_log_softmax(xp, x, axis)  x - max(x) - log Σ e^(x - max(x)): LogSoftmax and the
                                     cross-entropy losses (ops/losses.py)
"""

from minigrad._coerce import as_float, single_axis
from minigrad.autograd import Function
from minigrad.ops.reductions import reduction_args
from minigrad.ops.special import upcast_half


def stable_max(xp, x, axis):
    """m = max(x) along axis (an int or a tuple), kept as a size-1 axis: the shift.

    Every entry of x - m is <= 0, so e^(x - m) never overflows. Rows that are entirely -inf
    get m = 0 instead of -inf (x - m would be -inf - (-inf) = nan).
    """
    if x.size == 0:
        # Nothing to shift (NumPy's max of nothing raises): 0, of the shape max would have,
        # which is the shape of the (empty) sum.
        return xp.zeros_like(x.sum(axis=axis, keepdims=True))
    m = x.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


def shift_by_max(xp, x, axis):
    """(x - m, m) with m = stable_max(x) along axis."""
    m = stable_max(xp, x, axis)
    return x - m, m


def stable_log_softmax(xp, x, axis):
    """log softmax(x) = (x - m) - log Σ_j e^(x_j - m), m = max(x) along axis: no overflow."""
    shifted, _ = shift_by_max(xp, x, axis)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """y_i = e^(x_i) / sum_j e^(x_j).   (F8, F9)
    Jacobian dy_i/dx_j = y_i (delta_ij - y_j), so the vector-Jacobian product is
        dL/dx_i = y_i (g_i - sum_j g_j y_j)
    -- computed directly, without building the n x n Jacobian.
    """

    name = "softmax"
    latex = r"""
        y_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
        \frac{\partial y_i}{\partial x_j} = y_i\,(\delta_{ij} - y_j)
        \frac{\partial L}{\partial x_i} = y_i \left(g_i - \sum_j g_j\,y_j\right)
    """

    @staticmethod
    def forward(ctx, x, axis=-1):
        xp = ctx.xp
        shifted, _ = shift_by_max(xp, upcast_half(x), axis)
        e = xp.exp(shifted)
        y = (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        y, g = upcast_half(y), upcast_half(grad)
        grad_x = y * (g - (g * y).sum(axis=ctx.axis, keepdims=True))
        return grad_x.astype(grad.dtype, copy=False), None


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^(x_j).
    dy_i/dx_j = delta_ij - softmax(x)_j, so dL/dx_j = g_j - softmax(x)_j sum_i g_i.
    """

    name = "log_softmax"
    latex = r"""
        y_i = x_i - \ln \sum_j e^{x_j}
        \frac{\partial y_i}{\partial x_j} = \delta_{ij} - \mathrm{softmax}(x)_j
        \frac{\partial L}{\partial x_j} = g_j - \mathrm{softmax}(x)_j \sum_i g_i
    """

    @staticmethod
    def forward(ctx, x, axis=-1):
        y = stable_log_softmax(ctx.xp, upcast_half(x), axis).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        g = upcast_half(grad)
        softmax = ctx.xp.exp(upcast_half(y))
        grad_x = g - softmax * g.sum(axis=ctx.axis, keepdims=True)
        return grad_x.astype(grad.dtype, copy=False), None


class LogSumExp(Function):
    """y = log sum_i e^(x_i).     dy/dx_i = e^(x_i - y) = softmax(x)_i.

    The backward uses softmax(x) = e^(x - m) / sum e^(x - m), saved from the forward pass, rather
    than e^(x - y): y is rounded, and at |x| = 1e4 in float32 that rounding alone moves e^(x - y)
    by 1e-3 relative. Axes arrive normalised by the Tensor method: None or a tuple of ints.
    """

    name = "logsumexp"
    latex = r"""
        y = \ln \sum_i e^{x_i}
        \frac{\partial y}{\partial x_i} = e^{x_i - y} = \mathrm{softmax}(x)_i
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        xp = ctx.xp
        shifted, m = shift_by_max(xp, upcast_half(x), axis)
        e = xp.exp(shifted)
        total = e.sum(axis=axis, keepdims=True)
        y = (m + xp.log(total)).astype(x.dtype, copy=False)  # keepdims shape
        ctx.save_for_backward(e / total)  # softmax over the reduced axes (float32 for float16)
        ctx.axis, ctx.keepdims = axis, keepdims
        if keepdims:
            return y
        return y.reshape(()) if axis is None else xp.squeeze(y, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        (softmax,) = ctx.saved_tensors
        if ctx.axis is not None and not ctx.keepdims:
            grad = ctx.xp.expand_dims(grad, ctx.axis)
        return (grad * softmax).astype(grad.dtype, copy=False), None, None


# --------------------------------------------------------------------------------------------
# The entry points (`x.softmax(-1)`, `minigrad.softmax(x, dim=-1)`).
# --------------------------------------------------------------------------------------------


def softmax(x, axis=-1, *, dim=None):
    axis = single_axis(x, dim if dim is not None else axis, "softmax")
    return Softmax.apply(as_float(x), axis)


def log_softmax(x, axis=-1, *, dim=None):
    axis = single_axis(x, dim if dim is not None else axis, "log_softmax")
    return LogSoftmax.apply(as_float(x), axis)


def logsumexp(x, axis=-1, keepdims=False, *, dim=None, keepdim=None):
    """log Σ e^x over `axis` (the last one unless told; None: all axes), or PyTorch's `dim`."""
    if dim is not None and axis == -1:
        axis = None  # PyTorch's spelling, logsumexp(x, dim=1): dim replaces the default axis
    axis, keepdims = reduction_args(x, axis, dim, keepdims, keepdim, "logsumexp")
    return LogSumExp.apply(as_float(x), axis, keepdims)
