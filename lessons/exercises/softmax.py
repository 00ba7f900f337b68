"""Exercise: the backward of softmax over the last axis (F8, F9).

Forward, for each row x (the last axis):   y_i = e^(x_i) / Σ_j e^(x_j).

Every output y_i depends on EVERY input x_j of its row, so the Jacobian is a full matrix:

    dy_i/dx_j = y_i (δ_ij - y_j)          (δ_ij = 1 if i = j, else 0)

Your job: return dL/dx_j = Σ_i g_i dy_i/dx_j, where g = grad = dL/dy. Do not build the Jacobian:
write the sum out by hand and you get an expression with one sum over the row (use
`.sum(axis=-1, keepdims=True)` so it broadcasts back over the row).

Check your answer:   minigrad check softmax
"""

import minigrad


class Softmax(minigrad.Function):
    """y = softmax(x) along the last axis."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        # Subtracting the row maximum changes nothing mathematically but keeps e^x finite.
        e = xp.exp(x - x.max(axis=-1, keepdims=True))
        y = e / e.sum(axis=-1, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        raise NotImplementedError(
            "write dL/dx for softmax: see the module docstring and lessons/DERIVATIONS.md (F8)"
        )
