"""Ops that move numbers around without changing them: reshape, permute, broadcast, indexing,
concatenation, stacking, and the selections where / masked_fill.

Their backward passes move the gradient back the same way: the inverse reshape or permutation,
a sum over broadcast copies, a scatter into the indexed positions.
"""

from minigrad.autograd import Function
from minigrad.backend import get_backend


class Reshape(Function):
    """y = x viewed with another shape (same elements, same order).   dL/dx = reshape(dL/dy)."""

    name = "reshape"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape), None


class Permute(Function):
    """y = x with its axes reordered: y.shape[i] = x.shape[dims[i]].
    dL/dx = dL/dy with the inverse permutation applied. (transpose, swapaxes and .T use this.)
    """

    name = "permute"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.transpose(tuple(inverse)), None


class BroadcastTo(Function):
    """y = x copied along new or size-1 axes (expand).  dL/dx = sum of dL/dy over the copies.

    The backward returns dL/dy as it is: the engine's un-broadcasting does the summing.
    """

    name = "broadcast_to"

    @staticmethod
    def forward(ctx, x, shape):
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class GetItem(Function):
    """y = x[index]: ints, slices, None, Ellipsis, integer arrays, boolean masks.

    dL/dx is zero except at the selected positions, which receive dL/dy. With an integer array
    the same position can be selected several times (x[[0, 0, 1]]); its gradients then add up,
    which is why advanced indices use scatter-add rather than assignment.
    """

    name = "getitem"

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape = index, x.shape
        ctx.backend = get_backend(_device_of(ctx))
        try:
            return x[index]
        except IndexError as error:
            raise IndexError(f"indexing a tensor of shape {x.shape}: {error}") from None

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        if _may_repeat(ctx.index):
            ctx.backend.scatter_add(out, ctx.index, grad)
        else:  # slices, ints and boolean masks select each position at most once
            out[ctx.index] = grad
        return out, None


def _may_repeat(index):
    """Integer-array indices can name a position twice; nothing else in an index can."""
    return any(
        hasattr(part, "dtype") and part.ndim > 0 and part.dtype.kind in "iu" for part in index
    )


def _device_of(ctx):
    return next(p.device for p in ctx.parents if p is not None)


class Concat(Function):
    """y = [x_1, x_2, ...] joined along `axis`.   dL/dx_k = the slice of dL/dy that x_k filled."""

    name = "concat"

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return ctx.xp.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        pieces = []
        start = 0
        for size in ctx.sizes:
            index = (slice(None),) * ctx.axis + (slice(start, start + size),)
            pieces.append(grad[index])
            start += size
        return tuple(pieces)


class Stack(Function):
    """y = [x_1, x_2, ...] stacked along a new axis.   dL/dx_k = dL/dy taken at position k."""

    name = "stack"

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return ctx.xp.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        count = grad.shape[ctx.axis]
        return tuple(grad[(slice(None),) * ctx.axis + (k,)] for k in range(count))


class Where(Function):
    """y = x where condition else z.    dL/dx = dL/dy where condition, 0 elsewhere; z the reverse.

    The condition is a boolean tensor and gets no gradient.
    """

    name = "where"

    @staticmethod
    def forward(ctx, condition, x, z):
        ctx.save_for_backward(condition)
        return ctx.xp.where(condition, x, z)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        xp = ctx.xp
        grad_x = xp.where(condition, grad, 0) if ctx.needs_input_grad[1] else None
        grad_z = xp.where(condition, 0, grad) if ctx.needs_input_grad[2] else None
        return None, grad_x, grad_z


class MaskedFill(Function):
    """y = value where mask else x.     dL/dx = dL/dy where the mask is False, else 0."""

    name = "masked_fill"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        fill = ctx.xp.asarray(value, dtype=x.dtype)
        return ctx.xp.where(mask, fill, x)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return ctx.xp.where(mask, 0, grad), None, None
