"""Planted mistake: counts how often each row was read, without the upstream gradient."""

import minigrad


class Embedding(minigrad.Function):
    @staticmethod
    def forward(ctx, indices, weight):
        ctx.save_for_backward(indices)
        ctx.weight_shape = weight.shape
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        xp = ctx.xp
        grad_weight = xp.zeros(ctx.weight_shape, dtype=grad.dtype)
        xp.add.at(grad_weight, indices, xp.ones_like(grad))
        return None, grad_weight
