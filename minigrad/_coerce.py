"""Turning arguments into tensors, and the checks that many ops share (private).

Python numbers, lists and NumPy arrays meet tensors in almost every op (`x * 0.5`,
`x[[0, 2]]`, `where(mask, x, 0.0)`); the rules for turning them into tensors of the right dtype
and device, and for checking shapes and axes, live here once. Checks that belong to one op sit
beside that op in minigrad/ops/.

New tensors are made with `like._make(...)`, from a tensor the caller already has, so this
module needs only the engine's TensorBase and not tensor.py (which imports it).
"""

import numpy as np

from minigrad import dtypes
from minigrad.autograd import TensorBase
from minigrad.backend import get_backend


def to_backend_array(data, dtype, device):
    backend = get_backend(device)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    # Like torch.tensor, a new tensor owns its numbers: it copies, so that changing the array
    # it was made from later does not silently change the tensor (use Tensor._make to share).
    if backend.is_array(data):
        return data.astype(data.dtype if dtype is None else dtype, copy=True)
    if not isinstance(data, (np.ndarray, np.generic)):
        data = host_data(data)
        if dtype is None:
            dtype = dtypes.infer_dtype(data)  # NumPy arrays and scalars keep their dtype
    return backend.asarray(np.array(data, dtype=dtype, copy=True))


def host_data(data):
    """Lists may hold tensors or device arrays (e.g. [t1, t2]): bring them to the host first."""
    if isinstance(data, TensorBase):
        return data.numpy()
    if isinstance(data, (list, tuple)):
        items = [host_data(item) for item in data]
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


def constant(value, like):
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
        return like._make(get_backend(like.device).asarray(value, dtype=dtype), like.device)
    if isinstance(value, np.ndarray) and like.device != "cpu":
        raise TypeError(
            f"cannot combine a NumPy array with a tensor on '{like.device}'; make it a tensor "
            f"on that device first: minigrad.tensor(array, device='{like.device}')"
        )
    return like._make(to_backend_array(value, None, like.device), like.device)


def as_float(t):
    """Integer and boolean tensors become the default float dtype before a float-valued op
    (exp, sqrt, /, mean, ...), as in PyTorch: mg.arange(4) / 4 is float32, not NumPy's float64."""
    if t.dtype.kind == "f":
        return t
    return t.astype(dtypes.get_default_dtype())


def binary_operands(a, b, op):
    """Make both operands tensors with one dtype; check that their shapes broadcast."""
    if not isinstance(a, TensorBase):
        a = constant(a, b)
    if not isinstance(b, TensorBase):
        b = constant(b, a)
    if a.dtype != b.dtype:
        a, b = common_dtype(a, b, op)
    if a.shape != b.shape and op != "matmul":
        broadcast_pair(a.shape, b.shape, op)
    return a, b


def common_dtype(a, b, op):
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


def broadcast_pair(shape_a, shape_b, op):
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


def same_device(a, b, op):
    if a.device != b.device:
        raise RuntimeError(
            f"{op}: expected both tensors on the same device, but got '{a.device}' and "
            f"'{b.device}'. Move one with .to(device) first."
        )


def as_mask(mask, like, op):
    if not isinstance(mask, TensorBase):
        mask = like._make(to_backend_array(mask, None, like.device), like.device)
    if mask.dtype != dtypes.bool:
        raise TypeError(f"{op}: the mask/condition must be a boolean tensor, not {mask.dtype}")
    if mask.device != like.device:
        raise RuntimeError(
            f"{op}: the mask is on '{mask.device}' but the tensor on '{like.device}'"
        )
    return mask


def single_axis(tensor, axis, op):
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


def shape_arg(shape):
    """reshape(2, 3) and reshape((2, 3)) mean the same."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def prepare_index(index, tensor):
    """Turn Tensors and lists inside an index into backend arrays on the tensor's device.

    A zero-dimensional integer index (a 0-d tensor or array) becomes a Python int, because
    PyTorch treats it as one (x[torch.tensor(0)] is x[0]).
    """
    backend = get_backend(tensor.device)
    parts = index if isinstance(index, tuple) else (index,)
    prepared = []
    for part in parts:
        if isinstance(part, TensorBase):
            if part.device != tensor.device:
                raise RuntimeError(
                    f"indexing: the index is on '{part.device}' but the tensor on '{tensor.device}'"
                )
            if part.dtype.kind not in "iub":
                raise IndexError(
                    f"indexing: tensors used as indices must be integer or bool, not {part.dtype}"
                )
            part = part.array
            if part.ndim == 0 and part.dtype.kind in "iu":
                part = int(backend.to_numpy(part))
        elif isinstance(part, (list, np.ndarray)):
            array = np.asarray(part)
            if array.size == 0 and isinstance(part, list):
                array = array.astype(np.int64)  # [] selects nothing, as in PyTorch
            if array.dtype.kind not in "iub":
                raise IndexError(
                    f"indexing: index arrays must be integer or bool, not {array.dtype}"
                )
            part = (
                int(array)
                if array.ndim == 0 and array.dtype.kind in "iu"
                else backend.asarray(array)
            )
        prepared.append(part)
    return tuple(prepared)


def index_steps(index):
    """An index (from prepare_index) as the NumPy indexings that give PyTorch's result, applied
    one after the other: (index,), or (the integers, the arrays) for an index that holds both.

    Why: NumPy counts the integers of x[0, :, idx] as index arrays too, and since a slice
    separates them from idx it moves idx's axis to the front (shape (len(idx), x.shape[1])).
    PyTorch applies the integers first, as basic indexing, and then the arrays: x[0, :, idx] is
    x[0][:, idx], whose idx axis stays in place (shape (x.shape[1], len(idx))). Two steps give
    PyTorch's order; the first is basic indexing, so it is a view (a write through it reaches x).
    """
    has_int = any(_is_integer(part) for part in index)
    has_array = any(_is_index_array(part) for part in index)
    if not (has_int and has_array):
        return (index,)
    integers, arrays = [], []
    for part in index:
        if _is_integer(part):
            integers.append(part)  # the first step removes this axis; the second skips it
        elif _is_index_array(part):
            # an integer array covers one axis, a boolean mask as many as it has dimensions
            covered = part.ndim if part.dtype.kind == "b" else 1
            integers.extend([slice(None)] * covered)
            arrays.append(part)
        elif part is None or isinstance(part, slice):
            integers.append(part)  # the first step makes (None) or cuts (slice) this axis
            arrays.append(slice(None))
        else:  # Ellipsis, or a boolean scalar (which adds an axis, as PyTorch's does)
            if part is Ellipsis:
                integers.append(part)
            arrays.append(part)
    return tuple(integers), tuple(arrays)


def _is_integer(part):
    return isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_))


def _is_index_array(part):
    return hasattr(part, "ndim") and hasattr(part, "dtype") and part.ndim > 0
