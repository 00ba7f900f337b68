"""layer_norm: normalise each row of features (the op behind nn.functional.layer_norm and the
nn.LayerNorm layer).   (F12)"""

import math

from minigrad.autograd import Function
from minigrad.ops import kernels


class LayerNorm(Function):
    r"""The layer-normalisation op over the last k axes (D numbers per row), fused.   (F12)
    (The layer that holds γ and β is nn.LayerNorm; this is its op.)
    Forward, per row x (the normalised axes):
        μ  = (1/D) Σ x_i
        σ² = (1/D) Σ (x_i - μ)²                  (biased variance, as in Ba et al. 2016)
        x̂  = (x - μ) / √(σ² + ε)
        y  = γ ⊙ x̂ + β
    Backward, with g = ∂L/∂y and ĝ = g ⊙ γ:
        ∂L/∂x = (ĝ - mean(ĝ) - x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε)
        ∂L/∂γ = Σ_rows g ⊙ x̂          ∂L/∂β = Σ_rows g
    (The two means come from μ and σ² depending on every x_i of the row.)

    weight (γ) and bias (β) may be None. apply(x, weight, bias, normalized_ndim, eps).
    """

    name = "layer_norm"
    latex = r"""
        r = \sqrt{\sigma^2 + \epsilon}, \quad \hat{x} = \frac{x - \mu}{r},
        y = \gamma \odot \hat{x} + \beta
        \partial L / \partial x = (\hat{g} - \bar{a} - \hat{x} \odot \bar{b}) / r
        \hat{g} = g \odot \gamma, \quad \bar{a} = \mathrm{mean}(\hat{g}),
        \bar{b} = \mathrm{mean}(\hat{g} \odot \hat{x})
        \frac{\partial L}{\partial \gamma} = \sum_{\mathrm{rows}} g \odot \hat{x},
        \frac{\partial L}{\partial \beta} = \sum_{\mathrm{rows}} g
    """

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_ndim, eps):
        xp = ctx.xp
        # Work on a 2-D view: one row of D numbers per normalised vector.
        normalized_shape = x.shape[x.ndim - normalized_ndim :]
        D = math.prod(normalized_shape)
        rows = x.reshape(math.prod(x.shape[: x.ndim - normalized_ndim]), D)  # (M, D)
        # Shift each row by its first element before averaging (same x̂ mathematically): a
        # constant row becomes exact zeros, so it normalises to exactly 0 rather than to the
        # rounding error of its mean divided by √ε (up to 0.3 in float32 for values near 1e4).
        centred = rows - rows[:, :1]
        # Row means below. Reference: a.mean(axis=-1, keepdims=True); kernels.row_means does
        # it by BLAS, several times faster (this is LayerNorm's hot path).
        centred -= kernels.row_means(xp, centred)  # x - μ: (M, D) - (M, 1), in place
        var = kernels.row_means(xp, centred * centred)  # σ²: (M, 1)
        inv_std = 1.0 / xp.sqrt(var + eps)  # (M, 1)
        x_hat = centred
        x_hat *= inv_std  # x̂: (M, D), in place (centred is not needed any more)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.normalized_shape = normalized_shape
        if weight is not None:
            y = x_hat * weight.reshape(D)  # γ ⊙ x̂: a new array...
            if bias is not None:
                y += bias.reshape(D)  # ...so + β is done in place
        elif bias is not None:
            y = x_hat + bias.reshape(D)
        else:
            y = x_hat
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x_hat, inv_std, weight = ctx.saved_tensors  # x_hat: (M, D), inv_std: (M, 1)
        xp = ctx.xp
        g = grad.reshape(x_hat.shape)  # (M, D)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            g_hat = g if weight is None else g * weight.reshape(-1)  # ĝ = g ⊙ γ
            # Reference: mean(a) = a.mean(axis=-1, keepdims=True); kernels.row_means by BLAS.
            mean_g = kernels.row_means(xp, g_hat)  # (M, 1)
            mean_gx = kernels.row_means(xp, g_hat * x_hat)  # (M, 1)
            # (ĝ - mean(ĝ) - x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε), in place after the first step
            grad_x = g_hat - mean_g
            grad_x -= x_hat * mean_gx
            grad_x *= inv_std
            grad_x = grad_x.reshape(grad.shape)
        # Σ_rows below. Reference: a.sum(axis=0); kernels.column_sums does it by BLAS.
        if ctx.needs_input_grad[1]:
            grad_weight = kernels.column_sums(xp, g * x_hat).reshape(ctx.normalized_shape)
        if ctx.needs_input_grad[2]:
            grad_bias = kernels.column_sums(xp, g).reshape(ctx.normalized_shape)
        return grad_x, grad_weight, grad_bias, None, None
