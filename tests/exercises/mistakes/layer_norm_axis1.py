"""Planted mistake: the row means of the backward taken over axis=1."""

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
        g_hat = grad * gamma
        grad_x = (
            g_hat
            - g_hat.mean(axis=1, keepdims=True)
            - x_hat * (g_hat * x_hat).mean(axis=1, keepdims=True)
        ) / sigma
        rows = tuple(range(grad.ndim - 1))
        return grad_x, (grad * x_hat).sum(axis=rows), grad.sum(axis=rows)
