"""Exercise: the backward of scaled dot-product attention (F8).

Forward, with Q (B, T, d), K (B, S, d), V (B, S, e) and the scale s = 1/√d:

    S = s · Q Kᵀ          (B, T, S)  the scores: query t against key j
    A = softmax(S)         (B, T, S)  along the last axis: each row sums to 1
    O = A V                (B, T, e)  each output is a weighted average of the values

Your job: return (dL/dQ, dL/dK, dL/dV) given grad = dL/dO. Go backwards one line at a time:
1. O = A V is a matmul: you get dL/dV and dL/dA (the matmul exercise).
2. A = softmax(S): dL/dS from dL/dA (the softmax exercise: not elementwise!).
3. S = s Q Kᵀ: a matmul again, and do not forget the scale s.
Transpose only the last two axes: xp.swapaxes(x, -1, -2).

Check your answer:   minigrad check attention
"""

import math

import minigrad


class ScaledDotProductAttention(minigrad.Function):
    """O = softmax(Q Kᵀ / √d) V."""

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
        raise NotImplementedError(
            "write (dL/dQ, dL/dK, dL/dV) for attention: see the module docstring and "
            "lessons/DERIVATIONS.md (F8)"
        )
