"""Exercise: the backward of batch normalisation in training mode (BatchNorm1d; lesson 15).

Forward, for x of shape (N, C) (or (N, C, L): a length axis too), separately for each channel c
(axis 1), over the m values of the batch that channel has (m = N, or N·L):

    μ = (1/m) Σ x             σ = √((1/m) Σ (x - μ)² + ε)       (the biased variance: 1/m)
    x̂ = (x - μ) / σ           y = γ x̂ + β                      (γ = gamma, β = beta: shape (C,))

Your job: return three gradients, (dL/dx, dL/dgamma, dL/dbeta), with g = grad = dL/dy.

- gamma and beta are shared by every example of the batch: their gradients add up over the
  batch axis (and the length axis), one number per channel, shape (C,).
- for x, remember that μ and σ are computed from the whole batch, so every x depends on every
  other one of its channel. Write ĝ = g ⊙ γ (the gradient reaching x̂) and follow x̂ = (x - μ)/σ
  back through μ and σ: you should find an expression with two means over the batch,
  mean(ĝ) and mean(ĝ ⊙ x̂), all divided by σ. (Lesson 15 does it on a (N, C) batch.)

Check your answer:   minigrad check batch_norm
"""

import minigrad

EPS = 1e-5


class BatchNorm(minigrad.Function):
    """y = gamma * (x - mean) / sqrt(var + EPS) + beta, statistics over the batch per channel."""

    @staticmethod
    def forward(ctx, x, gamma, beta):
        xp = ctx.xp
        axes = (0,) if x.ndim == 2 else (0, 2)  # every axis but the channels (axis 1)
        shape = (1, -1) + (1,) * (x.ndim - 2)  # (1, C) or (1, C, 1): broadcasts against x
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)  # biased: divided by m
        sigma = xp.sqrt(var + EPS)
        x_hat = centred / sigma
        ctx.save_for_backward(x_hat, sigma, gamma)
        return gamma.reshape(shape) * x_hat + beta.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        x_hat, sigma, gamma = ctx.saved_tensors
        raise NotImplementedError(
            "write (dL/dx, dL/dgamma, dL/dbeta) for batch norm: see the module docstring and "
            "lessons/DERIVATIONS.md (section 'Batch normalisation')"
        )
