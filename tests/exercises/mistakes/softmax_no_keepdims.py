"""Planted mistake: the row sum without keepdims=True."""

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
        return y * (grad - (grad * y).sum(axis=-1))
