"""Planted mistake: the derivative computed in place on the saved output y (y *= 1 - y)."""

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
        y *= 1.0 - y  # reuse the array: y is not needed any more?
        return grad * y
