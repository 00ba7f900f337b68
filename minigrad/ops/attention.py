"""scaled_dot_product_attention: softmax(scale · Q Kᵀ + mask) V as one op.   (F8)

The argument checks, masks and dropout mask are prepared by
nn.functional.scaled_dot_product_attention, which calls this op; MultiHeadAttention
(nn/attention.py) builds on that function.

`attention_weights` (the softmax P below, as a plain array function) is shared by the op's
forward and by callers that want to look at the weights (return_weights / need_weights).
"""

import math

from minigrad.autograd import Function
from minigrad.ops import kernels
from minigrad.ops.softmax import stable_max


def attention_weights(xp, q, k, bias, keep, scale):
    """P = softmax(scale · Q Kᵀ + B) row by row, masked keys removed: (..., L, S) arrays.

    q: (..., L, d), k: (..., S, d); bias: an additive float mask or None; keep: a boolean mask
    (True = may attend) or None; both broadcast to (..., L, S). A fully masked row has no
    softmax (e^{-inf} summed is 0 and 0/0 = nan); its weights are defined to be 0.
    """
    scores = q @ xp.swapaxes(k, -1, -2)  # (..., L, d) @ (..., d, S) -> (..., L, S), new
    scores *= scale  # in place: the scores are the biggest array here, (..., L, S)
    if bias is not None:
        scores = scores + bias  # (may broadcast scores up to the mask's batch shape)
    if keep is not None:
        # Remove masked keys by adding -inf (0 where a key may be seen): one addition, where
        # xp.where(keep, scores, -inf) over every score is ~6x slower in NumPy.
        scores = scores + xp.where(keep, 0.0, -math.inf).astype(scores.dtype)
    scores -= stable_max(xp, scores, -1)  # in place; every entry ≤ 0 (fully masked row: -inf)
    p = xp.exp(scores, out=scores)  # in place; masked entries become e^-inf = 0
    # Row sums. Reference: p.sum(axis=-1, keepdims=True); kernels.row_sums does it by BLAS.
    total = kernels.row_sums(xp, p)  # ≥ 1 (the row's maximum gives e^0), 0 if fully masked
    p /= xp.where(total == 0, 1.0, total)  # fully masked rows: 0 / 1 = 0
    return p


class ScaledDotProductAttention(Function):
    r"""The attention op for one batch of queries, keys and values, fused.   (F8)
    Forward, for each batch element (Q: (L, d), K: (S, d), V: (S, dv)):
        A    = scale · Q Kᵀ + B                (L, S)   B: the additive float mask (or 0)
        A_ij = -inf where the boolean mask is False (query i must not look at key j)
        P    = softmax(A), row by row          (L, S)   the attention weights; each row sums to 1
        P̃    = P ⊙ D                                    D: dropout mask, 0 or 1/(1 - p) (or 1)
        O    = P̃ V                             (L, dv)  one context vector per query
    Backward, with G = ∂L/∂O:
        ∂L/∂V = P̃ᵀ G                                     (S, dv)
        ∂L/∂P = (G Vᵀ) ⊙ D                               (L, S)
        ∂L/∂A = P ⊙ (∂L/∂P - rowsum(∂L/∂P ⊙ P))          the softmax's vector-Jacobian product
        ∂L/∂Q = scale · ∂L/∂A K                          (L, d)
        ∂L/∂K = scale · ∂L/∂Aᵀ Q                         (S, d)
        ∂L/∂B = ∂L/∂A
    The softmax Jacobian ∂P_i/∂A_j = P_i (δ_ij - P_j) is never built: the formula for ∂L/∂A
    applies it to ∂L/∂P directly, in O(L·S) instead of O(L·S²).

    A fully masked row (every key removed) is defined to have P = 0: its output is the zero
    vector and it sends no gradient anywhere (∂L/∂A = P ⊙ (...) = 0).


    apply(q, k, v, bias, keep, drop, scale): bias, keep, drop may be None. Batch dimensions
    broadcast (e.g. one key per head shared by all heads); the engine sums the gradients back
    to each input's shape.
    """

    name = "scaled_dot_product_attention"
    latex = r"""
        A = s\,Q K^{\top} + B, \quad P = \mathrm{softmax}(A), \quad O = P\,V
        \frac{\partial L}{\partial V} = P^{\top} G,
        \frac{\partial L}{\partial P} = G\,V^{\top} = G_P
        \frac{\partial L}{\partial A} = P \odot (G_P - \mathrm{rowsum}(G_P \odot P))
        \frac{\partial L}{\partial Q} = s\,\frac{\partial L}{\partial A} K,
        \frac{\partial L}{\partial K} = s\,\frac{\partial L}{\partial A}^{\top} Q,
        \frac{\partial L}{\partial B} = \frac{\partial L}{\partial A}
    """

    @staticmethod
    def forward(ctx, q, k, v, bias=None, keep=None, drop=None, scale=1.0):
        p = attention_weights(ctx.xp, q, k, bias, keep, scale)  # (..., L, S)
        p_used = p if drop is None else p * drop
        ctx.save_for_backward(q, k, v, p, drop)
        ctx.scale = scale
        return p_used @ v  # (..., L, S) @ (..., S, dv) -> (..., L, dv)

    @staticmethod
    def backward(ctx, grad):  # grad: (..., L, dv)
        q, k, v, p, drop = ctx.saved_tensors
        xp = ctx.xp
        scale = ctx.scale
        grad_q = grad_k = grad_v = grad_bias = None
        if ctx.needs_input_grad[2]:
            p_used = p if drop is None else p * drop
            grad_v = xp.swapaxes(p_used, -1, -2) @ grad  # (..., S, dv)
        if any(ctx.needs_input_grad[:2]) or ctx.needs_input_grad[3]:
            grad_p = grad @ xp.swapaxes(v, -1, -2)  # ∂L/∂P: (..., L, S), a new array
            if drop is not None:
                grad_p *= drop
            # ∂L/∂A = p * (grad_p - rowsum(grad_p * p)), in place in grad_p. Reference:
            # rowsum(a) = a.sum(axis=-1, keepdims=True); kernels.row_sums does it by BLAS.
            grad_p -= kernels.row_sums(xp, grad_p * p)
            grad_p *= p
            grad_scores = grad_p
            if ctx.needs_input_grad[3]:
                grad_bias = grad_scores.copy()  # (the next line scales grad_scores in place)
            grad_scores *= scale  # once here rather than on both grad_q and grad_k
            if ctx.needs_input_grad[0]:
                grad_q = grad_scores @ k  # (..., L, d)
            if ctx.needs_input_grad[1]:
                grad_k = xp.swapaxes(grad_scores, -1, -2) @ q  # (..., S, d)
        return grad_q, grad_k, grad_v, grad_bias, None, None, None
