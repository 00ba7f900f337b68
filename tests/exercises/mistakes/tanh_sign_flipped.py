"""Planted mistake: the right derivative with the wrong sign."""

import minigrad


class Tanh(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y * y - 1.0)
