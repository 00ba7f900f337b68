"""In-place changes: x += y, x[index] = v, x.add_(y), x.zero_(), ... (PyTorch's rules).

An in-place change writes new numbers into x's memory, so everything that shares it (x's views,
its base) sees them, and x's version counter goes up by one. What happens to the graph:

* Nothing needs a gradient (under no_grad(), or no tensor involved requires grad): the numbers
  are written and nothing is recorded. An optimizer's step is such a change.
* Otherwise the new value is computed by the ordinary op (x + y is `arithmetic.add`), which
  records a node as usual, and then written into x: x now points to that node. Earlier uses of
  x keep their edge to the node of x's old value (autograd.gradient_edge). If x is a view, its
  base gets a ViewUpdate node and x a View node on the base (ops/views.py), so the change
  reaches the base's gradient too.

Refused, with an error that says what to do instead:
* a leaf that requires grad (a parameter), or a view of one, while gradients are recorded:
  its .grad would be the gradient of a value that no longer exists;
* x[...] changed through expand()/broadcast_to(), whose elements share memory;
* a result that does not fit x (another shape, or a float into an integer tensor).

Ops save what backward needs. If the op that computes the new value saved x's old numbers
itself (x *= y saves x for y's gradient), a copy is kept, since x's memory is overwritten.
"""

from minigrad import grad_mode
from minigrad._coerce import broadcast_pair, constant, index_steps, prepare_index
from minigrad.autograd import Function, TensorBase
from minigrad.backend import get_backend
from minigrad.ops import arithmetic, shape, unary
from minigrad.ops.views import View, ViewUpdate


class IndexPut(Function):
    """y = x with y[index] = v (v broadcast to the indexed part).
    dL/dx = dL/dy with the indexed places set to 0 (they were overwritten)
    dL/dv = dL/dy[index]   (summed back to v's shape by the engine)
    """

    name = "index_put"
    latex = r"""
        y = x\ \mathrm{with}\ y[i] = v
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\ \mathrm{with}\ [i] := 0,
        \frac{\partial L}{\partial v} = \frac{\partial L}{\partial y}[i]
    """

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_v = None
        if ctx.needs_input_grad[0]:
            # asarray: a 0-d gradient may arrive as a NumPy scalar, which cannot be written
            grad_x = ctx.xp.asarray(grad).copy()
            grad_x[ctx.index] = 0
        if ctx.needs_input_grad[1]:
            grad_v = grad[ctx.index]
        return grad_x, grad_v, None


# --------------------------------------------------------------------------------------------
# The entry points
# --------------------------------------------------------------------------------------------

_OPERATORS = {"+=": arithmetic.add, "-=": arithmetic.sub, "*=": arithmetic.mul}


def update(x, other, op):
    """x += other (op "+="), or -=, *=, /=; returns x."""
    what = f"in-place {op}"
    other_shape = tuple(getattr(other, "shape", ()))
    result_shape = broadcast_pair(x.shape, other_shape, what)
    if result_shape != x.shape:
        raise ValueError(
            f"{what}: the result of shapes {x.shape} and {other_shape} would have shape "
            f"{result_shape}; an in-place update cannot change the tensor's shape {x.shape}"
        )
    if not _recorded(x, other):
        return _update_unrecorded(x, other, op, what)
    if op == "/=":
        return in_place(x, lambda: arithmetic.div(x, other), what)
    return in_place(x, lambda: _OPERATORS[op](x, other), what)


def _recorded(x, other):
    """Whether changing x in place by `other` must be recorded in the graph."""
    if not grad_mode.is_grad_enabled():
        return False
    base = x._view.base if x._view is not None else x
    return (
        x._requires_grad
        or base._requires_grad
        or (isinstance(other, TensorBase) and other._requires_grad)
    )


def _update_unrecorded(x, other, op, what):
    """The fast path of `update` (an optimizer's `p -= lr * g`, a counter `n += 1`): NumPy's own
    in-place operator on x's memory, nothing recorded, the version counted."""
    _check_writable(x, what)
    if not isinstance(other, (TensorBase, bool, int, float)):
        other = constant(other, x)  # a list or NumPy array: checked like any operand
    if isinstance(other, TensorBase):
        _check_value(x, other, what)
        other = other.array
    other_dtype = getattr(other, "dtype", None)
    other_is_float = isinstance(other, float) or (
        other_dtype is not None and other_dtype.kind == "f"
    )
    if x.dtype.kind != "f" and (other_is_float or op == "/="):
        _refuse_float_into_integer(x, what)
    if op == "+=":
        x.array += other
    elif op == "-=":
        x.array -= other
    elif op == "*=":
        x.array *= other
    else:
        x.array /= other
    x._version_counter.value += 1
    return x


def setitem(x, index, value):
    """x[index] = value.

    An index with both integers and index arrays is applied in two steps, as PyTorch does:
    x[0, :, idx] = v writes v into x[0][:, idx], through the view x[0] (see
    _coerce.index_steps for why NumPy alone would put v's axes in another order).
    """
    what = "item assignment x[...] = value"
    steps = index_steps(prepare_index(index, x))
    if len(steps) == 2:
        if grad_mode.is_grad_enabled():
            _check_not_a_leaf(x, what)  # checked here: x[0] below would be "a view of a leaf"
        _setitem_step(shape.getitem(x, steps[0]), steps[1], value, what)
        return x
    return _setitem_step(x, steps[0], value, what)


def _setitem_step(x, index, value, what):
    try:
        target_shape = tuple(x.array[index].shape)
    except IndexError as error:
        raise IndexError(f"item assignment into a tensor of shape {x.shape}: {error}") from None
    if not isinstance(value, TensorBase):
        value = constant(value, x)
    _check_value(x, value, what)
    if broadcast_pair(value.shape, target_shape, "item assignment") != target_shape:
        raise ValueError(
            f"item assignment: a value of shape {value.shape} does not fit the selected "
            f"part of shape {target_shape}"
        )
    return in_place(x, lambda: IndexPut.apply(x, value, index), what, index=index)


def in_place(x, compute, what, index=None):
    """Write the tensor `compute()` returns into x's memory (only x[index] if given)."""
    _check_writable(x, what)
    if grad_mode.is_grad_enabled():
        _check_not_a_leaf(x, what)
    result = compute()
    _check_fits(x, result, what)
    if result._ctx is not None:
        _keep_saved_copy(result._ctx, x)
    if index is None:
        x.array[...] = result.array
    else:
        x.array[index] = result.array[index]
    x._version_counter.value += 1
    if result._requires_grad:
        _point_to_new_value(x, result)
    return x


def _point_to_new_value(x, result):
    """x now holds result's value: its gradient must go to result's node."""
    if x._view is None:
        x._ctx, x._requires_grad = result._ctx, True
        return
    info = x._view
    base = info.base
    updated = ViewUpdate.apply(base, result, info.fn)  # base_new: base_old with the view updated
    base._ctx, base._requires_grad = updated._ctx, True
    renewed = View.apply(base, info.fn)  # and x is a view of base_new
    x._ctx, x._requires_grad = renewed._ctx, True
    info.version = base._version_counter.value


def _keep_saved_copy(ctx, x):
    """If the node saved x's numbers (which are about to be overwritten), keep a copy."""
    if not ctx._saved:
        return
    backend = get_backend(x.device)
    storage = backend.storage(x.array)
    ctx._saved = tuple(
        saved.copy()
        if isinstance(saved, backend.array_type) and backend.storage(saved) is storage
        else saved
        for saved in ctx._saved
    )
    ctx._saved_versions = tuple(
        record for record in ctx._saved_versions if record[0] is not x._version_counter
    )


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _check_not_a_leaf(x, what):
    leaf = x._view.base if x._view is not None else x
    if leaf._ctx is None and leaf._requires_grad:
        of = "a view of " if leaf is not x else ""
        raise RuntimeError(
            f"{what}: {of}a leaf tensor that requires grad (shape {leaf.shape}, e.g. a "
            "parameter) cannot be changed in place while gradients are recorded: its .grad "
            "would belong to a value that no longer exists. To update parameters, do it inside "
            "`with minigrad.no_grad():`; to compute with a changed copy, write x = x + y or "
            "x = x.clone() first."
        )


def _check_writable(x, what):
    if x._view is not None and not x._view.writable:
        raise RuntimeError(
            f"{what}: this tensor comes from expand()/broadcast_to(), so several of its "
            "elements are one number in memory; changing it in place would change them all. "
            "Make a copy first (x = x.clone()) or write a new tensor."
        )


def _check_value(x, value, what):
    if value.device != x.device:
        raise RuntimeError(
            f"{what}: the tensor is on '{x.device}' but the value on '{value.device}'"
        )
    if value.dtype != x.dtype and value.dtype.kind == "f" and x.dtype.kind == "f":
        raise TypeError(f"{what}: dtype mismatch, {x.dtype} and {value.dtype}; convert the value")


def _refuse_float_into_integer(x, what):
    raise TypeError(
        f"{what}: the tensor is {x.dtype} and cannot hold the float result; "
        "write x = x + y (which gives a float tensor) instead"
    )


def _check_fits(x, result, what):
    if result.shape != x.shape:
        raise ValueError(
            f"{what}: the result would have shape {result.shape}; an in-place change cannot "
            f"change the tensor's shape {x.shape}"
        )
    if result.dtype != x.dtype:
        if x.dtype.kind != "f" and result.dtype.kind == "f":
            _refuse_float_into_integer(x, what)
        raise TypeError(f"{what}: the result is {result.dtype} but the tensor is {x.dtype}")


# --------------------------------------------------------------------------------------------
# The in-place methods PyTorch code uses: x.add_(y), x.zero_(), ...
# --------------------------------------------------------------------------------------------


def add_(x, other, *, alpha=1):
    step = other if alpha == 1 else arithmetic.mul(other, alpha)
    return in_place(x, lambda: arithmetic.add(x, step), "add_")


def sub_(x, other, *, alpha=1):
    step = other if alpha == 1 else arithmetic.mul(other, alpha)
    return in_place(x, lambda: arithmetic.sub(x, step), "sub_")


def mul_(x, other):
    return in_place(x, lambda: arithmetic.mul(x, other), "mul_")


def div_(x, other):
    return in_place(x, lambda: arithmetic.div(x, other), "div_")


def clamp_(x, min=None, max=None):
    return in_place(x, lambda: unary.clip(x, min, max), "clamp_")


def masked_fill_(x, mask, value):
    return in_place(x, lambda: shape.masked_fill(x, mask, value), "masked_fill_")


def fill_(x, value, *, what="fill_"):
    """Every element becomes `value` (a number, or a one-element tensor, which gets a gradient).

    Computed as where(True, value, x): x's old numbers get a zero gradient, as in PyTorch.
    """
    if isinstance(value, TensorBase):
        if value.numel() != 1:
            raise ValueError(f"{what}: the value must have one element, got shape {value.shape}")
        value = value.reshape(())
    return in_place(x, lambda: shape.where(_everywhere(x), value, x), what)


def zero_(x):
    return fill_(x, 0, what="zero_")


def copy_(x, src):
    """x's numbers become src's (src broadcast to x's shape, converted to x's dtype and device).

    Computed as where(True, src, x): src gets the gradient, x's old numbers none.
    """
    if not isinstance(src, TensorBase):
        src = constant(src, x)
    if src.device != x.device:
        src = src.to(x.device)
    if src.dtype != x.dtype:
        src = src.astype(x.dtype)
    broadcast_pair(src.shape, x.shape, "copy_")
    return in_place(x, lambda: shape.where(_everywhere(x), src, x), "copy_")


def _everywhere(x):
    """A 0-d boolean True on x's device: where(_everywhere(x), a, x) is a, broadcast."""
    return x._make(x.xp.ones((), dtype=bool), x.device)
