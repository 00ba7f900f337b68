"""Exercise: the backward of a 1-D convolution (F15).

Forward, with x (N, C, L), the kernel W = weight (O, C, K) and L_out = L - K + 1
(stride 1, no padding, no dilation, no bias):

    y[n, o, l] = Σ_c Σ_k W[o, c, k] · x[n, c, l + k]          y: (N, O, L_out)

Each output position l looks at the window x[n, :, l : l + K]; the same W slides over all of
them (and over all N samples). The forward below loops over the K kernel positions: for one k,
W[:, :, k] (O, C) multiplies the shifted slice x[:, :, k : k + L_out] (N, C, L_out).

Your job: return (dL/dx, dL/dweight) given grad = g = dL/dy (N, O, L_out), shaped like x and
like weight. Differentiate the sum above (F15 in lessons/FORMULAS.md works it out):

- dL/dW[o, c, k] = Σ_n Σ_l g[n, o, l] · x[n, c, l + k]
  (x correlated with g; every sample and every position adds to the one shared W)
- dL/dx[n, c, j] = Σ_o Σ_k W[o, c, k] · g[n, o, j - k]   (the terms with 0 ≤ j - k < L_out)
  (x[n, c, j] is read by K windows, so its gradient adds K contributions: a "full" correlation
  of g with the flipped kernel, or, loop-wise, "put each window's gradient back where it came
  from and add")

Loop over k as the forward does. Use ctx.xp (xp.zeros, xp.matmul, xp.swapaxes), not numpy:
the checker also runs your backward on a stand-in for a GPU.

Check your answer:   minigrad check conv1d
"""

import minigrad


class Conv1d(minigrad.Function):
    """y = conv1d(x, weight): stride 1, no padding, no bias."""

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
        raise NotImplementedError(
            "write (dL/dx, dL/dweight) for conv1d (use ctx.xp): see the module docstring and "
            "lessons/DERIVATIONS.md (F15)"
        )
