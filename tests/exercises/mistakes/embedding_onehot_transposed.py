"""Planted mistake: a one-hot matrix product written for 1-D indices only (.T on a stack)."""

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
        onehot = xp.eye(ctx.weight_shape[0], dtype=grad.dtype)[indices]
        return None, onehot.T @ grad
