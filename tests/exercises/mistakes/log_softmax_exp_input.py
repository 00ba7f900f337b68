"""Planted mistake: softmax(x) computed as e^x of the input instead of e^y."""

import minigrad


class LogSoftmax(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        shifted = x - x.max(axis=-1, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad - ctx.xp.exp(x) * grad.sum(axis=-1, keepdims=True)
