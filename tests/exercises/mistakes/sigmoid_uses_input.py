"""Planted mistake: the sigmoid's derivative applied to the input x instead of the output y."""

import minigrad


class Sigmoid(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        y = 1.0 / (1.0 + ctx.xp.exp(-x))
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x * (1.0 - x)
