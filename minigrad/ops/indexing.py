"""Indexing along one dimension with an index tensor: gather, scatter, scatter_add,
index_select, masked_select, take_along_dim.

gather and scatter are each other's backward. For a 2-D x and dim=1:

    gather:   y[i][j] = x[i][index[i][j]]           (read:  one x element per index element)
    scatter:  y[i][index[i][j]] = src[i][j]         (write: one src element per index element)

An index tensor can name the same position of x twice (index = [[0, 0]]). Gathering twice is
fine; in the backward pass both gradients must then land on that one position and ADD UP. So
gradients go back with the backend's scatter-add (np.add.at on NumPy, cupyx.scatter_add on
CuPy), never with plain assignment `out[places] = grad`, which would keep only one of them.
"""

from minigrad._coerce import as_mask, broadcast_pair, constant, single_axis
from minigrad.autograd import Function, TensorBase
from minigrad.backend import get_backend
from minigrad.ops.inplace import in_place


def along_dim(xp, index, dim):
    """The advanced index that reads x[..., index[p], ...] at every position p of `index`.

    For each dimension d other than `dim` it is the position itself (an arange, shaped to
    broadcast along d); for `dim` it is the index. x[along_dim(xp, index, dim)] is therefore
    an array shaped like `index`, and so is every place it names.
    """
    parts = []
    for d, size in enumerate(index.shape):
        if d == dim:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = size
            parts.append(xp.arange(size).reshape(shape))
    return tuple(parts)


def take_at(ctx, x, indices, dim):
    """x's values at `indices` along dim (indices shaped like the result, one position chosen
    per place); remembers in ctx what put_back_at needs. The forward of ops that select by an
    index they were given: sort, topk, kthvalue, max(dim), min(dim)."""
    ctx.shape, ctx.dim = x.shape, dim
    ctx.save_for_backward(indices)
    return x[along_dim(ctx.xp, indices, dim)]


def put_back_at(ctx, grad):
    """take_at's backward, dL/dx: zeros, with dL/dy at the positions the values were taken from.
    Each position is chosen at most once, so the gradient is assigned: nothing adds up."""
    (indices,) = ctx.saved_tensors
    grad_x = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
    grad_x[along_dim(ctx.xp, indices, ctx.dim)] = grad
    return grad_x


class Gather(Function):
    """y[p] = x[p with its `dim` coordinate replaced by index[p]]   (y is shaped like index).
    dL/dx = zeros, with dL/dy[p] added at each place read (positions read twice add up).
    """

    name = "gather"
    latex = r"""
        y_p = x_{q(p)}, \quad q(p) = p\ \mathrm{with}\ p_{\mathrm{dim}} \leftarrow \mathrm{index}_p
        \frac{\partial L}{\partial x_r} = \sum_{p:\ q(p) = r} \frac{\partial L}{\partial y_p}
    """

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        return x[along_dim(ctx.xp, index, dim)]

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_x = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        get_backend(ctx.device).scatter_add(grad_x, along_dim(ctx.xp, index, ctx.dim), grad)
        return grad_x, None, None


class Scatter(Function):
    """y = x, then y[p with its `dim` coordinate replaced by index[p]] = src[p] for every
    position p of index (src is read only where index has positions).
    dL/dx   = dL/dy with the written places set to 0 (those numbers of x were overwritten)
    dL/dsrc = dL/dy gathered from the written places (as PyTorch: each src element gets the
              gradient of the place it was written to, even where two wrote the same place)
    """

    name = "scatter"
    latex = r"""
        y = x, \quad y_{q(p)} = \mathrm{src}_p
        q(p) = p\ \mathrm{with}\ p_{\mathrm{dim}} \leftarrow \mathrm{index}_p
        \frac{\partial L}{\partial x_r} = \frac{\partial L}{\partial y_r}\,[r\ \mathrm{unwritten}]
        \frac{\partial L}{\partial \mathrm{src}_p} = \frac{\partial L}{\partial y_{q(p)}}
    """

    @staticmethod
    def forward(ctx, x, index, src, dim):
        ctx.src_shape, ctx.dim = src.shape, dim
        ctx.save_for_backward(index)
        out = x.copy()
        out[along_dim(ctx.xp, index, dim)] = src[tuple(slice(0, size) for size in index.shape)]
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        places = along_dim(ctx.xp, index, ctx.dim)
        grad_x = grad.copy()
        grad_x[places] = 0
        return grad_x, None, _pad_to(ctx.xp, grad[places], ctx.src_shape), None


class ScatterAdd(Function):
    """y = x, then y[p with its `dim` coordinate replaced by index[p]] += src[p] for every
    position p of index (repeated places add up).
    dL/dx   = dL/dy                (every x element is in y once, with slope 1)
    dL/dsrc = dL/dy gathered from the places each src element was added to
    """

    name = "scatter_add"
    latex = r"""
        y_r = x_r + \sum_{p:\ q(p) = r} \mathrm{src}_p
        q(p) = p\ \mathrm{with}\ p_{\mathrm{dim}} \leftarrow \mathrm{index}_p
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}
        \frac{\partial L}{\partial \mathrm{src}_p} = \frac{\partial L}{\partial y_{q(p)}}
    """

    @staticmethod
    def forward(ctx, x, index, src, dim):
        ctx.src_shape, ctx.dim = src.shape, dim
        ctx.save_for_backward(index)
        used_src = src[tuple(slice(0, size) for size in index.shape)]
        # The src values are summed into zeros first, then added to x: backends group a sum of
        # repeated places differently (NumPy's is sorted, see backend.py), and x + (a + b) is
        # the same on all of them where (x + a) + b would differ in the last bit.
        added = ctx.xp.zeros(x.shape, dtype=x.dtype)
        get_backend(ctx.device).scatter_add(added, along_dim(ctx.xp, index, dim), used_src)
        return x + added

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_src = grad[along_dim(ctx.xp, index, ctx.dim)]
        return grad, None, _pad_to(ctx.xp, grad_src, ctx.src_shape), None


def _pad_to(xp, grad, shape):
    """The gradient of a src larger than index: zeros where src was not read."""
    if grad.shape == shape:
        return grad
    out = xp.zeros(shape, dtype=grad.dtype)
    out[tuple(slice(0, size) for size in grad.shape)] = grad
    return out


class IndexSelect(Function):
    """y = x with the slices index[0], index[1], ... of dimension `dim`, in that order.
    dL/dx = zeros, with each slice of dL/dy added at the slice of x it came from (a slice
    selected twice gets both gradients).
    """

    name = "index_select"
    latex = r"""
        y_j = x_{\mathrm{index}_j} \quad (\mathrm{whole\ slices\ along\ dim})
        \frac{\partial L}{\partial x_i} = \sum_{\mathrm{index}_j=i} \frac{\partial L}{\partial y_j}
    """

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        return x[(slice(None),) * dim + (index,)]

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_x = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        places = (slice(None),) * ctx.dim + (index,)
        get_backend(ctx.device).scatter_add(grad_x, places, grad)
        return grad_x, None, None


class MaskedSelect(Function):
    """y = the elements of x where mask is True, as a 1-D tensor in row-major order (x and the
    mask broadcast together first).
    dL/dx = zeros, with dL/dy put back at the mask's True places (each place is chosen once;
    if x was broadcast, the engine sums the copies back).
    """

    name = "masked_select"
    latex = r"""
        y_n = x_{p_n} \quad (p_n = n\mathrm{th\ True\ place\ of\ mask})
        \frac{\partial L}{\partial x_{p_n}} = \frac{\partial L}{\partial y_n}
        \frac{\partial L}{\partial x_p} = 0 \quad (\mathrm{mask}_p\ \mathrm{False})
    """

    @staticmethod
    def forward(ctx, x, mask):
        xp = ctx.xp
        shape = broadcast_pair(x.shape, mask.shape, "masked_select")
        mask = xp.broadcast_to(mask, shape)
        ctx.save_for_backward(mask)
        return xp.broadcast_to(x, shape)[mask]

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        grad_x = ctx.xp.zeros(mask.shape, dtype=grad.dtype)
        grad_x[mask] = grad
        return grad_x, None


# --------------------------------------------------------------------------------------------
# The entry points (`x.gather(dim, index)`, `minigrad.gather(x, dim, index)`, ...), with
# PyTorch's argument order. The index is checked here -- an integer tensor on x's device,
# the right number of dimensions, every entry in range -- so the ops above never see a bad one
# (NumPy would wrap negative entries around silently; PyTorch refuses them).
# --------------------------------------------------------------------------------------------


def _index_tensor(index, x, op, name="index"):
    """An integer Tensor on x's device (lists become int64 tensors)."""
    if not isinstance(index, TensorBase):
        index = constant(index, x) if isinstance(index, (list, tuple)) else index
    if not isinstance(index, TensorBase):
        raise TypeError(f"{op}: {name} must be an integer Tensor, not {type(index).__name__}")
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be an integer tensor (int64), not {index.dtype}")
    if index.device != x.device:
        raise RuntimeError(
            f"{op}: {name} is on '{index.device}' but the tensor is on '{x.device}'; "
            "move it with .to(device) first"
        )
    return index


def _check_range(index, size, dim, op, name="index"):
    """Every entry of index in [0, size): PyTorch refuses negative and too-large entries."""
    if index.numel() == 0:
        return
    low, high = int(index.array.min()), int(index.array.max())
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise IndexError(
            f"{op}: {name} {bad} is out of bounds for dimension {dim} with size {size}"
        )


def _check_along_dim(x, index, dim, op):
    """gather/scatter: index has x's number of dimensions and is no bigger outside `dim`."""
    if index.ndim != x.ndim:
        raise ValueError(
            f"{op}: index has {index.ndim} dimensions but the tensor has {x.ndim}; they must "
            "have the same number of dimensions"
        )
    for d in range(x.ndim):
        if d != dim and index.shape[d] > x.shape[d]:
            raise ValueError(
                f"{op}: index of shape {index.shape} is larger than the tensor of shape "
                f"{x.shape} in dimension {d} (only dimension dim={dim} may be larger)"
            )


def required_dim(x, dim, op):
    """A dimension PyTorch requires (not None), made non-negative; 0-d tensors accept 0 and -1."""
    if dim is None or isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, not {dim!r}")
    return single_axis(x, dim, op)


def _as_1d(x):
    """0-d tensors act as 1-element vectors, as in PyTorch (dim 0 or -1 both name that axis)."""
    return x.reshape(1) if x.ndim == 0 else x


def gather(input, dim, index, *, sparse_grad=False):  # noqa: A002 - PyTorch's argument name
    """out[i][j] = input[i][index[i][j]] for dim=1 (and so on): out is shaped like index."""
    del sparse_grad  # PyTorch's option for a sparse gradient; minigrad's are always dense
    index = _index_tensor(index, input, "gather")
    if input.ndim == 0 or index.ndim == 0:
        out = gather(_as_1d(input), dim, _as_1d(index))
        return out.reshape(index.shape)
    dim = required_dim(input, dim, "gather")
    _check_along_dim(input, index, dim, "gather")
    _check_range(index, input.shape[dim], dim, "gather")
    return Gather.apply(input, index, dim)


def take_along_dim(input, indices, dim=None):  # noqa: A002 - PyTorch's argument name
    """gather with broadcasting: input and indices broadcast in every dimension but `dim`.
    With dim=None both are flattened first."""
    indices = _index_tensor(indices, input, "take_along_dim", "indices")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise ValueError(
            f"take_along_dim: input and indices should have the same number of dimensions, "
            f"but got {input.ndim} and {indices.ndim}"
        )
    if input.ndim == 0:
        return gather(input, dim, indices)
    dim = required_dim(input, dim, "take_along_dim")
    shape = broadcast_pair(
        input.shape[:dim] + input.shape[dim + 1 :],
        indices.shape[:dim] + indices.shape[dim + 1 :],
        "take_along_dim",
    )
    input = input.broadcast_to(shape[:dim] + (input.shape[dim],) + shape[dim:])
    indices = indices.broadcast_to(shape[:dim] + (indices.shape[dim],) + shape[dim:])
    return gather(input, dim, indices)


def _scatter_args(input, dim, index, src, op):
    """Checks shared by scatter and scatter_add; returns (dim, index, src) ready for the op."""
    index = _index_tensor(index, input, op)
    if input.ndim == 0 or index.ndim == 0:
        raise ValueError(f"{op}: 0-d tensors are not supported; use x.reshape(1) first")
    dim = required_dim(input, dim, op)
    _check_along_dim(input, index, dim, op)
    if not isinstance(src, TensorBase):
        raise TypeError(f"{op}: src must be a Tensor, not {type(src).__name__}")
    if src.dtype != input.dtype:
        raise TypeError(
            f"{op}: src is {src.dtype} but the tensor is {input.dtype}; they must have the "
            "same dtype"
        )
    if src.device != input.device:
        raise RuntimeError(f"{op}: src is on '{src.device}' but the tensor on '{input.device}'")
    if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
        raise ValueError(
            f"{op}: index of shape {index.shape} is larger than src of shape {src.shape} (src "
            "needs at least as many elements as index in every dimension)"
        )
    _check_range(index, input.shape[dim], dim, op)
    return dim, index, src


def scatter(input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002
    """A copy of input with src[i][j] written at [i][index[i][j]] for dim=1 (and so on).

    `src` may be a Tensor, or a number written everywhere index points (also as `value=`).
    When index names a place twice, which write wins is not defined (as in PyTorch).
    """
    if reduce is not None:
        raise NotImplementedError("scatter: reduce= is not supported; use scatter_add for 'add'")
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src (a Tensor) and value (a number)")
    if value is not None or not isinstance(src, TensorBase):
        number = value if value is not None else src
        if not isinstance(number, (bool, int, float)):
            raise TypeError(f"scatter: value must be a number, not {type(number).__name__}")
        index = _index_tensor(index, input, "scatter")
        fill = constant(number, input).astype(input.dtype)
        src = fill.broadcast_to(index.shape) if index.ndim > 0 else fill
    dim, index, src = _scatter_args(input, dim, index, src, "scatter")
    return Scatter.apply(input, index, src, dim)


def scatter_add(input, dim, index, src):  # noqa: A002 - PyTorch's argument name
    """A copy of input with src[i][j] added at [i][index[i][j]] for dim=1 (repeats add up)."""
    dim, index, src = _scatter_args(input, dim, index, src, "scatter_add")
    return ScatterAdd.apply(input, index, src, dim)


def scatter_(input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002
    """In place: x.scatter_(dim, index, src) writes scatter's result into x (ops/inplace.py's
    rules: recorded in the graph, refused on a leaf that requires grad)."""
    return in_place(
        input, lambda: scatter(input, dim, index, src, value=value, reduce=reduce), "scatter_"
    )


def scatter_add_(input, dim, index, src):  # noqa: A002 - PyTorch's argument name
    """In place: x.scatter_add_(dim, index, src) adds src into x at the indexed places."""
    return in_place(input, lambda: scatter_add(input, dim, index, src), "scatter_add_")


def index_select(input, dim, index):  # noqa: A002 - PyTorch's argument name
    """The slices index[0], index[1], ... of input along dim (index: a 1-D integer tensor)."""
    index = _index_tensor(index, input, "index_select")
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D (a vector), not of shape {index.shape}")
    if input.ndim == 0:
        return index_select(input.reshape(1), dim, index.reshape(-1)).reshape(())
    dim = required_dim(input, dim, "index_select")
    index = index.reshape(-1)
    _check_range(index, input.shape[dim], dim, "index_select")
    return IndexSelect.apply(input, index, dim)


def masked_select(input, mask):  # noqa: A002 - PyTorch's argument name
    """The elements of input where mask is True, as a 1-D tensor (they broadcast together)."""
    mask = as_mask(mask, input, "masked_select")
    broadcast_pair(input.shape, mask.shape, "masked_select")
    return MaskedSelect.apply(input, mask)
