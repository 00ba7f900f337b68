"""Exercise: the backward of cross-entropy on logits (F2).

Forward, for logits z (N, C) and integer class labels t (N,):

    p = softmax(z) (each row)         L = -(1/N) Σ_n log p[n, t_n]

one number: the mean over the N rows. The labels get no gradient (return None for them).

Your job: return (dL/dz, None). The upstream gradient `grad` is dL/dL_out, a scalar (one number
in a 0-d array), and must multiply your result. Work out the derivative of one row's loss
-log p[t] with respect to z_c first (F2 in lessons/FORMULAS.md gives the answer -- and warns about
the document's wrong version), then do not forget the 1/N.

Check your answer:   minigrad check cross_entropy
"""

import minigrad


class CrossEntropy(minigrad.Function):
    """L = mean over rows of -log softmax(z)[target]."""

    @staticmethod
    def forward(ctx, logits, target):
        xp = ctx.xp
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
        ctx.save_for_backward(log_p, target)
        return -log_p[xp.arange(n), target].mean()

    @staticmethod
    def backward(ctx, grad):
        log_p, target = ctx.saved_tensors
        raise NotImplementedError(
            "write (dL/dlogits, None) for cross-entropy: see the module docstring and "
            "lessons/DERIVATIONS.md (F2)"
        )
