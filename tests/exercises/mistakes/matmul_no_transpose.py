"""Planted mistake: dL/dA = dL/dC @ B (B not transposed), dL/dB = A @ dL/dC."""

import minigrad


class MatMul(minigrad.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return ctx.xp.matmul(grad, b), ctx.xp.matmul(a, grad)
