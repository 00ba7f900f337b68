"""Planted mistake: `.T` (which reverses every axis) instead of swapping the last two."""

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
        a2 = xp.expand_dims(a, 0) if a.ndim == 1 else a  # a row (1, k)
        b2 = xp.expand_dims(b, -1) if b.ndim == 1 else b  # a column (k, 1)
        if b.ndim == 1:
            grad = xp.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = xp.expand_dims(grad, -2)
        grad_a = xp.matmul(grad, b2.T)
        grad_b = xp.matmul(a2.T, grad)
        if a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b
