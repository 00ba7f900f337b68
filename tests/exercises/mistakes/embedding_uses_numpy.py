"""Planted mistake: numpy's add.at instead of ctx.xp's."""

import numpy as np

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
        grad_weight = ctx.xp.zeros(ctx.weight_shape, dtype=grad.dtype)
        np.add.at(grad_weight, indices, grad)
        return None, grad_weight
