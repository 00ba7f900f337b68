"""Views: tensors that share their base's memory (x[0], x.T, x.reshape(...), x.expand(...)).

A view's numbers are its base's numbers seen through a function: `view.array` is
`fn(base.array)`, where fn slices, reshapes or transposes without copying. A change made in place
through the view is therefore a change of the base, and the other way round. The graph must
follow, as PyTorch's does; two ops do that:

    View         y = fn(x).                          dL/dx = zeros, with dL/dy put in y's places
    ViewUpdate   after an in-place change of a view: x_new = x_old with the view's places
                 holding `value`.                    dL/dx_old = dL/dx_new with those places 0
                                                     dL/dvalue = fn(dL/dx_new)

A view and its base share one version counter (autograd.Version), and a view remembers the
count it last saw: when its base has changed in place since, the view's node is renewed
(`catch_up`) so that its gradient goes to the base's new node.
"""

from minigrad import grad_mode
from minigrad.autograd import Function
from minigrad.backend import get_backend


class View(Function):
    """y = fn(x), a view of x's memory (fn slices, reshapes or transposes).
    dL/dx = a zero array of x's shape whose view places hold dL/dy.
    """

    name = "view"
    latex = r"""
        y = f(x)\ \mathrm{(a\ view)}
        \frac{\partial L}{\partial x} = 0\ \mathrm{except\ at}\ f(\cdot):\ g
    """

    @staticmethod
    def forward(ctx, x, fn):
        ctx.shape, ctx.fn = x.shape, fn
        return fn(x)

    @staticmethod
    def backward(ctx, grad):
        grad_x = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        _places(ctx.xp, grad_x, ctx.fn)[...] = grad
        return grad_x, None


class ViewUpdate(Function):
    """x_new = x_old with the places of the view fn(x) replaced by `value` (an in-place change
    made through a view: PyTorch's CopySlices).
    dL/dx_old = dL/dx_new with the view's places set to 0 (those numbers were overwritten)
    dL/dvalue = fn(dL/dx_new)
    (The in-place change has already written x's memory; this node stands for it in the graph,
    and its forward computes the same numbers in a new array, so that it is an op like any
    other: gradcheck tests it.)
    """

    name = "view_update"
    latex = r"""
        x' = x\ \mathrm{with}\ f(x) := v
        \frac{\partial L}{\partial x} = g\ \mathrm{with}\ f(\cdot) := 0,
        \frac{\partial L}{\partial v} = f(g)
    """

    @staticmethod
    def forward(ctx, x, value, fn):
        ctx.fn = fn
        out = x.copy()
        _places(ctx.xp, out, fn)[...] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        # asarray: a 0-d gradient may arrive as a NumPy scalar, which cannot be written
        grad_x = ctx.xp.asarray(grad).copy()
        _places(ctx.xp, grad_x, ctx.fn)[...] = 0
        return grad_x, ctx.fn(grad), None


def _places(xp, array, fn):
    """fn(array), which must be a view into `array` (so that writing to it writes `array`)."""
    places = fn(array)
    if places.base is None:
        raise RuntimeError("internal error: a view function returned a copy, not a view")
    return places


class ViewInfo:
    """A view's link to its base: `fn(base.array)` is the view's data."""

    __slots__ = ("base", "fn", "version", "writable")

    def __init__(self, base, fn, writable):
        self.base = base  # the tensor that owns the memory (never itself a view)
        self.fn = fn
        self.version = base._version_counter.value  # the base's count this view last saw
        self.writable = writable  # False for expand/broadcast_to: elements share memory

    def catch_up(self, view):
        """If the base changed in place since, give the view a node on the base's new value."""
        if self.version == self.base._version_counter.value:
            return
        self.version = self.base._version_counter.value
        if self.base._requires_grad and grad_mode.is_grad_enabled():
            renewed = View.apply(self.base, self.fn)
            view._ctx, view._requires_grad = renewed._ctx, True


def as_view(out, x, step, writable=True):
    """Mark `out` (made from x by a view op: out.array is step(x.array)) as a view of x's memory.

    Returns out. Nothing happens when the op had to copy (e.g. reshape of a transposed array):
    then out owns its numbers.
    """
    backend = get_backend(x.device)
    if backend.storage(out.array) is not backend.storage(x.array):
        return out
    if x._view is None:
        base, fn = x, step
    else:  # a view of a view: keep the base, and go there in two steps
        base, inner = x._view.base, x._view.fn

        def fn(array):
            return step(inner(array))

        writable = writable and x._view.writable
    out._version_counter = base._version_counter
    out._view = ViewInfo(base, fn, writable)
    return out
