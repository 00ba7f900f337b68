"""Planted mistake: log-softmax's backward without the sum of the upstream gradient."""

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
        return grad - ctx.xp.exp(y) * grad
