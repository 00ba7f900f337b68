"""Exercise: the backward of matrix multiplication, with NumPy's broadcasting rules (F7, F8).

Forward:   C = A @ B,   C_ij = Σ_k A_ik B_kj.

For plain matrices, A (n, k) and B (k, m):   dL/dA = dL/dC @ Bᵀ   and   dL/dB = Aᵀ @ dL/dC
(write out dL/dA_ik = Σ_j dL/dC_ij B_kj to see why; then check the shapes).

Broadcasting, as in NumPy's `@`:
- leading (batch) axes broadcast: A (2, 1, n, k) @ B (3, k, m) gives C (2, 3, n, m). The same
  two formulas give gradients with the broadcast batch shape; the engine sums them back to each
  input's shape for you (see `unbroadcast` in minigrad/autograd.py). Transpose with
  xp.swapaxes(x, -1, -2): `.T` would reverse the batch axes too.
- a 1-D operand is a vector: a 1-D A acts as a row (1, k) and a 1-D B as a column (k, 1), and
  that axis is dropped from C. Put the axis back (in the operand and in dL/dC) with
  xp.expand_dims, use the formulas, and drop it from the gradient again.

Check your answer:   minigrad check matmul
"""

import minigrad


class MatMul(minigrad.Function):
    """C = A @ B with batch broadcasting and 1-D operands."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        raise NotImplementedError(
            "write (dL/dA, dL/dB) for matmul (use ctx.xp): see the module docstring"
        )
