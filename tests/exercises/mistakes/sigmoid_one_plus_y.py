"""Planted mistake: σ' written as y (1 + y) instead of y (1 - y)."""

import minigrad


class Sigmoid(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        y = 1.0 / (1.0 + ctx.xp.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1.0 + y)
