"""Planted mistake: transposes written for 3-D arrays (B, T, d) only."""

import math

import minigrad


class ScaledDotProductAttention(minigrad.Function):
    @staticmethod
    def forward(ctx, q, k, v):
        xp = ctx.xp
        scale = 1.0 / math.sqrt(q.shape[-1])
        scores = xp.matmul(q, xp.swapaxes(k, -1, -2)) * scale
        e = xp.exp(scores - scores.max(axis=-1, keepdims=True))
        weights = e / e.sum(axis=-1, keepdims=True)
        ctx.save_for_backward(q, k, v, weights)
        ctx.scale = scale
        return xp.matmul(weights, v)

    @staticmethod
    def backward(ctx, grad):
        q, k, v, weights = ctx.saved_tensors
        xp = ctx.xp
        grad_v = xp.matmul(weights.transpose(0, 2, 1), grad)
        grad_weights = xp.matmul(grad, v.transpose(0, 2, 1))
        grad_scores = weights * (
            grad_weights - (grad_weights * weights).sum(axis=-1, keepdims=True)
        )
        grad_q = xp.matmul(grad_scores, k) * ctx.scale
        grad_k = xp.matmul(grad_scores.transpose(0, 2, 1), q) * ctx.scale
        return grad_q, grad_k, grad_v
