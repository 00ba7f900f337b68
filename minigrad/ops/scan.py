"""Running totals along one dimension: cumsum and cumprod.

    cumsum:   y_i = x_1 + x_2 + ... + x_i
    cumprod:  y_i = x_1 * x_2 * ... * x_i

x_j takes part in every y_i with i >= j, so dL/dx_j collects dL/dy_i from position j to the
end: a running total taken backwards ("reverse cumsum": flip, cumsum, flip back).
"""

from minigrad import dtypes
from minigrad.autograd import Function
from minigrad.ops.indexing import required_dim


def _reverse_cumsum(xp, a, dim):
    """r_j = a_j + a_(j+1) + ... + a_n along dim."""
    return xp.flip(xp.cumsum(xp.flip(a, axis=dim), axis=dim), axis=dim)


class CumSum(Function):
    """y_i = sum_(j <= i) x_j along dim.     dL/dx_j = sum_(i >= j) dL/dy_i   (a reverse cumsum)."""

    name = "cumsum"
    latex = r"""
        y_i = \sum_{j \leq i} x_j
        \frac{\partial L}{\partial x_j} = \sum_{i \geq j} \frac{\partial L}{\partial y_i}
    """

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return ctx.xp.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return _reverse_cumsum(ctx.xp, grad, ctx.dim), None


class CumProd(Function):
    """y_i = prod_(j <= i) x_j along dim.
    dL/dx_j = sum_(i >= j) dL/dy_i * y_i / x_j        (when x_j != 0: a reverse cumsum over x_j)

    Dividing by x_j fails where x_j = 0, so, as in PyTorch, the zeros are handled exactly. In a
    row whose first zero is at position z:
      j < z:  the formula above holds (x_j != 0; the y_i with i >= z are 0 and add nothing)
      j = z:  dL/dx_z = sum_(i >= z) dL/dy_i * prod_(k <= i, k != z) x_k
              = reverse cumsum of dL/dy * cumprod(x with x_z replaced by 1), at z
      j > z:  0   (every y_i with i >= j contains the factor x_z = 0, whatever x_j is)
    """

    name = "cumprod"
    latex = r"""
        y_i = \prod_{j \leq i} x_j
        \partial L / \partial x_j = \sum_{i \geq j} (\partial L / \partial y_i)\; y_i / x_j
    """

    @staticmethod
    def forward(ctx, x, dim):
        y = ctx.xp.cumprod(x, axis=dim)
        ctx.dim = dim
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        xp, dim = ctx.xp, ctx.dim
        is_zero = x == 0
        zeros_so_far = xp.cumsum(is_zero, axis=dim)  # how many zeros up to and including j
        before_zero = zeros_so_far == 0
        first_zero = is_zero & (zeros_so_far == 1)
        # j < z (and rows without zeros): the plain formula, with 1 in place of the zeros to
        # keep 0/0 out (those places are overwritten below).
        safe_x = xp.where(is_zero, 1, x)
        grad_x = _reverse_cumsum(xp, grad * y, dim) / safe_x
        # j = z: the products that leave out x_z.
        y_without_z = xp.cumprod(xp.where(first_zero, 1, x), axis=dim)
        grad_at_zero = _reverse_cumsum(xp, grad * y_without_z, dim)
        grad_x = xp.where(first_zero, grad_at_zero, xp.where(before_zero, grad_x, 0))
        return grad_x.astype(grad.dtype, copy=False), None


# --------------------------------------------------------------------------------------------
# The entry points (`x.cumsum(dim)`, `minigrad.cumsum(x, dim)`). As in PyTorch, integer and
# boolean tensors give int64 running totals (int32 would overflow soon), floats keep their
# dtype, and `dtype=` casts the input first.
# --------------------------------------------------------------------------------------------


def _scan_input(x, dim, dtype, op):
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "iub":
        x = x.astype(dtypes.int64)
    if x.ndim == 0:
        required_dim(x, dim, op)
        return x.reshape(1), 0
    return x, required_dim(x, dim, op)


def cumsum(input, dim, *, dtype=None):  # noqa: A002 - PyTorch's argument name
    """y_i = x_1 + ... + x_i along dim."""
    x, axis = _scan_input(input, dim, dtype, "cumsum")
    return CumSum.apply(x, axis).reshape(input.shape)


def cumprod(input, dim, *, dtype=None):  # noqa: A002 - PyTorch's argument name
    """y_i = x_1 * ... * x_i along dim."""
    x, axis = _scan_input(input, dim, dtype, "cumprod")
    return CumProd.apply(x, axis).reshape(input.shape)
