"""Planted mistake: 1-D operands handled one at a time: vector @ vector breaks."""

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
            grad = grad[..., :, None]
        elif a.ndim == 1:
            grad = grad[..., None, :]
        grad_a = xp.matmul(grad, xp.swapaxes(b2, -1, -2))
        grad_b = xp.matmul(xp.swapaxes(a2, -1, -2), grad)
        if a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b
