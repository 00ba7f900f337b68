"""In-place updates: x += y, x -= y, x *= y, x /= y and x[index] = value.

They change `x.data` directly and record nothing in the graph, so they are allowed only where no
graph can be corrupted: inside `no_grad()` (an optimizer's step), or on tensors that do not
require grad. Without them, `for p in params: p -= lr * p.grad` would silently rebind the loop
variable and leave the model unchanged.
"""

from minigrad import grad_mode
from minigrad._coerce import broadcast_pair, prepare_index
from minigrad.autograd import TensorBase


def check_in_place(x, what):
    if x._ctx is not None or (x._requires_grad and grad_mode.is_grad_enabled()):
        raise RuntimeError(
            f"{what} on a tensor that requires grad would corrupt the computation graph. "
            "For an update of parameters do it inside `with minigrad.no_grad():`; otherwise "
            "write a new tensor (x = x - y, or use where / masked_fill)."
        )


def _operand(x, other, what):
    """The value to write into x, as a backend array or a Python number (dtype checked)."""
    if isinstance(other, TensorBase):
        if other._device != x._device:
            raise RuntimeError(
                f"{what}: the tensor is on '{x._device}' but the value on '{other._device}'"
            )
        other = other.data
    if hasattr(other, "dtype") and other.dtype != x.dtype and other.dtype.kind == "f":
        if x.dtype.kind == "f":
            raise TypeError(
                f"{what}: dtype mismatch, {x.dtype} and {other.dtype}; convert the value"
            )
    return other


def update(x, other, op):
    """x += other (op "+="), or -=, *=, /=; returns x."""
    check_in_place(x, f"in-place {op}")
    other = _operand(x, other, f"in-place {op}")
    other_dtype = getattr(other, "dtype", None)
    if x.dtype.kind != "f" and (
        isinstance(other, float) or (other_dtype is not None and other_dtype.kind == "f")
    ):
        raise TypeError(
            f"in-place {op}: the tensor is {x.dtype} and cannot hold the float result; "
            f"write x = x {op[0]} y (which gives a float tensor) instead"
        )
    other_shape = tuple(getattr(other, "shape", ()))
    result_shape = broadcast_pair(x.shape, other_shape, f"in-place {op}")
    if result_shape != x.shape:
        raise ValueError(
            f"in-place {op}: the result of shapes {x.shape} and {other_shape} would have "
            f"shape {result_shape}; an in-place update cannot change the tensor's shape {x.shape}"
        )
    if op == "+=":
        x.data += other
    elif op == "-=":
        x.data -= other
    elif op == "*=":
        x.data *= other
    else:
        x.data /= other
    return x


def setitem(x, index, value):
    """x[index] = value."""
    check_in_place(x, "item assignment x[...] = value")
    value = _operand(x, value, "item assignment")
    index = prepare_index(index, x)
    try:
        target_shape = tuple(x.data[index].shape)
    except IndexError as error:
        raise IndexError(f"item assignment into a tensor of shape {x.shape}: {error}") from None
    value_shape = tuple(getattr(value, "shape", ()))
    if broadcast_pair(value_shape, target_shape, "item assignment") != target_shape:
        raise ValueError(
            f"item assignment: a value of shape {value_shape} does not fit the selected "
            f"part of shape {target_shape}"
        )
    x.data[index] = value
