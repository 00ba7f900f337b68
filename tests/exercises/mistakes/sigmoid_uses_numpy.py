"""Planted mistake: the backward calls numpy directly instead of ctx.xp."""

import numpy as np

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
        return np.multiply(grad, y * (1.0 - y))
