"""The Tensor: an n-dimensional array that remembers how it was computed.

A Tensor holds
    data           the numbers, a backend array (NumPy on "cpu", CuPy on "cuda")
    grad           dL/d(this tensor) after backward(), an array of the same shape, or None
    requires_grad  whether gradients should flow to it
    grad_fn        the record (a Context) of the op that made it; None for a leaf

Its methods (`x.exp()`, `x + y`, `x @ w`, ...) are one line each: they call the entry point of
an op in minigrad/ops/, where the argument checks, the forward, the backward and the formula of
that op live together.
"""

import numpy as np

from minigrad import autograd, dtypes, printing
from minigrad._coerce import to_backend_array
from minigrad.autograd import TensorBase
from minigrad.backend import get_backend, normalize_device
from minigrad.ops import (
    arithmetic,
    comparison,
    conversion,
    inplace,
    matmul,
    reductions,
    softmax,
    unary,
)
from minigrad.ops import shape as shape_ops


class Tensor(TensorBase):
    # The fields (data, grad, _requires_grad, _ctx, _device, _retains_grad) are declared in
    # autograd.TensorBase, the part of a tensor the engine works with.
    __slots__ = ()

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
        self.data = to_backend_array(data, dtype, device)
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
            out = conversion.to_device(out, device)
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
        return conversion.astype(self, dtype)

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
    # Arithmetic: + - * / ** @ and their reflected forms (ops/arithmetic.py, ops/matmul.py)
    # ----------------------------------------------------------------------------------------

    def __add__(self, other):
        return arithmetic.add(self, other)

    def __radd__(self, other):
        return arithmetic.add(other, self)

    def __sub__(self, other):
        return arithmetic.sub(self, other)

    def __rsub__(self, other):
        return arithmetic.sub(other, self)

    def __mul__(self, other):
        return arithmetic.mul(self, other)

    def __rmul__(self, other):
        return arithmetic.mul(other, self)

    def __truediv__(self, other):
        return arithmetic.div(self, other)

    def __rtruediv__(self, other):
        return arithmetic.div(other, self)

    def __pow__(self, other):
        return arithmetic.pow(self, other)

    def __rpow__(self, other):
        return arithmetic.pow(other, self)

    def __matmul__(self, other):
        return matmul.matmul(self, other)

    def __rmatmul__(self, other):
        return matmul.matmul(other, self)

    def __neg__(self):
        return arithmetic.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return unary.abs(self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    # In-place updates (ops/inplace.py): allowed inside no_grad() or without requires_grad.
    def __iadd__(self, other):
        return inplace.update(self, other, "+=")

    def __isub__(self, other):
        return inplace.update(self, other, "-=")

    def __imul__(self, other):
        return inplace.update(self, other, "*=")

    def __itruediv__(self, other):
        return inplace.update(self, other, "/=")

    def __setitem__(self, index, value):
        inplace.setitem(self, index, value)

    # Comparisons and logic give boolean tensors, with no gradient (ops/comparison.py).
    def __eq__(self, other):
        return comparison.eq(self, other)

    def __ne__(self, other):
        return comparison.ne(self, other)

    def __lt__(self, other):
        return comparison.lt(self, other)

    def __le__(self, other):
        return comparison.le(self, other)

    def __gt__(self, other):
        return comparison.gt(self, other)

    def __ge__(self, other):
        return comparison.ge(self, other)

    def __invert__(self):
        return comparison.logical_not(self)

    def __and__(self, other):
        return comparison.logical_and(self, other)

    def __or__(self, other):
        return comparison.logical_or(self, other)

    def any(self):
        return comparison.any(self)

    def all(self):
        return comparison.all(self)

    # ----------------------------------------------------------------------------------------
    # Elementwise functions (ops/unary.py, ops/arithmetic.py)
    # ----------------------------------------------------------------------------------------

    def exp(self):
        return unary.exp(self)

    def log(self):
        return unary.log(self)

    def sqrt(self):
        return unary.sqrt(self)

    def abs(self):
        return unary.abs(self)

    def tanh(self):
        return unary.tanh(self)

    def sigmoid(self):
        return unary.sigmoid(self)

    def relu(self):
        return unary.relu(self)

    def gelu(self, approximate="none"):
        return unary.gelu(self, approximate)

    def clip(self, min=None, max=None):
        return unary.clip(self, min, max)

    clamp = clip

    def maximum(self, other):
        return arithmetic.maximum(self, other)

    def minimum(self, other):
        return arithmetic.minimum(self, other)

    # ----------------------------------------------------------------------------------------
    # Reductions (ops/reductions.py, ops/softmax.py): `axis`/`keepdims` as in NumPy, or
    # PyTorch's `dim`/`keepdim`.
    # ----------------------------------------------------------------------------------------

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(
        self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None, unbiased=None
    ):
        return reductions.var(
            self, axis, correction, keepdims, dim=dim, keepdim=keepdim, unbiased=unbiased
        )

    def std(self, axis=None, correction=1, keepdims=False, *, dim=None, keepdim=None):
        return reductions.std(self, axis, correction, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis=-1, *, dim=None):
        return softmax.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        return softmax.log_softmax(self, axis, dim=dim)

    def logsumexp(self, axis=-1, keepdims=False, *, dim=None, keepdim=None):
        return softmax.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # ----------------------------------------------------------------------------------------
    # Shapes and indexing (ops/shape.py)
    # ----------------------------------------------------------------------------------------

    def reshape(self, *sizes):
        return shape_ops.reshape(self, *sizes)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        return shape_ops.flatten(self, start_dim, end_dim)

    def permute(self, *dims):
        return shape_ops.permute(self, *dims)

    def transpose(self, dim0=-2, dim1=-1):
        return shape_ops.transpose(self, dim0, dim1)

    swapaxes = transpose

    @property
    def T(self):
        return shape_ops.reverse_axes(self)

    def expand(self, *sizes):
        return shape_ops.expand(self, *sizes)

    def broadcast_to(self, size):
        return shape_ops.broadcast_to(self, size)

    def squeeze(self, axis=None, *, dim=None):
        return shape_ops.squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis=None, *, dim=None):
        return shape_ops.unsqueeze(self, axis, dim=dim)

    def __getitem__(self, index):
        return shape_ops.getitem(self, index)

    def masked_fill(self, mask, value):
        return shape_ops.masked_fill(self, mask, value)

    def split(self, split_size_or_sections, axis=0, *, dim=None):
        return shape_ops.split(self, split_size_or_sections, axis, dim=dim)
