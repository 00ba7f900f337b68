"""Changing a tensor's dtype or device. The gradient travels back the way the values came."""

from minigrad import grad_mode
from minigrad.autograd import Context, Function
from minigrad.backend import get_backend


class Cast(Function):
    """y = x converted to another dtype.   dL/dx = dL/dy converted back to x's dtype."""

    name = "cast"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.input_dtype), None


class ToDevice(Function):
    """y = x copied to another device.   dL/dx = dL/dy copied back to x's device."""

    name = "to_device"

    @staticmethod
    def forward(ctx, x, source, destination):
        host = get_backend(source).to_numpy(x)
        return get_backend(destination).asarray(host)

    @staticmethod
    def backward(ctx, grad):
        host = get_backend(ctx.destination).to_numpy(grad)
        return get_backend(ctx.source).asarray(host), None, None

    @classmethod
    def apply(cls, x, destination):
        # Function.apply makes its output on the inputs' device; this op's output is elsewhere,
        # so it builds its graph record itself.
        from minigrad.tensor import Tensor

        source = x.device
        if destination == source:
            return x
        ctx = Context(cls, (x, None, None), get_backend(destination).xp)
        ctx.source, ctx.destination = source, destination
        out = cls.forward(ctx, x.data, source, destination)
        if x.requires_grad and grad_mode.is_grad_enabled():
            return Tensor._make(out, destination, requires_grad=True, ctx=ctx)
        return Tensor._make(out, destination)
