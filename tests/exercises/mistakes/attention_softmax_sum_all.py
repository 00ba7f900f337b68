"""Planted mistake: the softmax's sum taken over the whole array, not per row."""

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
        grad_v = xp.matmul(xp.swapaxes(weights, -1, -2), grad)
        grad_weights = xp.matmul(grad, xp.swapaxes(v, -1, -2))
        grad_scores = weights * (grad_weights - (grad_weights * weights).sum())
        grad_q = xp.matmul(grad_scores, k) * ctx.scale
        grad_k = xp.matmul(xp.swapaxes(grad_scores, -1, -2), q) * ctx.scale
        return grad_q, grad_k, grad_v
