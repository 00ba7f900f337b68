"""Planted mistake: numpy's exp instead of ctx.xp's."""

import numpy as np

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
        return grad - np.exp(y) * grad.sum(axis=-1, keepdims=True)
