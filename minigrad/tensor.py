"""The Tensor: an n-dimensional array that remembers how it was computed.

A Tensor holds
    data           the same numbers as a Tensor outside the graph (PyTorch's .data)
    array          the numbers, a backend array (NumPy on "cpu", CuPy on "cuda")
    grad           dL/d(this tensor) after backward(), a Tensor of the same shape, or None
    requires_grad  whether gradients should flow to it
    grad_fn        the record (a Context) of the op that made it; None for a leaf

Its methods (`x.exp()`, `x + y`, `x @ w`, ...) are one line each: they call the entry point of
an op in minigrad/ops/, where the argument checks, the forward, the backward and the formula of
that op live together.
"""

import weakref

import numpy as np

from minigrad import autograd, dtypes, printing
from minigrad._coerce import to_backend_array
from minigrad.autograd import TensorBase, Version
from minigrad.backend import get_backend, normalize_device
from minigrad.ops import (
    arithmetic,
    comparison,
    conversion,
    inplace,
    reductions,
    unary,
)
from minigrad.ops import matmul as matmul_ops
from minigrad.ops import shape as shape_ops
from minigrad.ops import softmax as softmax_ops

# isort: split
from minigrad.ops import indexing as indexing_ops
from minigrad.ops import linalg as linalg_ops
from minigrad.ops import movement as movement_ops
from minigrad.ops import scan as scan_ops
from minigrad.ops import sorting as sorting_ops


class Size(tuple):
    """A tensor's shape: a tuple of ints (`x.shape`, `x.size()`), as PyTorch's torch.Size."""

    __slots__ = ()

    def numel(self):
        """The number of elements a tensor of this shape holds (1 for the shape () of a 0-d)."""
        count = 1
        for size in self:
            count *= size
        return count

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    # In text (error messages, f"{x.shape}") a shape reads as the plain tuple (2, 3).
    __str__ = tuple.__repr__


class Tensor(TensorBase):
    # The fields (array, _grad, _requires_grad, _ctx, _device, _version_counter, _view) are in
    # autograd.TensorBase, the part of a tensor the engine works with.
    __slots__ = ()

    # NumPy must not swallow Tensors: `np_array + tensor` calls Tensor.__radd__, and
    # `np.exp(tensor)` is an error that points to `tensor.exp()`.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        if isinstance(data, Tensor):
            if device is None or normalize_device(device) == data.device:
                device, data = data.device, data.array
            else:
                data = data.numpy()  # crossing devices goes through the host
        device = normalize_device(device)
        self.array = to_backend_array(data, dtype, device)
        self._grad = None
        self._ctx = None
        self._device = device
        self._version_counter = Version()
        self._view = None
        self._hooks = ()
        self._requires_grad = False
        self.requires_grad = requires_grad

    @staticmethod
    def _make(data, device, requires_grad=False, ctx=None):
        """Wrap an array that is already on `device` (no copy, no checks): used by the ops."""
        tensor = Tensor.__new__(Tensor)
        tensor.array = data
        tensor._grad = None
        tensor._requires_grad = requires_grad
        tensor._ctx = ctx
        tensor._device = device
        tensor._version_counter = Version()
        tensor._view = None
        tensor._hooks = ()
        return tensor

    # ----------------------------------------------------------------------------------------
    # Properties
    # ----------------------------------------------------------------------------------------

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.array.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, but this tensor is "
                f"{self.array.dtype}: gradients of integer or boolean values are not defined. "
                "Convert it first, e.g. x.astype(minigrad.float32)."
            )
        if not flag and self._ctx is not None:
            raise RuntimeError(
                "requires_grad can only be switched off on a leaf tensor; use .detach() to get a "
                "copy of a computed tensor that is cut from the graph"
            )
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def shape(self):
        return Size(self.array.shape)

    def size(self, dim=None):
        """The shape (a minigrad.Size), or the length of one axis: x.size(-1) (as PyTorch)."""
        if dim is None:
            return Size(self.array.shape)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size(): dim must be an int, got {type(dim).__name__}")
        ndim = self.array.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"size(): dimension {dim} is out of range for a tensor with {ndim} dimension(s) "
                f"(expected to be in range of [{-ndim}, {ndim - 1}])"
            )
        return int(self.array.shape[dim])

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        """The number of axes (as `x.ndim`)."""
        return self.array.ndim

    def numel(self):
        """The number of elements (the product of the shape; 1 for a 0-d tensor)."""
        return int(self.array.size)

    nelement = numel  # PyTorch's older name

    def element_size(self):
        """Bytes per element: 4 for float32, 8 for int64, 1 for bool."""
        return self.array.dtype.itemsize

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        return self._device

    @property
    def xp(self):
        """The array module for this tensor's device (numpy, cupy, ...)."""
        return get_backend(self._device).xp

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def data(self):
        """The same numbers as a new tensor outside the graph (PyTorch's `.data`).

        It shares this tensor's memory: `p.data -= lr * p.grad` changes p, records nothing,
        and -- unlike a change inside `no_grad()` -- is not counted by p's version, so the
        version checks cannot catch a misuse. Prefer `with minigrad.no_grad(): p -= ...`.
        """
        return Tensor._make(self.array, self._device)

    @data.setter
    def data(self, value):
        """`p.data = t` makes p hold t's numbers (its memory, shape and dtype), as in PyTorch."""
        if not isinstance(value, Tensor):
            raise TypeError(
                f".data = ... expects a Tensor, got {type(value).__name__}; wrap it first: "
                "p.data = minigrad.tensor(values)"
            )
        self.array, self._device = value.array, value._device

    @property
    def grad(self):
        """dL/d(this tensor) after backward(): a Tensor of the same shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f".grad must be a Tensor or None, got {type(value).__name__}; wrap an array "
                    "with minigrad.tensor(array)"
                )
            if value.shape != self.shape or value.device != self._device:
                raise ValueError(
                    f"assigned grad has shape {value.shape} on '{value.device}', but the tensor "
                    f"has shape {self.shape} on '{self._device}'"
                )
        self._grad = value

    @property
    def _version(self):
        """How often this tensor's storage was changed in place (shared with its views)."""
        return self._version_counter.value

    @property
    def grad_fn(self):
        return self._ctx

    # ----------------------------------------------------------------------------------------
    # Conversions
    # ----------------------------------------------------------------------------------------

    def numpy(self):
        """The data as a NumPy array on the host (shares memory on "cpu", a copy elsewhere)."""
        return get_backend(self._device).to_numpy(self.array)

    def item(self):
        if self.array.size != 1:
            raise ValueError(
                f"item(): only one-element tensors convert to a number, not {tuple(self.shape)}"
            )
        return self.numpy().item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same storage, cut from the graph: a new leaf that does not require grad.

        It shares the version counter, as in PyTorch: changing it in place counts as changing
        this tensor, so a node that saved this tensor will notice.
        """
        out = Tensor._make(self.array, self._device)
        out._version_counter = self._version_counter
        return out

    def to(self, device=None, dtype=None, non_blocking=False, copy=False):
        """A copy on another device and/or with another dtype (differentiable, as in PyTorch).

            x.to("cuda")   x.to(minigrad.float64)   x.to("cuda", minigrad.float16)   x.to(y)

        x.to(y) takes y's device and dtype. When nothing changes the tensor itself is returned,
        unless copy=True. (non_blocking is accepted for PyTorch code and has no effect.)
        """
        if isinstance(device, Tensor):  # x.to(other): other's device and dtype
            if dtype is not None:
                raise TypeError("to(other): give either another tensor or a dtype, not both")
            device, dtype = device.device, device.dtype
        elif _is_dtype(device):  # x.to(dtype)
            if dtype is not None:
                raise TypeError(f"to(): got two dtypes, {device!r} and {dtype!r}")
            device, dtype = None, device
        out = self
        if dtype is not None:
            out = out.astype(dtype)
        if device is not None:
            out = conversion.to_device(out, device)
        if copy and out is self:
            out = conversion.clone(self)
        return out

    def move_(self, device=None, dtype=None):
        """Move this leaf's numbers to another device and/or dtype *in place*; returns self.

        The object stays the same, so everything that holds it (a Module, an optimizer, a second
        layer sharing the weight) sees the change. Its gradient moves with it. Used by Module.to.
        """
        if self._ctx is not None:
            raise RuntimeError("move_() is only for leaf tensors; use .to() on computed tensors")
        moved = Tensor._make(self.array, self._device).to(device, dtype)
        if self._grad is not None:
            self._grad = self._grad.to(device, dtype)
        self.array, self._device = moved.array, moved.device
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    clone = conversion.clone  # a copy in new memory that stays in the graph
    astype = conversion.astype  # a copy with another dtype; the gradient is cast back

    def float(self):
        return self.astype(dtypes.float32)

    def double(self):
        return self.astype(dtypes.float64)

    def long(self):
        return self.astype(dtypes.int64)

    def int(self):
        return self.astype(dtypes.int32)

    def bool(self):
        return self.astype(dtypes.bool)

    def half(self):
        return self.astype(dtypes.float16)

    def type(self, dtype=None):
        """With no argument, the type's name ('minigrad.FloatTensor', as PyTorch's
        'torch.FloatTensor'); with a dtype (or such a name), a copy converted to it."""
        if dtype is None:
            return dtypes.TYPE_NAMES[self.dtype]
        if isinstance(dtype, str) and dtype in _DTYPE_OF_TYPE_NAME:
            dtype = _DTYPE_OF_TYPE_NAME[dtype]
        return self.astype(dtype)

    def contiguous(self):
        """The same numbers in row-major memory: the tensor itself if they already are, else
        a copy (x.t().contiguous() is new memory, as in PyTorch, so changing it leaves x alone)."""
        if self.array.flags.c_contiguous:
            return self
        return conversion.clone(self)

    def is_contiguous(self):
        return bool(self.array.flags.c_contiguous)

    def __array__(self, dtype=None, copy=None):
        if self._device != "cpu":
            raise TypeError(
                f"cannot convert a tensor on '{self._device}' to a NumPy array implicitly; "
                "use .numpy() (which copies it to the host)"
            )
        return self.array if dtype is None else self.array.astype(dtype)

    # ----------------------------------------------------------------------------------------
    # Autograd
    # ----------------------------------------------------------------------------------------

    def backward(self, grad=None, retain_graph=False):
        """Compute dL/dx for every leaf x this tensor depends on, adding it to x.grad.

        `grad` is dL/d(self); leave it out when self holds one number (a loss).
        """
        autograd.backward(self, grad, retain_graph=retain_graph)

    def retain_grad(self):
        """Keep .grad on this non-leaf tensor too after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad")
        if self._ctx is not None and not self.retains_grad:
            # A weak reference: the node must not keep its own output alive.
            self._ctx.retained += (weakref.ref(self),)

    @property
    def retains_grad(self):
        if self._ctx is None:
            return False
        return any(reference() is self for reference in self._ctx.retained)

    def zero_grad(self):
        self.grad = None

    def register_hook(self, hook):
        """Call `hook(grad)` each time the gradient of this tensor is computed in backward.

        The hook gets dL/d(this tensor) as a Tensor and may return a replacement (used from then
        on: stored in .grad for a leaf, passed on to the inputs otherwise) or None to keep it.
        Returns a handle whose .remove() takes the hook off again (as in PyTorch).
        """
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient"
            )
        if not callable(hook):
            raise TypeError(f"register_hook: the hook must be callable, got {hook!r}")
        owner = self if self._ctx is None else self._ctx  # where backward will look for it
        owner._hooks = (*owner._hooks, hook)
        return autograd.HookHandle(owner, hook)

    # ----------------------------------------------------------------------------------------
    # Printing and Python protocols
    # ----------------------------------------------------------------------------------------

    def __repr__(self):
        return printing.format_tensor(self)

    def __format__(self, spec):
        """f"{loss:.4f}" formats the number of a one-element tensor. With no format spec, a 0-d
        tensor prints its number and any other tensor its repr, as in PyTorch."""
        if self.ndim == 0 or (spec and self.array.size == 1):
            return format(self.item(), spec)
        if spec:
            raise TypeError(
                f"format spec {spec!r} given for a tensor of shape {tuple(self.shape)}: only "
                "one-element tensors format as a number (use f'{{x.item():...}}' or f'{{x}}')"
            )
        return repr(self)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __bool__(self):
        if self.array.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous; "
                "use (x > 0).any() or .all()"
            )
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        """A one-element integer tensor used as an index: data[i : i + T], range(n)."""
        if self.array.size != 1 or self.array.dtype.kind not in "iub":
            raise TypeError(
                "only integer tensors of a single element can be converted to an index, but "
                f"this one is {self.dtype} with shape {tuple(self.shape)}"
            )
        return int(self.item())

    # Tensors compare elementwise (x == y is a tensor), so hashing is by identity, as in PyTorch.
    __hash__ = object.__hash__

    # ----------------------------------------------------------------------------------------
    # The ops. Each method *is* the entry point of an op in minigrad/ops/ (the function that
    # checks the arguments and calls the op's Function), so `x.exp()` runs `unary.exp(x)`:
    # follow the name on the right to read the op, its formula and its backward.
    # ----------------------------------------------------------------------------------------

    # Arithmetic (ops/arithmetic.py, ops/matmul.py). The reflected forms (2 - x) swap operands.
    __add__ = add = arithmetic.add
    __sub__ = sub = arithmetic.sub
    __mul__ = mul = arithmetic.mul
    __truediv__ = div = arithmetic.div
    __pow__ = pow = arithmetic.pow
    __matmul__ = matmul = matmul_ops.matmul
    __neg__ = neg = arithmetic.neg
    __mod__ = remainder = arithmetic.remainder  # the sign of the divisor, as Python's %
    __floordiv__ = floor_divide = arithmetic.floor_divide  # rounded down; no gradient
    __abs__ = unary.abs
    maximum = arithmetic.maximum
    minimum = arithmetic.minimum

    def __radd__(self, other):
        return arithmetic.add(other, self)

    def __rsub__(self, other):
        return arithmetic.sub(other, self)

    def __rmul__(self, other):
        return arithmetic.mul(other, self)

    def __rtruediv__(self, other):
        return arithmetic.div(other, self)

    def __rpow__(self, other):
        return arithmetic.pow(other, self)

    def __rmod__(self, other):
        return arithmetic.remainder(other, self)

    def __rfloordiv__(self, other):
        return arithmetic.floor_divide(other, self)

    def __rmatmul__(self, other):
        return matmul_ops.matmul(other, self)

    def __pos__(self):
        return self

    # In-place changes (ops/inplace.py), with PyTorch's rules: recorded in the graph, refused
    # on leaves that require grad unless inside no_grad(). Each returns the tensor itself.
    __setitem__ = inplace.setitem
    add_ = inplace.add_
    sub_ = inplace.sub_
    mul_ = inplace.mul_
    div_ = inplace.div_
    clamp_ = clip_ = inplace.clamp_
    masked_fill_ = inplace.masked_fill_
    fill_ = inplace.fill_
    zero_ = inplace.zero_
    copy_ = inplace.copy_

    def __iadd__(self, other):
        return inplace.update(self, other, "+=")

    def __isub__(self, other):
        return inplace.update(self, other, "-=")

    def __imul__(self, other):
        return inplace.update(self, other, "*=")

    def __itruediv__(self, other):
        return inplace.update(self, other, "/=")

    # Comparisons and logic give boolean tensors, with no gradient (ops/comparison.py).
    __eq__ = comparison.eq
    __ne__ = comparison.ne
    __lt__ = comparison.lt
    __le__ = comparison.le
    __gt__ = comparison.gt
    __ge__ = comparison.ge
    __invert__ = comparison.logical_not
    __and__ = comparison.logical_and
    __or__ = comparison.logical_or
    eq = comparison.eq  # the same comparisons by name, as in PyTorch: x.eq(y) is x == y
    ne = comparison.ne
    lt = comparison.lt
    le = comparison.le
    gt = comparison.gt
    ge = comparison.ge
    logical_and = comparison.logical_and
    logical_or = comparison.logical_or
    logical_not = comparison.logical_not
    bincount = reductions.bincount
    any = comparison.any
    all = comparison.all
    isclose = comparison.isclose
    allclose = comparison.allclose
    equal = comparison.equal

    # Elementwise functions (ops/unary.py)
    exp = unary.exp
    log = unary.log
    sqrt = unary.sqrt
    abs = unary.abs
    tanh = unary.tanh
    sigmoid = unary.sigmoid
    relu = unary.relu
    gelu = unary.gelu
    clip = clamp = unary.clip

    # Reductions (ops/reductions.py, ops/softmax.py): `axis`/`keepdims` as in NumPy, or
    # PyTorch's `dim`/`keepdim`.
    sum = reductions.sum
    mean = reductions.mean
    var = reductions.var
    std = reductions.std
    max = reductions.max  # x.max(): a value; x.max(dim): (values, indices); x.max(y): maximum
    min = reductions.min
    amax = reductions.amax
    amin = reductions.amin
    argmax = reductions.argmax
    argmin = reductions.argmin
    softmax = softmax_ops.softmax
    log_softmax = softmax_ops.log_softmax
    logsumexp = softmax_ops.logsumexp

    # Shapes and indexing (ops/shape.py)
    reshape = view = shape_ops.reshape

    def view_as(self, other):
        """self with other's shape (x.view(*other.shape)), as in PyTorch."""
        return shape_ops.reshape(self, *other.shape)

    reshape_as = view_as

    def type_as(self, other):
        """self with other's dtype, as in PyTorch."""
        return self.to(other.dtype)

    flatten = shape_ops.flatten
    permute = shape_ops.permute
    transpose = swapaxes = shape_ops.transpose
    T = property(shape_ops.reverse_axes)

    def t(self):
        """The transpose of a matrix; a 0-d or 1-d tensor as it is (PyTorch's t(): <= 2-D)."""
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but this one is {self.ndim}-D "
                f"(shape {tuple(self.shape)}); use transpose(dim0, dim1) or .mT"
            )
        return shape_ops.transpose(self, 0, 1)  # itself when 0-d or 1-d

    @property
    def mT(self):
        """The last two axes swapped: a batch of matrices, each transposed."""
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices, got a "
                f"{self.ndim}-D tensor"
            )
        return shape_ops.transpose(self, -2, -1)

    expand = shape_ops.expand
    broadcast_to = shape_ops.broadcast_to
    squeeze = shape_ops.squeeze
    unsqueeze = shape_ops.unsqueeze
    __getitem__ = shape_ops.getitem
    masked_fill = shape_ops.masked_fill
    split = shape_ops.split

    # Sorting, running totals, indexing along a dim, matrix ops, moving elements, more
    # elementwise functions (ops/sorting.py, scan.py, indexing.py, linalg.py, movement.py,
    # unary.py)
    sort = sorting_ops.sort
    argsort = sorting_ops.argsort
    topk = sorting_ops.topk
    kthvalue = sorting_ops.kthvalue
    cumsum = scan_ops.cumsum
    cumprod = scan_ops.cumprod
    gather = indexing_ops.gather
    scatter = indexing_ops.scatter
    scatter_add = indexing_ops.scatter_add
    scatter_ = indexing_ops.scatter_
    scatter_add_ = indexing_ops.scatter_add_
    index_select = indexing_ops.index_select
    masked_select = indexing_ops.masked_select
    take_along_dim = indexing_ops.take_along_dim
    tril = linalg_ops.tril
    triu = linalg_ops.triu
    diag = linalg_ops.diag
    outer = linalg_ops.outer
    norm = linalg_ops.norm
    flip = movement_ops.flip
    roll = movement_ops.roll
    repeat = movement_ops.repeat
    tile = movement_ops.tile
    expand_as = movement_ops.expand_as
    chunk = movement_ops.chunk
    unbind = movement_ops.unbind
    narrow = movement_ops.narrow
    log2 = unary.log2
    log10 = unary.log10
    exp2 = unary.exp2
    log1p = unary.log1p
    expm1 = unary.expm1
    sin = unary.sin
    cos = unary.cos
    tan = unary.tan
    sign = unary.sign
    floor = unary.floor
    ceil = unary.ceil
    round = unary.round
    trunc = unary.trunc


def _is_dtype(value):
    """Is this argument of x.to(...) a dtype (minigrad.float32, np.float32, "float32")?"""
    if isinstance(value, np.dtype):
        return True
    if isinstance(value, type) and issubclass(value, np.generic):
        return True
    return isinstance(value, str) and dtypes.lookup_name(value) is not None


_DTYPE_OF_TYPE_NAME = {name: dtype for dtype, name in dtypes.TYPE_NAMES.items()}
