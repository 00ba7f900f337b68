"""Planted mistake: the upstream gradient replaced by ones."""

import minigrad


class Conv1d(minigrad.Function):
    @staticmethod
    def forward(ctx, x, weight):
        xp = ctx.xp
        n, c, length = x.shape
        o, _, kernel = weight.shape
        out_length = length - kernel + 1
        y = xp.zeros((n, o, out_length), dtype=x.dtype)
        for k in range(kernel):
            window = x[:, :, k : k + out_length]  # (N, C, L_out): x[n, c, l + k]
            y = y + xp.matmul(weight[:, :, k], window)  # (O, C) @ (N, C, L_out) -> (N, O, L_out)
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        xp = ctx.xp
        kernel = weight.shape[2]
        out_length = grad.shape[2]
        grad = xp.ones(grad.shape, dtype=grad.dtype)  # dL/dy = 1?
        grad_x = xp.zeros(x.shape, dtype=x.dtype)
        grad_weight = xp.zeros(weight.shape, dtype=weight.dtype)
        for k in range(kernel):
            window = x[:, :, k : k + out_length]  # (N, C, L_out), as in forward
            # dL/dW[o, c, k] = Σ_n Σ_l g[n, o, l] x[n, c, l + k]: (N, O, L_out) @ (N, L_out, C)
            per_sample = xp.matmul(grad, xp.swapaxes(window, -1, -2))  # (N, O, C)
            grad_weight[:, :, k] = per_sample.sum(axis=0)
            # the window's gradient goes back where the window came from, and adds up
            grad_x[:, :, k : k + out_length] += xp.matmul(weight[:, :, k].T, grad)  # (N, C, L_out)
        return grad_x, grad_weight
