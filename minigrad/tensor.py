"""The Tensor: an n-dimensional array that remembers how it was computed.

A Tensor holds
    data           the numbers, a backend array (NumPy on "cpu", CuPy on "cuda")
    grad           dL/d(this tensor) after backward(), an array of the same shape, or None
    requires_grad  whether gradients should flow to it
    grad_fn        the record (a Context) of the op that made it; None for a leaf

Its methods (`x.exp()`, `x + y`, `x @ w`, ...) are thin: each calls one op from `minigrad.ops`,
where the forward, the backward and the formula of that op live together.
"""

import numpy as np

from minigrad import dtypes, grad_mode, printing
from minigrad.backend import get_backend, normalize_device


class Tensor:
    __slots__ = (
        "data",
        "grad",
        "_requires_grad",
        "_ctx",
        "_device",
        "_retains_grad",
        "__weakref__",
    )

    # NumPy must not swallow Tensors: `np_array + tensor` calls Tensor.__radd__, and
    # `np.exp(tensor)` is an error that points to `tensor.exp()`.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        if isinstance(data, Tensor):
            if device is None or normalize_device(device) == data.device:
                device, data = data.device, data.data
            else:
                data = data.numpy()  # crossing devices goes through the host
        device = normalize_device(device)
        self.data = _to_backend_array(data, dtype, device)
        self.grad = None
        self._ctx = None
        self._device = device
        self._retains_grad = False
        self._requires_grad = False
        self.requires_grad = requires_grad

    @staticmethod
    def _make(data, device, requires_grad=False, ctx=None):
        """Wrap an array that is already on `device` (no copy, no checks): used by the ops."""
        tensor = Tensor.__new__(Tensor)
        tensor.data = data
        tensor.grad = None
        tensor._requires_grad = requires_grad
        tensor._ctx = ctx
        tensor._device = device
        tensor._retains_grad = False
        return tensor

    # ----------------------------------------------------------------------------------------
    # Properties
    # ----------------------------------------------------------------------------------------

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, but this tensor is "
                f"{self.data.dtype}: gradients of integer or boolean values are not defined. "
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
        return tuple(self.data.shape)

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return int(self.data.size)

    def numel(self):
        return int(self.data.size)

    @property
    def dtype(self):
        return self.data.dtype

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
    def grad_fn(self):
        return self._ctx

    # ----------------------------------------------------------------------------------------
    # Conversions
    # ----------------------------------------------------------------------------------------

    def numpy(self):
        """The data as a NumPy array on the host (shares memory on "cpu", a copy elsewhere)."""
        return get_backend(self._device).to_numpy(self.data)

    def item(self):
        if self.size != 1:
            raise ValueError(
                f"item(): only one-element tensors convert to a number, not {self.shape}"
            )
        return self.numpy().item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut from the graph: a new leaf that does not require grad."""
        return Tensor._make(self.data, self._device)

    def to(self, device=None, dtype=None):
        """A copy on another device and/or with another dtype (differentiable, as in PyTorch)."""
        if isinstance(device, np.dtype) or (device is not None and device in dtypes.NAMES):
            device, dtype = None, device
        out = self
        if dtype is not None:
            out = out.astype(dtype)
        if device is not None:
            out = ops.ToDevice.apply(out, normalize_device(device))
        return out

    def move_(self, device=None, dtype=None):
        """Move this leaf's numbers to another device and/or dtype *in place*; returns self.

        The object stays the same, so everything that holds it (a Module, an optimizer, a second
        layer sharing the weight) sees the change. Its gradient moves with it. Used by Module.to.
        """
        if self._ctx is not None:
            raise RuntimeError("move_() is only for leaf tensors; use .to() on computed tensors")
        moved = Tensor._make(self.data, self._device).to(device, dtype)
        if self.grad is not None:
            grad = Tensor._make(self.grad, self._device).to(device, dtype)
            self.grad = grad.data
        self.data, self._device = moved.data, moved.device
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def astype(self, dtype):
        """A copy with another dtype; differentiable (the gradient is cast back)."""
        dtype = dtypes.as_dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind != "f":
            # Rounding to integers is piecewise constant: no gradient flows through it (PyTorch).
            return Tensor._make(self.data.astype(dtype), self._device)
        return ops.Cast.apply(self, dtype)

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

    def __array__(self, dtype=None, copy=None):
        if self._device != "cpu":
            raise TypeError(
                f"cannot convert a tensor on '{self._device}' to a NumPy array implicitly; "
                "use .numpy() (which copies it to the host)"
            )
        return self.data if dtype is None else self.data.astype(dtype)

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
        self._retains_grad = True

    def zero_grad(self):
        self.grad = None

    # ----------------------------------------------------------------------------------------
    # Printing and Python protocols
    # ----------------------------------------------------------------------------------------

    def __repr__(self):
        return printing.format_tensor(self)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self):
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; "
                "use (x > 0).any() or .all()"
            )
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    # Tensors compare elementwise (x == y is a tensor), so hashing is by identity, as in PyTorch.
    __hash__ = object.__hash__

    # ----------------------------------------------------------------------------------------
    # Arithmetic: + - * / ** @ and their reflected forms
    # ----------------------------------------------------------------------------------------

    def __add__(self, other):
        return ops.Add.apply(*_binary_operands(self, other, "add"))

    def __radd__(self, other):
        return ops.Add.apply(*_binary_operands(other, self, "add"))

    def __sub__(self, other):
        return ops.Sub.apply(*_binary_operands(self, other, "sub"))

    def __rsub__(self, other):
        return ops.Sub.apply(*_binary_operands(other, self, "sub"))

    def __mul__(self, other):
        return ops.Mul.apply(*_binary_operands(self, other, "mul"))

    def __rmul__(self, other):
        return ops.Mul.apply(*_binary_operands(other, self, "mul"))

    def __truediv__(self, other):
        a, b = _binary_operands(self, other, "div")
        return ops.Div.apply(_as_float(a), _as_float(b))

    def __rtruediv__(self, other):
        a, b = _binary_operands(other, self, "div")
        return ops.Div.apply(_as_float(a), _as_float(b))

    def __pow__(self, other):
        return ops.Pow.apply(*_binary_operands(self, other, "pow"))

    def __rpow__(self, other):
        return ops.Pow.apply(*_binary_operands(other, self, "pow"))

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.Abs.apply(self)

    # In-place updates (x -= lr * g) change .data directly and record nothing, so they are only
    # allowed where no graph can be corrupted: inside no_grad(), or on tensors that do not
    # require grad. Without them, `for p in params: p -= lr * p.grad` would silently rebind the
    # loop variable and leave the model unchanged.
    def __iadd__(self, other):
        return self._update_in_place(other, "+=")

    def __isub__(self, other):
        return self._update_in_place(other, "-=")

    def __imul__(self, other):
        return self._update_in_place(other, "*=")

    def __itruediv__(self, other):
        return self._update_in_place(other, "/=")

    def __setitem__(self, index, value):
        self._check_in_place("item assignment x[...] = value")
        value = self._in_place_operand(value, "item assignment")
        index = _prepare_index(index, self)
        try:
            target_shape = tuple(self.data[index].shape)
        except IndexError as error:
            raise IndexError(
                f"item assignment into a tensor of shape {self.shape}: {error}"
            ) from None
        value_shape = tuple(getattr(value, "shape", ()))
        if _broadcast_shapes(value_shape, target_shape, "item assignment") != target_shape:
            raise ValueError(
                f"item assignment: a value of shape {value_shape} does not fit the selected "
                f"part of shape {target_shape}"
            )
        self.data[index] = value

    def _check_in_place(self, what):
        if self._ctx is not None or (self._requires_grad and grad_mode.is_grad_enabled()):
            raise RuntimeError(
                f"{what} on a tensor that requires grad would corrupt the computation graph. "
                "For an update of parameters do it inside `with minigrad.no_grad():`; otherwise "
                "write a new tensor (x = x - y, or use where / masked_fill)."
            )

    def _in_place_operand(self, other, what):
        if isinstance(other, Tensor):
            if other.device != self._device:
                raise RuntimeError(
                    f"{what}: the tensor is on '{self._device}' but the value on '{other.device}'"
                )
            other = other.data
        if hasattr(other, "dtype") and other.dtype != self.dtype and other.dtype.kind == "f":
            if self.dtype.kind == "f":
                raise TypeError(
                    f"{what}: dtype mismatch, {self.dtype} and {other.dtype}; convert the value"
                )
        return other

    def _update_in_place(self, other, op):
        self._check_in_place(f"in-place {op}")
        other = self._in_place_operand(other, f"in-place {op}")
        other_dtype = getattr(other, "dtype", None)
        if self.dtype.kind != "f" and (
            isinstance(other, float) or (other_dtype is not None and other_dtype.kind == "f")
        ):
            raise TypeError(
                f"in-place {op}: the tensor is {self.dtype} and cannot hold the float result; "
                f"write x = x {op[0]} y (which gives a float tensor) instead"
            )
        other_shape = tuple(getattr(other, "shape", ()))
        if _broadcast_shapes(self.shape, other_shape, f"in-place {op}") != self.shape:
            raise ValueError(
                f"in-place {op}: the result of shapes {self.shape} and {other_shape} would have "
                f"shape {_broadcast_shapes(self.shape, other_shape, op)}; an in-place update "
                f"cannot change the tensor's shape {self.shape}"
            )
        if op == "+=":
            self.data += other
        elif op == "-=":
            self.data -= other
        elif op == "*=":
            self.data *= other
        else:
            self.data /= other
        return self

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    # Comparisons give boolean tensors and are not differentiable.
    def __eq__(self, other):
        return _compare(self, other, "eq")

    def __ne__(self, other):
        return _compare(self, other, "ne")

    def __lt__(self, other):
        return _compare(self, other, "lt")

    def __le__(self, other):
        return _compare(self, other, "le")

    def __gt__(self, other):
        return _compare(self, other, "gt")

    def __ge__(self, other):
        return _compare(self, other, "ge")

    def __invert__(self):
        if self.dtype != dtypes.bool:
            raise TypeError(f"~ (logical not) needs a boolean tensor, not {self.dtype}")
        return Tensor._make(~self.data, self._device)

    def __and__(self, other):
        return _logical(self, other, "and")

    def __or__(self, other):
        return _logical(self, other, "or")

    def any(self):
        return Tensor._make(self.xp.asarray(self.data.any()), self._device)

    def all(self):
        return Tensor._make(self.xp.asarray(self.data.all()), self._device)

    # ----------------------------------------------------------------------------------------
    # Elementwise functions
    # ----------------------------------------------------------------------------------------

    def exp(self):
        return ops.Exp.apply(_as_float(self))

    def log(self):
        return ops.Log.apply(_as_float(self))

    def sqrt(self):
        return ops.Sqrt.apply(_as_float(self))

    def abs(self):
        return ops.Abs.apply(self)

    def tanh(self):
        return ops.Tanh.apply(_as_float(self))

    def sigmoid(self):
        return ops.Sigmoid.apply(_as_float(self))

    def relu(self):
        return ops.ReLU.apply(self)

    def gelu(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
        return ops.GELU.apply(_as_float(self), approximate)

    def clip(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        # Python floats keep a float32 tensor float32; a NumPy float64 bound would promote it.
        lo = None if min is None else float(min)
        hi = None if max is None else float(max)
        return ops.Clip.apply(self, lo, hi)

    clamp = clip

    def maximum(self, other):
        return ops.Maximum.apply(*_binary_operands(self, other, "maximum"))

    def minimum(self, other):
        return ops.Minimum.apply(*_binary_operands(self, other, "minimum"))

    # ----------------------------------------------------------------------------------------
    # Reductions. `axis`/`keepdims` as in NumPy; `dim`/`keepdim` accepted as in PyTorch.
    # ----------------------------------------------------------------------------------------

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _reduction_args(self, axis, dim, keepdims, keepdim, "sum")
        return ops.Sum.apply(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _reduction_args(self, axis, dim, keepdims, keepdim, "mean")
        return ops.Mean.apply(_as_float(self), axis, keepdims)

    def var(
        self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None, unbiased=None
    ):
        axis, keepdims = _reduction_args(self, axis, dim, keepdims, keepdim, "var")
        if unbiased is not None:  # the older PyTorch spelling
            correction = 1 if unbiased else 0
        return ops.Var.apply(_as_float(self), axis, correction, keepdims)

    def std(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _reduction_args(self, axis, dim, keepdims, keepdim, "std")
        return ops.Std.apply(_as_float(self), axis, correction, keepdims)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _reduction_args(self, axis, dim, keepdims, keepdim, "max")
        return ops.Max.apply(self, axis, keepdims)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _reduction_args(self, axis, dim, keepdims, keepdim, "min")
        return ops.Min.apply(self, axis, keepdims)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis = _single_axis(self, dim if dim is not None else axis, "argmax")
        keepdims = keepdim if keepdim is not None else keepdims
        return Tensor._make(self.data.argmax(axis=axis, keepdims=keepdims), self._device)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis = _single_axis(self, dim if dim is not None else axis, "argmin")
        keepdims = keepdim if keepdim is not None else keepdims
        return Tensor._make(self.data.argmin(axis=axis, keepdims=keepdims), self._device)

    def softmax(self, axis=-1, *, dim=None):
        return ops.Softmax.apply(
            _as_float(self), _single_axis(self, dim if dim is not None else axis, "softmax")
        )

    def log_softmax(self, axis=-1, *, dim=None):
        axis = _single_axis(self, dim if dim is not None else axis, "log_softmax")
        return ops.LogSoftmax.apply(_as_float(self), axis)

    def logsumexp(self, axis=-1, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _reduction_args(self, axis, dim, keepdims, keepdim, "logsumexp")
        return ops.LogSumExp.apply(_as_float(self), axis, keepdims)

    # ----------------------------------------------------------------------------------------
    # Shapes
    # ----------------------------------------------------------------------------------------

    def reshape(self, *shape):
        shape = _shape_arg(shape)
        new_shape = _resolve_reshape(self.shape, shape)
        if new_shape == self.shape:
            return self
        return ops.Reshape.apply(self, new_shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start = _single_axis(self, start_dim, "flatten")
        end = _single_axis(self, end_dim, "flatten")
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        middle = 1
        for size in self.shape[start : end + 1]:
            middle *= size
        return self.reshape(self.shape[:start] + (middle,) + self.shape[end + 1 :])

    def permute(self, *dims):
        dims = _shape_arg(dims)
        if sorted(_single_axis(self, d, "permute") for d in dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: {dims} is not a permutation of the axes of shape {self.shape}"
            )
        dims = tuple(_single_axis(self, d, "permute") for d in dims)
        return ops.Permute.apply(self, dims)

    def transpose(self, dim0=-2, dim1=-1):
        """Swap two axes (PyTorch's transpose; for NumPy's full reversal use .T or permute)."""
        if self.ndim < 2:
            return self
        dims = list(range(self.ndim))
        a, b = _single_axis(self, dim0, "transpose"), _single_axis(self, dim1, "transpose")
        dims[a], dims[b] = dims[b], dims[a]
        return ops.Permute.apply(self, tuple(dims))

    swapaxes = transpose

    @property
    def T(self):
        if self.ndim < 2:
            return self
        return ops.Permute.apply(self, tuple(reversed(range(self.ndim))))

    def expand(self, *shape):
        """Broadcast to a bigger shape without copying; -1 keeps a dimension's size."""
        shape = _shape_arg(shape)
        extra = len(shape) - self.ndim
        if extra < 0:
            raise ValueError(
                f"expand: cannot expand shape {self.shape} to fewer dimensions {shape}"
            )
        shape = tuple(
            self.shape[i - extra] if size == -1 and i >= extra else size
            for i, size in enumerate(shape)
        )
        return self.broadcast_to(shape)

    def broadcast_to(self, shape):
        shape = tuple(_shape_arg((shape,) if isinstance(shape, int) else tuple(shape)))
        if _broadcast_shapes(self.shape, shape, "broadcast_to") != shape:
            raise ValueError(f"broadcast_to: cannot broadcast shape {self.shape} to {shape}")
        if shape == self.shape:
            return self
        return ops.BroadcastTo.apply(self, shape)

    def squeeze(self, axis=None, *, dim=None):
        axis = dim if dim is not None else axis
        if axis is None:
            return self.reshape(tuple(size for size in self.shape if size != 1))
        axes = {
            _single_axis(self, a, "squeeze") for a in (axis if isinstance(axis, tuple) else (axis,))
        }
        # As in PyTorch, squeezing an axis whose size is not 1 leaves it alone.
        return self.reshape(
            tuple(size for i, size in enumerate(self.shape) if not (i in axes and size == 1))
        )

    def unsqueeze(self, axis=None, *, dim=None):
        axis = dim if dim is not None else axis
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise IndexError(f"unsqueeze: axis {axis} is out of range for a {self.ndim}-d tensor")
        if axis < 0:
            axis += self.ndim + 1
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def __getitem__(self, index):
        index = _prepare_index(index, self)
        return ops.GetItem.apply(self, index)

    def masked_fill(self, mask, value):
        """Where mask is True the result is `value`, elsewhere x (the mask broadcasts to x)."""
        mask = _as_mask(mask, self, "masked_fill")
        _broadcast_shapes(self.shape, mask.shape, "masked_fill")
        return ops.MaskedFill.apply(self, mask, value)

    def split(self, split_size_or_sections, axis=0, *, dim=None):
        return split(self, split_size_or_sections, axis if dim is None else dim)


# --------------------------------------------------------------------------------------------
# Module-level functions (as torch.matmul, torch.cat, ...)
# --------------------------------------------------------------------------------------------


def matmul(a, b):
    """Matrix product with NumPy's rules: batch dimensions broadcast, 1-D operands as vectors."""
    a, b = _binary_operands(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}"
            " (use * to multiply by a scalar)"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: cannot multiply shapes {a.shape} and {b.shape}: the inner dimensions "
            f"{k_a} and {k_b} differ"
        )
    if a.ndim > 2 or b.ndim > 2:
        _broadcast_shapes(a.shape[:-2], b.shape[:-2], "matmul (batch dimensions)")
    return ops.MatMul.apply(a, b)


def concat(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (torch.cat)."""
    axis = axis if dim is None else dim
    tensors = _same_kind_tensors(tensors, "concat")
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("concat: zero-dimensional tensors cannot be concatenated; use stack")
    axis = _single_axis(first, axis, "concat")
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(
            t.shape[i] != first.shape[i] for i in range(first.ndim) if i != axis
        ):
            raise ValueError(
                f"concat: shapes {first.shape} and {t.shape} differ outside axis {axis}"
            )
    return ops.Concat.apply(*tensors, axis=axis)


cat = concat


def stack(tensors, axis=0, *, dim=None):
    """Join same-shaped tensors along a new axis."""
    axis = axis if dim is None else dim
    tensors = _same_kind_tensors(tensors, "stack")
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
    return ops.Stack.apply(*tensors, axis=axis)


def split(tensor, split_size_or_sections, axis=0):
    """Cut a tensor into pieces along an axis (torch.split): an int is the size of every piece
    (the last may be smaller), a list gives each piece's size. The pieces are slices, so their
    gradients flow back through indexing."""
    axis = _single_axis(tensor, axis, "split")
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(
                f"split: the piece size must be positive, got {split_size_or_sections}"
            )
        sizes = [split_size_or_sections] * (length // split_size_or_sections)
        if length % split_size_or_sections:
            sizes.append(length % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(
                f"split: section sizes {sizes} add up to {sum(sizes)}, but axis {axis} has {length}"
            )
    pieces = []
    start = 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(tensor[index])
        start += size
    return tuple(pieces)


def where(condition, x, y):
    """Elementwise choice: x where condition is True, else y (all three broadcast together)."""
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        raise TypeError("where: at least one of x and y must be a Tensor")
    x, y = _binary_operands(x, y, "where")
    condition = _as_mask(condition, x, "where")
    _broadcast_shapes(condition.shape, _broadcast_shapes(x.shape, y.shape, "where"), "where")
    return ops.Where.apply(condition, x, y)


# --------------------------------------------------------------------------------------------
# Helpers: turning arguments into tensors and checking them before an op runs
# --------------------------------------------------------------------------------------------


def _to_backend_array(data, dtype, device):
    backend = get_backend(device)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    # Like torch.tensor, a new tensor owns its numbers: it copies, so that changing the array
    # it was made from later does not silently change the tensor (use Tensor._make to share).
    if backend.is_array(data):
        return data.astype(data.dtype if dtype is None else dtype, copy=True)
    if not isinstance(data, (np.ndarray, np.generic)):
        data = _host_data(data)
        if dtype is None:
            dtype = dtypes.infer_dtype(data)  # NumPy arrays and scalars keep their dtype
    return backend.asarray(np.array(data, dtype=dtype, copy=True))


def _host_data(data):
    """Lists may hold tensors or device arrays (e.g. [t1, t2]): bring them to the host first."""
    if isinstance(data, Tensor):
        return data.numpy()
    if isinstance(data, (list, tuple)):
        items = [_host_data(item) for item in data]
        lengths = {len(item) if isinstance(item, (list, tuple)) else None for item in items}
        if len(lengths) > 1:
            raise ValueError(
                "tensor(): nested lists must be rectangular, but this one is ragged: its rows "
                f"have lengths {sorted(lengths, key=str)}"
            )
        return items
    if hasattr(data, "shape") and not isinstance(data, (np.ndarray, np.generic)):
        raise TypeError(
            f"cannot make a tensor from a {type(data).__name__} on another device inside a list"
        )
    return data


def _constant(value, like):
    """A Python number or array used in an op with tensor `like`, as a constant tensor.

    Python numbers are "weak": they take the tensor's dtype (x * 0.5 stays float32), except that
    a float combined with an integer tensor gives the default float dtype.
    """
    if isinstance(value, (bool, int, float)):
        if like.dtype.kind == "f":
            dtype = like.dtype
        elif isinstance(value, float):
            dtype = dtypes.get_default_dtype()
        elif isinstance(value, bool) and like.dtype == dtypes.bool:
            dtype = dtypes.bool
        else:
            dtype = like.dtype if like.dtype.kind in "iu" else dtypes.int64
        return Tensor._make(get_backend(like.device).asarray(value, dtype=dtype), like.device)
    if isinstance(value, np.ndarray) and like.device != "cpu":
        raise TypeError(
            f"cannot combine a NumPy array with a tensor on '{like.device}'; make it a tensor "
            f"on that device first: minigrad.tensor(array, device='{like.device}')"
        )
    return Tensor(value, device=like.device)


def _as_float(t):
    """Integer and boolean tensors become the default float dtype before a float-valued op
    (exp, sqrt, /, mean, ...), as in PyTorch: mg.arange(4) / 4 is float32, not NumPy's float64."""
    if t.dtype.kind == "f":
        return t
    return t.astype(dtypes.get_default_dtype())


def _binary_operands(a, b, op):
    """Make both operands tensors with one dtype; check that their shapes broadcast."""
    if not isinstance(a, Tensor):
        a = _constant(a, b)
    if not isinstance(b, Tensor):
        b = _constant(b, a)
    if a.dtype != b.dtype:
        a, b = _common_dtype(a, b, op)
    if a.shape != b.shape and op != "matmul":
        _broadcast_shapes(a.shape, b.shape, op)
    return a, b


def _common_dtype(a, b, op):
    a_float, b_float = a.dtype.kind == "f", b.dtype.kind == "f"
    if a_float and b_float:
        raise TypeError(
            f"{op}: dtype mismatch, {a.dtype} and {b.dtype}. minigrad never mixes float types "
            f"silently (a float64 sneaking into a float32 model doubles memory and hides bugs); "
            f"convert one side, e.g. x.astype(minigrad.{a.dtype})"
        )
    if a_float:
        return a, b.astype(a.dtype)
    if b_float:
        return a.astype(b.dtype), b
    common = np.result_type(a.dtype, b.dtype)
    return a.astype(common), b.astype(common)


def _broadcast_shapes(shape_a, shape_b, op):
    """The shape two shapes broadcast to, or a ValueError that names the op and both shapes."""
    ndim = max(len(shape_a), len(shape_b))
    padded_a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    padded_b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    result = []
    for size_a, size_b in zip(padded_a, padded_b):
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise ValueError(
                f"{op}: shapes {tuple(shape_a)} and {tuple(shape_b)} cannot be broadcast together "
                f"(sizes {size_a} and {size_b} meet in the same dimension)"
            )
        result.append(size_a if size_b == 1 else size_b)
    return tuple(result)


def _same_device(a, b, op):
    if a.device != b.device:
        raise RuntimeError(
            f"{op}: expected both tensors on the same device, but got '{a.device}' and "
            f"'{b.device}'. Move one with .to(device) first."
        )


def broadcast_shapes(*shapes):
    """The shape that all `shapes` broadcast to (torch.broadcast_shapes), or a ValueError."""
    result = ()
    for shape in shapes:
        result = _broadcast_shapes(result, shape, "broadcast_shapes")
    return result


def _compare(a, b, name):
    a, b = _binary_operands(a, b, name)
    _same_device(a, b, name)
    data_a, data_b = a.data, b.data
    result = {
        "eq": lambda: data_a == data_b,
        "ne": lambda: data_a != data_b,
        "lt": lambda: data_a < data_b,
        "le": lambda: data_a <= data_b,
        "gt": lambda: data_a > data_b,
        "ge": lambda: data_a >= data_b,
    }[name]()
    return Tensor._make(result, a.device)


def _logical(a, b, name):
    a, b = _binary_operands(a, b, name)
    _same_device(a, b, name)
    if a.dtype != dtypes.bool:
        raise TypeError(f"logical {name} needs boolean tensors, not {a.dtype}")
    result = (a.data & b.data) if name == "and" else (a.data | b.data)
    return Tensor._make(result, a.device)


def _as_mask(mask, like, op):
    if not isinstance(mask, Tensor):
        mask = Tensor(mask, device=like.device)
    if mask.dtype != dtypes.bool:
        raise TypeError(f"{op}: the mask/condition must be a boolean tensor, not {mask.dtype}")
    if mask.device != like.device:
        raise RuntimeError(
            f"{op}: the mask is on '{mask.device}' but the tensor on '{like.device}'"
        )
    return mask


def _single_axis(tensor, axis, op):
    """A possibly negative axis -> 0..ndim-1, or an IndexError naming the op."""
    if axis is None:
        return None
    ndim = max(tensor.ndim, 1)
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise IndexError(
            f"{op}: axis {axis} is out of range for a tensor with {tensor.ndim} dimension(s) "
            f"(shape {tensor.shape})"
        )
    return int(axis) % ndim


def _reduction_args(tensor, axis, dim, keepdims, keepdim, op):
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
    normalized = tuple(sorted({_single_axis(tensor, a, op) for a in axes}))
    if len(normalized) != len(axes):
        raise ValueError(f"{op}: axis {axis} names the same axis twice")
    return normalized, bool(keepdims)


def _shape_arg(shape):
    """reshape(2, 3) and reshape((2, 3)) mean the same."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _resolve_reshape(old_shape, shape):
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


def _prepare_index(index, tensor):
    """Turn Tensors and lists inside an index into backend arrays on the tensor's device."""
    backend = get_backend(tensor.device)
    parts = index if isinstance(index, tuple) else (index,)
    prepared = []
    for part in parts:
        if isinstance(part, Tensor):
            if part.device != tensor.device:
                raise RuntimeError(
                    f"indexing: the index is on '{part.device}' but the tensor on '{tensor.device}'"
                )
            if part.dtype.kind not in "iub":
                raise IndexError(
                    f"indexing: tensors used as indices must be integer or bool, not {part.dtype}"
                )
            part = part.data
        elif isinstance(part, (list, np.ndarray)):
            array = np.asarray(part)
            if array.dtype.kind not in "iub":
                raise IndexError(
                    f"indexing: index arrays must be integer or bool, not {array.dtype}"
                )
            part = backend.asarray(array)
        prepared.append(part)
    return tuple(prepared)


def _same_kind_tensors(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    if not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{op}: expected a list of Tensors")
    first = tensors[0]
    for t in tensors[1:]:
        if t.dtype != first.dtype:
            t_first, t_other = _common_dtype(first, t, op)  # raises for float/float mismatches
            del t_first, t_other
    dtype = tensors[0].dtype
    for t in tensors:
        if t.dtype.kind == "f":
            dtype = t.dtype
    return [t if t.dtype == dtype else t.astype(dtype) for t in tensors]


# The ops and the engine need the Tensor class, so they are imported after it is defined.
from minigrad import autograd, ops  # noqa: E402
