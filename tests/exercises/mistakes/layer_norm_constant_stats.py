"""Planted mistake: mean and standard deviation treated as constants in the backward."""

import minigrad

EPS = 1e-5


class LayerNorm(minigrad.Function):
    @staticmethod
    def forward(ctx, x, gamma, beta):
        xp = ctx.xp
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        sigma = xp.sqrt((centred * centred).mean(axis=-1, keepdims=True) + EPS)
        x_hat = centred / sigma
        ctx.save_for_backward(x_hat, sigma, gamma)
        return gamma * x_hat + beta

    @staticmethod
    def backward(ctx, grad):
        x_hat, sigma, gamma = ctx.saved_tensors
        rows = tuple(range(grad.ndim - 1))
        return grad * gamma / sigma, (grad * x_hat).sum(axis=rows), grad.sum(axis=rows)
