"""The loss ops: cross-entropy (F2), negative log-likelihood, binary cross-entropy (F3).

Each takes backend arrays row by row and returns one loss per row (or per element); the
reductions ('mean', 'sum'), class weights, label smoothing and every argument check are in
nn/functional.py, which calls these ops.

    CrossEntropy                    softmax + F2 for class indices (the usual case)
    CrossEntropyProbs               softmax + F2 for target weights (probabilities, class weights,
                                    label smoothing)
    NLLLoss                         -w_y · log p_y for log-probabilities
    BinaryCrossEntropy              F3 on probabilities
    BinaryCrossEntropyWithLogits    F3 on logits, the stable form

Log-softmax and sigmoid come from the one stable version of each (ops/softmax.py, ops/unary.py).
"""

from minigrad.autograd import Function
from minigrad.ops.softmax import stable_log_softmax
from minigrad.ops.unary import stable_sigmoid

# --------------------------------------------------------------------------------------------
# Cross-entropy (F2) and negative log-likelihood
# --------------------------------------------------------------------------------------------


class CrossEntropy(Function):
    r"""F2 fused with softmax: one class index y_m per row of logits z (M, C).
    Forward, per row:
        log p_c = z_c - max(z) - log Σ_k e^{z_k - max(z)}      (stable_log_softmax: exponents
                                                               ≤ 0, so ±1e4 cannot overflow)
        loss    = -log p_y                                     (0 where y == ignore_index)
    Backward:
        ∂loss/∂z = p - onehot(y)        (the "(softmax(z) - y)" of F2; 0 for an ignored row,
                                         whatever arrives: with every row ignored, 'mean' is
                                         0/0 and sends inf, and PyTorch's gradient is still 0)

    apply(z, targets, ignore_index): targets an integer tensor (M,), each in [0, C) or
    ignore_index (nn.functional.cross_entropy checks the range).
    """

    name = "cross_entropy"
    latex = r"""
        \ell_m = -\ln p_{m, y_m}, \quad p_m = \mathrm{softmax}(z_m)
        \frac{\partial \ell_m}{\partial z_m} = p_m - \mathrm{onehot}(y_m)
    """

    @staticmethod
    def forward(ctx, z, targets, ignore_index=-100):
        xp = ctx.xp
        log_p = stable_log_softmax(xp, z, axis=1)  # (M, C)
        keep = targets != ignore_index  # (M,)
        picked = xp.where(keep, targets, 0)  # any valid column for ignored rows
        rows = xp.arange(z.shape[0])
        ctx.save_for_backward(log_p, picked, keep)
        return xp.where(keep, -log_p[rows, picked], 0.0).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):  # grad: (M,)
        log_p, picked, keep = ctx.saved_tensors
        xp = ctx.xp
        g = xp.where(keep, grad, 0)  # ignored rows send no gradient (not grad * 0: inf * 0)
        grad_z = xp.exp(log_p) * xp.expand_dims(g, 1)  # g p ...
        grad_z[xp.arange(log_p.shape[0]), picked] -= g  # ... - g onehot(y)
        return grad_z, None, None


class CrossEntropyProbs(Function):
    r"""F2 fused with softmax, for target weights: one cross-entropy per row of logits z (M, C)
    and target weights T (M, C) (a probability row, or a one-hot row with class weights and
    label smoothing folded in).
    Forward, per row:
        log p_c = z_c - max(z) - log Σ_k e^{z_k - max(z)}      (stable_log_softmax)
        loss    = -Σ_c T_c · log p_c
    Backward:
        ∂loss/∂z_c = p_c · Σ_k T_k - T_c        (= p - y for a probability row y: the
                                                 "(softmax(z) - y)" of F2)
        ∂loss/∂T_c = -log p_c                   (a target that requires grad, e.g. distillation)
    """

    name = "cross_entropy_probs"
    latex = r"""
        \ell = -\sum_c T_c \ln p_c, \quad p = \mathrm{softmax}(z)
        \frac{\partial \ell}{\partial z_c} = p_c \sum_k T_k - T_c,
        \frac{\partial \ell}{\partial T_c} = -\ln p_c
    """

    @staticmethod
    def forward(ctx, z, T):
        xp = ctx.xp
        log_p = stable_log_softmax(xp, z, axis=1)  # (M, C)
        ctx.save_for_backward(log_p, T)
        # A logit of -inf (a masked class) gives log p = -inf; where its weight T is 0 the term
        # must be 0, not 0 · (-inf) = nan, so those log p are replaced by 0 first.
        return -(T * xp.where(T != 0, log_p, 0.0)).sum(axis=1)  # (M,)

    @staticmethod
    def backward(ctx, grad):  # grad: (M,)
        log_p, T = ctx.saved_tensors
        xp = ctx.xp
        g = xp.expand_dims(grad, 1)  # (M, 1)
        grad_z = grad_T = None
        if ctx.needs_input_grad[0]:
            p = xp.exp(log_p)
            grad_z = g * (p * T.sum(axis=1, keepdims=True) - T)
        if ctx.needs_input_grad[1]:
            grad_T = -g * log_p
        return grad_z, grad_T


class NLLLoss(Function):
    r"""Negative log-likelihood of log-probabilities L (M, C) with one class index y_m per row:
        loss_m = -w_{y_m} · L_{m, y_m}          (0 where y_m == ignore_index)
        ∂loss_m/∂L_{m,c} = -w_{y_m} if c = y_m, else 0      (0 for an ignored row, whatever
                                                            arrives, as in CrossEntropy)


    apply(log_p, targets, weight, ignore_index): targets an integer tensor (M,); weight a
    constant backend array (C,) of class weights, or None for all ones.
    cross_entropy(z, y) == nll_loss(log_softmax(z), y).
    """

    name = "nll_loss"
    latex = r"""
        \ell_m = -w_{y_m} L_{m, y_m}
        \frac{\partial \ell_m}{\partial L_{m,c}} = -w_{y_m}\,[c = y_m]
    """

    @staticmethod
    def forward(ctx, log_p, targets, weight=None, ignore_index=-100):
        xp = ctx.xp
        keep = targets != ignore_index  # (M,)
        picked = xp.where(keep, targets, 0)  # any valid column for ignored rows
        w = keep.astype(log_p.dtype)  # w_{y_m}, and 0 for ignored rows
        if weight is not None:
            w = w * weight[picked]
        ctx.save_for_backward(picked, w, keep)
        ctx.shape = log_p.shape
        chosen = log_p[xp.arange(log_p.shape[0]), picked]  # L_{m, y_m}: (M,)
        # A log-probability of -inf with weight 0 (an ignored row) must give 0, not 0·(-inf).
        return xp.where(w != 0, -w * chosen, 0.0).astype(log_p.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):  # grad: (M,)
        picked, w, keep = ctx.saved_tensors
        xp = ctx.xp
        g = xp.where(keep, grad, 0)  # ignored rows send no gradient (not 0 * grad: 0 * inf)
        grad_log_p = xp.zeros(ctx.shape, dtype=grad.dtype)
        grad_log_p[xp.arange(ctx.shape[0]), picked] = -w * g
        return grad_log_p, None, None, None


# --------------------------------------------------------------------------------------------
# Binary cross-entropy (F3)
# --------------------------------------------------------------------------------------------


def clamped_log(xp, a):
    """max(log a, -100) for a ≥ 0, without ever evaluating log(0) (which would be -inf and warn)."""
    positive = a > 0
    safe = xp.where(positive, a, 1.0)  # log is only taken of positive numbers
    return xp.where(positive, xp.maximum(xp.log(safe), -100.0), -100.0)


class BinaryCrossEntropy(Function):
    r"""F3 on probabilities p ∈ [0, 1] with targets y, elementwise:
    L = -(y · log p + (1 - y) · log(1 - p)),  each log clamped at -100 (as PyTorch), so
                                              p = 0 or 1 gives a finite loss, never log(0)
    ∂L/∂p = (p - y) / (p (1 - p)),   denominator clamped at 1e-12 (as PyTorch)
    ∂L/∂y = log(1 - p) - log p       (both logs clamped)
    """

    name = "binary_cross_entropy"
    latex = r"""
        L = -(y \ln p + (1 - y) \ln(1 - p))
        \frac{\partial L}{\partial p} = \frac{p - y}{p\,(1 - p)},
        \frac{\partial L}{\partial y} = \ln(1 - p) - \ln p
    """

    @staticmethod
    def forward(ctx, p, y):
        xp = ctx.xp
        log_p = clamped_log(xp, p)
        log_1mp = clamped_log(xp, 1.0 - p)
        ctx.save_for_backward(p, y, log_p, log_1mp)
        return -(y * log_p + (1.0 - y) * log_1mp)

    @staticmethod
    def backward(ctx, grad):
        p, y, log_p, log_1mp = ctx.saved_tensors
        xp = ctx.xp
        grad_p = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_p = grad * (p - y) / xp.maximum(p * (1.0 - p), 1e-12)
        if ctx.needs_input_grad[1]:
            grad_y = grad * (log_1mp - log_p)
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    r"""F3 on logits z (p = σ(z)), in the stable form:
    L = max(z, 0) - z·y + log(1 + e^{-|z|})     (= -[y log σ(z) + (1-y) log(1-σ(z))];
                                                 e^{-|z|} ≤ 1, so nothing overflows)
    ∂L/∂z = σ(z) - y                            (σ: stable_sigmoid)
    ∂L/∂y = -z
    """

    name = "binary_cross_entropy_with_logits"
    latex = r"""
        L = \max(z, 0) - z\,y + \ln(1 + e^{-|z|})
        \frac{\partial L}{\partial z} = \sigma(z) - y, \quad \frac{\partial L}{\partial y} = -z
    """

    @staticmethod
    def forward(ctx, z, y):
        xp = ctx.xp
        ctx.save_for_backward(z, y)
        return xp.maximum(z, 0.0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))

    @staticmethod
    def backward(ctx, grad):
        z, y = ctx.saved_tensors
        grad_z = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_z = grad * (stable_sigmoid(ctx.xp, z) - y)
        if ctx.needs_input_grad[1]:
            grad_y = -grad * z
        return grad_z, grad_y
