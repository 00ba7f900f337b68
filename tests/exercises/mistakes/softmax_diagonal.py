"""Planted mistake: softmax treated as elementwise, dy_i/dx_i = y_i (1 - y_i) only."""

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
        return grad * y * (1.0 - y)
