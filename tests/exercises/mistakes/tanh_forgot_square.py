"""Planted mistake: tanh' written as 1 - y instead of 1 - y²."""

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
        return grad * (1.0 - y)
