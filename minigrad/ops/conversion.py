"""Changing a tensor's dtype or device. The gradient travels back the way the values came."""

from minigrad import dtypes
from minigrad.autograd import Function
from minigrad.backend import get_backend, normalize_device


class Cast(Function):
    """y = x converted to another dtype.   dL/dx = dL/dy converted back to x's dtype."""

    name = "cast"
    latex = r"""
        y = \mathrm{cast}(x)
        \frac{\partial L}{\partial x} = \mathrm{cast}^{-1}\left(\frac{\partial L}{\partial y}\right)
    """

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.input_dtype), None


class Clone(Function):
    """y = x, in new memory.   dL/dx = dL/dy.   (x.clone(): a copy that stays in the graph)"""

    name = "clone"
    latex = r"y = x \qquad \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToDevice(Function):
    """y = x copied to another device.   dL/dx = dL/dy copied back to x's device."""

    name = "to_device"
    latex = r"""
        y = x\ \mathrm{on\ another\ device}
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\ \mathrm{moved\ back}
    """

    @staticmethod
    def forward(ctx, x, source, destination):
        ctx.source, ctx.destination = source, destination
        ctx.device = destination  # the output lives on the destination, not on x's device
        host = get_backend(source).to_numpy(x)
        return get_backend(destination).asarray(host)

    @staticmethod
    def backward(ctx, grad):
        host = get_backend(ctx.destination).to_numpy(grad)
        return get_backend(ctx.source).asarray(host), None, None


# --------------------------------------------------------------------------------------------
# The entry points (`x.astype(dtype)`, `x.to(device)`)
# --------------------------------------------------------------------------------------------


def astype(x, dtype):
    """A copy with another dtype; differentiable (the gradient is cast back)."""
    dtype = dtypes.as_dtype(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind != "f":
        # Rounding to integers is piecewise constant: no gradient flows through it (PyTorch).
        return x._make(x.array.astype(dtype), x.device)
    return Cast.apply(x, dtype)


def clone(x):
    """A copy in new memory that stays in the graph (changing it leaves x alone)."""
    return Clone.apply(x)


def to_device(x, device):
    """A copy on another device (differentiable); x itself if it is already there."""
    device = normalize_device(device)
    if device == x.device:
        return x
    return ToDevice.apply(x, x.device, device)
