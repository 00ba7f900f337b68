"""Planted mistake: the saved output squared in place (y *= y)."""

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
        y *= y
        return grad * (1.0 - y)
