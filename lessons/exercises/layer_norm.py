"""Exercise: the backward of layer normalisation over the last axis (F12).

Forward, for each row x of D numbers (the last axis):

    μ = (1/D) Σ x_i          σ = √((1/D) Σ (x_i - μ)² + ε)
    x̂ = (x - μ) / σ          y = γ ⊙ x̂ + β            (γ = gamma, β = beta: shape (D,))

Your job: return three gradients, (dL/dx, dL/dgamma, dL/dbeta), with g = grad = dL/dy.

- gamma and beta are used by every row: their gradients add up over the rows (or return the
  per-row array: the engine sums a gradient back to its input's shape for you).
- for x, remember that μ and σ are computed from x too. Write ĝ = g ⊙ γ (the gradient reaching
  x̂), then follow x̂ = (x - μ)/σ back through μ and σ: you should find an expression with two
  means along the row, mean(ĝ) and mean(ĝ ⊙ x̂), all divided by σ.

Check your answer:   minigrad check layer_norm
"""

import minigrad

EPS = 1e-5


class LayerNorm(minigrad.Function):
    """y = gamma * (x - mean) / sqrt(var + EPS) + beta, statistics along the last axis."""

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
        raise NotImplementedError(
            "write (dL/dx, dL/dgamma, dL/dbeta) for layer norm: see the module docstring and "
            "lessons/DERIVATIONS.md (F12)"
        )
