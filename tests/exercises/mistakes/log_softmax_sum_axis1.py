"""Planted mistake: the sum of the upstream gradient taken over axis=1."""

import minigrad


class LogSoftmax(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        shifted = x - x.max(axis=-1, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - ctx.xp.exp(y) * grad.sum(axis=1, keepdims=True)
