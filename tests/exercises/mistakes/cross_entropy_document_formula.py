"""Planted mistake: the document's cross-entropy derivative 1/ŷ - y/ŷ (the F2 erratum)."""

import minigrad


class CrossEntropy(minigrad.Function):
    @staticmethod
    def forward(ctx, logits, target):
        xp = ctx.xp
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        ctx.save_for_backward(log_p, target)
        return -log_p[xp.arange(n), target].mean()

    @staticmethod
    def backward(ctx, grad):
        log_p, target = ctx.saved_tensors
        xp = ctx.xp
        n, c = log_p.shape
        p = xp.exp(log_p)
        y = xp.eye(c)[target]
        return grad * (1.0 / p - y / p) / n, None
