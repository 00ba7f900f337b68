"""linear: y = x Wᵀ + b as one op (the op behind nn.functional.linear and the nn.Linear layer)."""

import math

from minigrad.autograd import Function
from minigrad.ops import kernels


class Linear(Function):
    r"""The linear op, y = x Wᵀ + b, fused: the leading axes of x are rows of one matrix
    product.   (F7, F11)   (The layer that holds W and b is nn.Linear; this is its op.)
    Forward, with X = x reshaped to (M, in) (M = the product of the leading axes):
        Y = X Wᵀ + b                      (M, out), then reshaped to (..., out)
    Backward, with G = ∂L/∂Y (M, out):
        ∂L/∂X = G W                       (M, in)
        ∂L/∂W = Gᵀ X                      (out, in): one product over all M rows
        ∂L/∂b = Σ_rows G                  (out,)

    The same numbers as `x @ W.T + b`, in one graph node instead of three, and without the
    (..., in, out) per-batch weight gradients that a batched matmul would make and then sum.
    bias may be None. nn.functional.linear checks the arguments (shapes, dtypes) first.
    """

    name = "linear"
    latex = r"""
        y = x\,W^{\top} + b
        \frac{\partial L}{\partial x} = G\,W, \quad \frac{\partial L}{\partial W} = G^{\top} x,
        \frac{\partial L}{\partial b} = \sum_{\mathrm{rows}} G
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        rows = math.prod(x.shape[:-1])
        x_rows = x.reshape(rows, x.shape[-1])  # a view when x is contiguous (the usual case)
        y = x_rows @ weight.T  # (M, in) @ (in, out): BLAS reads Wᵀ as a view, no copy
        if bias is not None:
            y += bias  # in place: y is a new array that nothing else holds yet
        ctx.save_for_backward(x_rows, weight)
        ctx.x_shape = x.shape
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):  # grad: (..., out)
        x_rows, weight = ctx.saved_tensors
        g = grad.reshape(x_rows.shape[0], weight.shape[0])  # G: (M, out)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = (g @ weight).reshape(ctx.x_shape)  # G W
        if ctx.needs_input_grad[1]:
            grad_weight = g.T @ x_rows  # Gᵀ X
        if ctx.needs_input_grad[2]:
            # Σ_rows G. Reference: g.sum(axis=0); kernels.column_sums does it by BLAS.
            grad_bias = kernels.column_sums(ctx.xp, g)
        return grad_x, grad_weight, grad_bias
