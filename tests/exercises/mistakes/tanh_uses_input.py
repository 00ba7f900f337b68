"""Planted mistake: tanh's derivative applied to the input: 1 - x² instead of 1 - y²."""

import minigrad


class Tanh(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (1.0 - x * x)
