"""Ops that move numbers around without changing them: reshape, permute, broadcast, indexing,
concatenation, stacking, and the selections where / masked_fill.

Their backward passes move the gradient back the same way: the inverse reshape or permutation,
a sum over broadcast copies, a scatter into the indexed positions.
"""

import numpy as np

from minigrad._coerce import (
    as_mask,
    binary_operands,
    broadcast_pair,
    common_dtype,
    constant,
    index_steps,
    prepare_index,
    shape_arg,
    single_axis,
)
from minigrad.autograd import Function, TensorBase
from minigrad.backend import get_backend
from minigrad.ops.views import as_view


class Reshape(Function):
    """y = x viewed with another shape (same elements, same order).   dL/dx = reshape(dL/dy)."""

    name = "reshape"
    latex = r"""
        y = \mathrm{reshape}(x)
        \frac{\partial L}{\partial x} = \mathrm{reshape}\left(\frac{\partial L}{\partial y}\right)
    """

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
    latex = r"""
        y = \mathrm{permute}(x, d)
        \frac{\partial L}{\partial x} = \mathrm{permute}(g, d^{-1})
    """

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
    latex = r"""
        y = x\ \mathrm{copied\ along\ new\ axes}
        \frac{\partial L}{\partial x} = \sum_{\mathrm{copies}} \frac{\partial L}{\partial y}
    """

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
    latex = r"""
        y = x[i]
        \frac{\partial L}{\partial x}[i] += \frac{\partial L}{\partial y},
        0\ \mathrm{elsewhere}
    """

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
    latex = r"""
        y = [x_1, x_2, \ldots]
        \frac{\partial L}{\partial x_k} = g\ \mathrm{on\ the\ slice\ of}\ x_k
    """

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
    latex = r"""
        y = \mathrm{stack}(x_1, x_2, \ldots)
        \frac{\partial L}{\partial x_k} = \frac{\partial L}{\partial y}[k]
    """

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
    latex = r"""
        y = \mathrm{where}(c, x, z)
        \frac{\partial L}{\partial x} = [c]\,\frac{\partial L}{\partial y},
        \frac{\partial L}{\partial z} = [\neg c]\,\frac{\partial L}{\partial y}
    """

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
    """y = value where mask else x.     dL/dx = dL/dy where the mask is False, else 0.

    value is a number, or a 0-d tensor (of x's dtype): it was copied into every masked
    position, so its gradient is the sum of dL/dy over them (dL/dvalue = Σ_mask dL/dy).
    """

    name = "masked_fill"
    latex = r"""
        y = \mathrm{where}(m, v, x)
        \frac{\partial L}{\partial x} = [\neg m]\,\frac{\partial L}{\partial y}
    """

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        fill = ctx.xp.asarray(value, dtype=x.dtype)
        return ctx.xp.where(mask, fill, x)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        xp = ctx.xp
        grad_x = xp.where(mask, 0, grad) if ctx.needs_input_grad[0] else None
        # Output-shaped, like every backward here: the engine sums it down to the 0-d value.
        grad_value = xp.where(mask, grad, 0) if ctx.needs_input_grad[2] else None
        return grad_x, None, grad_value


# --------------------------------------------------------------------------------------------
# The entry points (`x.reshape(...)`, `x[...]`, `minigrad.cat(...)`, ...): shapes and axes
# are checked and normalised here, so that the ops above see only valid arguments.
# --------------------------------------------------------------------------------------------


def resolve_reshape(old_shape, shape):
    size = 1
    for s in old_shape:
        size *= s
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {shape}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {old_shape} into {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {old_shape} ({size} elements) into "
            f"{shape} ({known} elements)"
        )
    return shape


def reshape(x, *shape):
    """A view of x with another shape when NumPy can make one (x contiguous), else a copy."""
    new_shape = resolve_reshape(x.shape, shape_arg(shape))
    if new_shape == x.shape:
        return x
    return as_view(Reshape.apply(x, new_shape), x, lambda a: a.reshape(new_shape))


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, 1)
    start = single_axis(x, start_dim, "flatten")
    end = single_axis(x, end_dim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    middle = 1
    for size in x.shape[start : end + 1]:
        middle *= size
    return reshape(x, x.shape[:start] + (middle,) + x.shape[end + 1 :])


def permute(x, *dims):
    dims = shape_arg(dims)
    if sorted(single_axis(x, d, "permute") for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the axes of shape {x.shape}")
    dims = tuple(single_axis(x, d, "permute") for d in dims)
    return as_view(Permute.apply(x, dims), x, lambda a: a.transpose(dims))


def transpose(x, dim0=-2, dim1=-1):
    """Swap two axes (PyTorch's transpose; for NumPy's full reversal use .T or permute)."""
    if x.ndim < 2:
        return x
    dims = list(range(x.ndim))
    a, b = single_axis(x, dim0, "transpose"), single_axis(x, dim1, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    dims = tuple(dims)
    return as_view(Permute.apply(x, dims), x, lambda a: a.transpose(dims))


def reverse_axes(x):
    """x.T: every axis reversed (a matrix is transposed)."""
    if x.ndim < 2:
        return x
    dims = tuple(reversed(range(x.ndim)))
    return as_view(Permute.apply(x, dims), x, lambda a: a.transpose(dims))


def broadcast_to(x, shape):
    shape = tuple(shape_arg((shape,) if isinstance(shape, int) else tuple(shape)))
    if broadcast_pair(x.shape, shape, "broadcast_to") != shape:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    if shape == x.shape:
        return x
    xp = x.xp
    # A read-only view: its repeated elements are one number in memory.
    return as_view(BroadcastTo.apply(x, shape), x, lambda a: xp.broadcast_to(a, shape), False)


def expand(x, *shape):
    """Broadcast to a bigger shape without copying; -1 keeps a dimension's size."""
    shape = shape_arg(shape)
    extra = len(shape) - x.ndim
    if extra < 0:
        raise ValueError(f"expand: cannot expand shape {x.shape} to fewer dimensions {shape}")
    shape = tuple(
        x.shape[i - extra] if size == -1 and i >= extra else size for i, size in enumerate(shape)
    )
    return broadcast_to(x, shape)


def squeeze(x, axis=None, *, dim=None):
    axis = dim if dim is not None else axis
    if axis is None:
        return reshape(x, tuple(size for size in x.shape if size != 1))
    axes = {single_axis(x, a, "squeeze") for a in (axis if isinstance(axis, tuple) else (axis,))}
    # As in PyTorch, squeezing an axis whose size is not 1 leaves it alone.
    return reshape(
        x, tuple(size for i, size in enumerate(x.shape) if not (i in axes and size == 1))
    )


def unsqueeze(x, axis=None, *, dim=None):
    axis = dim if dim is not None else axis
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"unsqueeze: axis {axis} is out of range for a {x.ndim}-d tensor")
    if axis < 0:
        axis += x.ndim + 1
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def getitem(x, index):
    """x[index]: a view for basic indexing (ints, slices, None, ...), a copy otherwise.

    An index with both integers and index arrays is applied in two steps, as PyTorch does:
    x[0, :, idx] is x[0][:, idx] (see _coerce.index_steps for why NumPy alone would differ).
    """
    for step in index_steps(prepare_index(index, x)):
        x = _getitem_step(x, step)
    return x


def _getitem_step(x, index):
    return as_view(GetItem.apply(x, index), x, lambda a: a[index])


def masked_fill(x, mask, value):
    """Where mask is True the result is `value`, elsewhere x (the mask broadcasts to x).

    value: a Python number, or a 0-d tensor (as PyTorch), which gets a gradient if it requires
    one. A tensor value of another dtype takes x's dtype, except that two float dtypes are an
    error (minigrad never mixes them silently).
    """
    mask = as_mask(mask, x, "masked_fill")
    broadcast_pair(x.shape, mask.shape, "masked_fill")
    if isinstance(value, TensorBase):
        if value.ndim != 0:
            raise ValueError(
                f"masked_fill: value must be a number or a 0-dimensional tensor, got a tensor "
                f"of shape {value.shape} (use where(mask, value, x) to fill from a tensor)"
            )
        if value.device != x.device:
            raise RuntimeError(
                f"masked_fill: value is on '{value.device}' but the tensor on '{x.device}'"
            )
        if value.dtype != x.dtype:
            if value.dtype.kind == "f" and x.dtype.kind == "f":
                common_dtype(x, value, "masked_fill")  # raises, naming both dtypes
            value = value.astype(x.dtype)
    return MaskedFill.apply(x, mask, value)


def where(condition, x=None, y=None):
    """Elementwise choice: x where condition is True, else y (all three broadcast together).

    x and y may be Python numbers: where(mask, x, 0.0) keeps x's dtype; where(mask, 1, 0) is
    int64, where(mask, 1.0, 0) the default float dtype (PyTorch's rules). where(condition)
    alone is condition.nonzero(as_tuple=True): a tuple of index tensors, one per axis.
    """
    if x is None and y is None:
        return _nonzero_tuple(condition)
    if x is None or y is None:
        raise TypeError("where: give both x and y (or neither, for the indices of the True values)")
    if not isinstance(x, TensorBase) and not isinstance(y, TensorBase):
        if not isinstance(condition, TensorBase):
            raise TypeError("where: the condition or one of x and y must be a Tensor")
        x = constant(x, condition)  # on the condition's device; dtype from the number
    x, y = binary_operands(x, y, "where")
    condition = as_mask(condition, x, "where")
    broadcast_pair(condition.shape, broadcast_pair(x.shape, y.shape, "where"), "where")
    return Where.apply(condition, x, y)


def _nonzero_tuple(condition):
    if not isinstance(condition, TensorBase):
        raise TypeError(f"where(condition): the condition must be a Tensor, not {condition!r}")
    array = condition.array.reshape(1) if condition.ndim == 0 else condition.array
    return tuple(
        condition._make(index.astype("int64"), condition.device) for index in array.nonzero()
    )


def same_kind_tensors(tensors, op):
    """The tensors of cat/stack, all converted to one dtype: PyTorch's type promotion.

    Integers and booleans promote as in PyTorch (bool < uint8 < int32 < int64, uint8 with a
    signed type -> the signed type), any float wins over them, and two different float dtypes
    are an error (minigrad's rule, as in +). (Simply taking the first tensor's dtype would turn
    the 200 of cat([bool_tensor, int64_tensor]) into True.)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    if not all(isinstance(t, TensorBase) for t in tensors):
        raise TypeError(f"{op}: expected a list of Tensors")
    floats = [t for t in tensors if t.dtype.kind == "f"]
    for t in floats[1:]:
        if t.dtype != floats[0].dtype:
            common_dtype(floats[0], t, op)  # raises: float32 with float64, named in the error
    if floats:
        dtype = floats[0].dtype
    else:
        dtype = np.result_type(*[t.dtype for t in tensors])  # bool/uint8/int32/int64: as torch
    return [t if t.dtype == dtype else t.astype(dtype) for t in tensors]


def concat(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (torch.cat)."""
    axis = axis if dim is None else dim
    tensors = same_kind_tensors(tensors, "concat")
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("concat: zero-dimensional tensors cannot be concatenated; use stack")
    axis = single_axis(first, axis, "concat")
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(
            t.shape[i] != first.shape[i] for i in range(first.ndim) if i != axis
        ):
            raise ValueError(
                f"concat: shapes {first.shape} and {t.shape} differ outside axis {axis}"
            )
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis=0, *, dim=None):
    """Join same-shaped tensors along a new axis."""
    axis = axis if dim is None else dim
    tensors = same_kind_tensors(tensors, "stack")
    first = tensors[0]
    for t in tensors[1:]:
        if t.shape != first.shape:
            raise ValueError(
                f"stack: all tensors need the same shape, got {first.shape} and {t.shape}"
            )
    if not -first.ndim - 1 <= axis <= first.ndim:
        raise IndexError(f"stack: axis {axis} is out of range for {first.ndim + 1}-d results")
    if axis < 0:
        axis += first.ndim + 1
    return Stack.apply(*tensors, axis=axis)


def _split_sizes(length, split_size_or_sections, axis):
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(
                f"split: the piece size must be positive, got {split_size_or_sections}"
            )
        sizes = [split_size_or_sections] * (length // split_size_or_sections)
        if length % split_size_or_sections:
            sizes.append(length % split_size_or_sections)
        return sizes
    sizes = list(split_size_or_sections)
    if sum(sizes) != length:
        raise ValueError(
            f"split: section sizes {sizes} add up to {sum(sizes)}, but axis {axis} has {length}"
        )
    return sizes


def split(x, split_size_or_sections, axis=0, *, dim=None):
    """Cut a tensor into pieces along an axis (torch.split): an int is the size of every piece
    (the last may be smaller), a list gives each piece's size. The pieces are slices, so their
    gradients flow back through indexing."""
    axis = single_axis(x, axis if dim is None else dim, "split")
    pieces = []
    start = 0
    for size in _split_sizes(x.shape[axis], split_size_or_sections, axis):
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(getitem(x, index))
        start += size
    return tuple(pieces)


def broadcast_shapes(*shapes):
    """The shape that all `shapes` broadcast to (torch.broadcast_pair), or a ValueError."""
    result = ()
    for shape in shapes:
        result = broadcast_pair(result, shape, "broadcast_pair")
    return result
