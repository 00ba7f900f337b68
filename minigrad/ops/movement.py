"""Ops that move or copy elements: flip, roll, repeat (tile), and the splitting helpers chunk,
unbind, narrow, expand_as.

flip, roll and repeat are ops of their own; their backward passes move the gradient back:

    flip     y = x reversed along dims         dL/dx = dL/dy reversed along the same dims
    roll     y = x shifted cyclically          dL/dx = dL/dy shifted back
    repeat   y = copies of x side by side      dL/dx = the sum of dL/dy over the copies

chunk, unbind and narrow are slices, and expand_as is expand: they call getitem and expand
(ops/shape.py), so they are views of x, as in PyTorch, and need no backward of their own.
"""

from minigrad._coerce import shape_arg
from minigrad.autograd import Function
from minigrad.ops import shape as shape_ops
from minigrad.ops.indexing import required_dim


class Flip(Function):
    """y = x with the order of the elements reversed along `dims`.
    dL/dx = flip(dL/dy) along the same dims (flipping twice is the identity)."""

    name = "flip"
    latex = r"""
        y_i = x_{n-1-i}
        \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y_{n-1-i}}
    """

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, axis=dims).copy()  # a copy, as torch.flip (NumPy's is a view)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.flip(grad, axis=ctx.dims), None


class Roll(Function):
    """y = x shifted by `shifts` along `dims`; elements pushed off one end come back at the
    other: y[(i + s) mod n] = x[i].     dL/dx = dL/dy rolled by -shifts."""

    name = "roll"
    latex = r"""
        y_{(i + s)\ \mathrm{mod}\ n} = x_i
        \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y_{(i + s)\ \mathrm{mod}\ n}}
    """

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.xp.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts)
        return ctx.xp.roll(grad, back, axis=ctx.dims), None, None


class Repeat(Function):
    """y = x tiled: sizes[d] copies of x side by side along each dimension d (x first gets
    leading size-1 dimensions when sizes is longer than x.shape). PyTorch's repeat; np.tile.
    dL/dx = the sum of dL/dy over the copies: reshape dL/dy so that each dimension of size
    sizes[d] * n_d splits into (sizes[d], n_d), then sum over the copy axes.
    """

    name = "repeat"
    latex = r"""
        y_{c\,n + i} = x_i \quad (c = 0, \ldots, \mathrm{sizes}_d - 1;\ n = \mathrm{x's\ size})
        \frac{\partial L}{\partial x_i} = \sum_c \frac{\partial L}{\partial y_{c\,n + i}}
    """

    @staticmethod
    def forward(ctx, x, sizes):
        ctx.shape, ctx.sizes = x.shape, sizes
        return ctx.xp.tile(x, sizes)

    @staticmethod
    def backward(ctx, grad):
        padded = (1,) * (len(ctx.sizes) - len(ctx.shape)) + tuple(ctx.shape)
        split = []
        for copies, size in zip(ctx.sizes, padded):
            split += [copies, size]
        copy_axes = tuple(range(0, 2 * len(padded), 2))
        return grad.reshape(split).sum(axis=copy_axes).reshape(ctx.shape), None


# --------------------------------------------------------------------------------------------
# The entry points, with PyTorch's names and arguments. Dims may be negative; each is checked.
# --------------------------------------------------------------------------------------------


def _dims(x, dims, op):
    """A tuple of distinct non-negative dims (0-d tensors accept 0 and -1, as in PyTorch)."""
    normalized = tuple(required_dim(x, d, op) for d in dims)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: dims {tuple(dims)} name the same dimension more than once")
    return normalized


def flip(input, dims, *more_dims):  # noqa: A002 - PyTorch's argument name
    """Reverse the order of the elements along dims: flip(x, (0, 1)), x.flip(0, 1), x.flip(0)."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    dims = _dims(input, dims + more_dims, "flip")
    if input.ndim == 0 or not dims:
        return input.clone()
    return Flip.apply(input, dims)


def roll(input, shifts, dims=None):  # noqa: A002 - PyTorch's argument name
    """Shift the elements cyclically by `shifts` along `dims` (with dims=None: the flattened
    tensor is rolled, then given its shape back)."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in shifts) or not shifts:
        raise TypeError(f"roll: shifts must be an int or a tuple of ints, not {shifts!r}")
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: with dims=None give one shift, not {len(shifts)}")
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise ValueError(
            f"roll: shifts {shifts} and dims {dims} must have the same length, one shift per dim"
        )
    dims = tuple(required_dim(input, d, "roll") for d in dims)
    if input.ndim == 0:
        return input.clone()
    return Roll.apply(input, shifts, dims)


def repeat(input, *sizes):  # noqa: A002 - PyTorch's argument name
    """x.repeat(2, 3): 2 copies along dim 0 and 3 along dim 1 (np.tile). len(sizes) must be
    at least x.ndim; extra sizes add leading dimensions."""
    sizes = shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise ValueError(
            f"repeat: give at least one size per dimension: {len(sizes)} size(s) {sizes} for "
            f"a tensor of shape {input.shape}"
        )
    if any(s < 0 for s in sizes):
        raise ValueError(f"repeat: sizes must be >= 0, not {sizes}")
    return Repeat.apply(input, sizes)


def tile(input, *dims):  # noqa: A002 - PyTorch's argument name
    """torch.tile: like repeat, but fewer sizes than dimensions are padded with 1s in front."""
    dims = shape_arg(dims)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def expand_as(input, other):  # noqa: A002 - PyTorch's argument name
    """x.expand(other.shape): a broadcast view of x with other's shape."""
    return shape_ops.expand(input, other.shape)


def chunk(input, chunks, dim=0):  # noqa: A002 - PyTorch's argument name
    """Split into `chunks` pieces along dim, PyTorch's way: every piece has ceil(n / chunks)
    elements except the last, which gets the rest -- so there may be fewer than `chunks`
    pieces (6 elements in 4 chunks give 3 pieces of 2). Each piece is a view of x."""
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, not {chunks!r}")
    dim = required_dim(input, dim, "chunk")
    if input.ndim == 0:
        raise IndexError("chunk: a 0-d tensor cannot be chunked")
    length = input.shape[dim]
    if length == 0:  # PyTorch gives `chunks` empty pieces
        empty = (slice(None),) * dim + (slice(0, 0),)
        return tuple(shape_ops.getitem(input, empty) for _ in range(chunks))
    size = -(-length // chunks)  # ceil(length / chunks)
    return shape_ops.split(input, size, dim)


def unbind(input, dim=0):  # noqa: A002 - PyTorch's argument name
    """The slices of x along dim, as a tuple of views with that dimension removed."""
    if input.ndim == 0:
        raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
    dim = required_dim(input, dim, "unbind")
    return tuple(
        shape_ops.getitem(input, (slice(None),) * dim + (i,)) for i in range(input.shape[dim])
    )


def narrow(input, dim, start, length):  # noqa: A002 - PyTorch's argument name
    """The view x[..., start : start + length, ...] along dim (start may be negative)."""
    if input.ndim == 0:
        raise IndexError("narrow: a 0-d tensor cannot be narrowed")
    dim = required_dim(input, dim, "narrow")
    if hasattr(start, "item"):  # PyTorch allows a 0-d integer tensor
        start = start.item()
    for name, value in (("start", start), ("length", length)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"narrow: {name} must be an int, not {type(value).__name__}")
    size = input.shape[dim]
    if not -size <= start <= size:
        raise IndexError(
            f"narrow: start {start} is out of range for dimension {dim} of size {size}"
        )
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise ValueError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension {dim} of size {size}"
        )
    return shape_ops.getitem(input, (slice(None),) * dim + (slice(start, start + length),))
