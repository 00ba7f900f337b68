"""Planted mistake: the means of dL/dx over axis 0 only (right for (N, C), not (N, C, L))."""

import minigrad

EPS = 1e-5


class BatchNorm(minigrad.Function):
    @staticmethod
    def forward(ctx, x, gamma, beta):
        xp = ctx.xp
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        sigma = xp.sqrt(var + EPS)
        x_hat = centred / sigma
        ctx.save_for_backward(x_hat, sigma, gamma)
        return gamma.reshape(shape) * x_hat + beta.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        x_hat, sigma, gamma = ctx.saved_tensors
        axes = (0,) if grad.ndim == 2 else (0, 2)
        shape = (1, -1) + (1,) * (grad.ndim - 2)
        g_hat = grad * gamma.reshape(shape)
        grad_x = (
            g_hat
            - g_hat.mean(axis=0, keepdims=True)
            - x_hat * (g_hat * x_hat).mean(axis=0, keepdims=True)
        ) / sigma
        return grad_x, (grad * x_hat).sum(axis=axes), grad.sum(axis=axes)
