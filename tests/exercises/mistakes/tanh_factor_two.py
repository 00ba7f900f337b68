"""Planted mistake: an extra factor 2, from mixing tanh up with 2σ(2x) - 1."""

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
        return 2.0 * grad * (1.0 - y * y)
