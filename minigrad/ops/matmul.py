"""Matrix multiplication, with NumPy's batching and 1-D rules."""

from minigrad._coerce import binary_operands, broadcast_pair
from minigrad.autograd import Function


class MatMul(Function):
    """C = A @ B,  C_ij = sum_k A_ik B_kj.
        dL/dA = dL/dC @ B^T        dL/dB = A^T @ dL/dC

    Leading (batch) dimensions broadcast; the engine sums the gradients back over them.
    A 1-D operand is a vector: as A it is treated as a row (1, k), as B as a column (k, 1), and
    that extra axis is removed from the result -- the backward re-inserts it to use the same
    two formulas.
    """

    name = "matmul"
    latex = r"""
        C = A\,B, \quad C_{ij} = \sum_k A_{ik} B_{kj}
        \frac{\partial L}{\partial A} = G\,B^{\top},
        \frac{\partial L}{\partial B} = A^{\top} G
    """

    @staticmethod
    def forward(ctx, a, b):
        # Save only what backward will use: dL/dA needs B, dL/dB needs A.
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        ctx.a_ndim, ctx.b_ndim = a.ndim, b.ndim
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        xp = ctx.xp
        if ctx.b_ndim == 1:
            grad = grad[..., None]  # put back the column axis of b's result
        if ctx.a_ndim == 1:
            grad = grad[..., None, :]  # put back the row axis of a's result
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            b2 = b[:, None] if b.ndim == 1 else b  # (k, 1) column vector
            grad_a = xp.matmul(grad, xp.swapaxes(b2, -1, -2))  # (..., m, k)
            if ctx.a_ndim == 1:
                grad_a = grad_a[..., 0, :]
        if ctx.needs_input_grad[1]:
            a2 = a[None, :] if a.ndim == 1 else a  # (1, k) row vector
            grad_b = xp.matmul(xp.swapaxes(a2, -1, -2), grad)  # (..., k, n)
            if ctx.b_ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def matmul(a, b):
    """Matrix product with NumPy's rules: batch dimensions broadcast, 1-D operands as vectors."""
    a, b = binary_operands(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}"
            " (use * to multiply by a scalar)"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: cannot multiply shapes {a.shape} and {b.shape}: the inner dimensions "
            f"{k_a} and {k_b} differ"
        )
    if a.ndim > 2 or b.ndim > 2:
        broadcast_pair(a.shape[:-2], b.shape[:-2], "matmul (batch dimensions)")
    return MatMul.apply(a, b)
