"""Planted mistake: dL/dx puts window k's gradient at the mirrored offset (kernel not flipped)."""

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
        grad_x = xp.zeros(x.shape, dtype=x.dtype)
        grad_weight = xp.zeros(weight.shape, dtype=weight.dtype)
        for k in range(kernel):
            window = x[:, :, k : k + out_length]
            grad_weight[:, :, k] = xp.matmul(grad, xp.swapaxes(window, -1, -2)).sum(axis=0)
            start = kernel - 1 - k  # should be k
            grad_x[:, :, start : start + out_length] += xp.matmul(weight[:, :, k].T, grad)
        return grad_x, grad_weight
