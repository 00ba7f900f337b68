"""Planted mistake: right for matrices and batches, but 1-D operands are not handled."""

import minigrad


class MatMul(minigrad.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        return xp.matmul(grad, xp.swapaxes(b, -1, -2)), xp.matmul(xp.swapaxes(a, -1, -2), grad)
