"""Planted mistake: the upstream gradient returned as it is, not scattered into the table."""

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
        return None, grad
