"""Planted mistake: the result written into the saved output (y *= ...)."""

import minigrad


class Softmax(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        e = xp.exp(x - x.max(axis=-1, keepdims=True))
        y = e / e.sum(axis=-1, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        s = (grad * y).sum(axis=-1, keepdims=True)
        y *= grad - s
        return y
