"""Planted mistake: 1 subtracted from every class, not only the target."""

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
        n = log_p.shape[0]
        d = xp.exp(log_p)
        d -= 1.0
        return grad * d / n, None
