"""Exercise: the backward of the logistic sigmoid (F6).

Forward:   y = σ(x) = 1 / (1 + e^(-x)), elementwise.

Your job: `backward(ctx, grad)` receives grad = dL/dy (an array shaped like y) and returns
dL/dx. By the chain rule dL/dx = dL/dy · dy/dx, and for the sigmoid dy/dx can be written with
the output alone -- differentiate 1 / (1 + e^(-x)) and express the result in terms of y.
Forward already saved y for you.

Check your answer:   minigrad check sigmoid        (or: python -m minigrad check sigmoid)
"""

import minigrad


class Sigmoid(minigrad.Function):
    """y = 1 / (1 + e^(-x))."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp  # numpy on the CPU, cupy on a GPU: use xp, not numpy
        y = 1.0 / (1.0 + xp.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        raise NotImplementedError(
            "write dL/dx for the sigmoid: see the module docstring and lessons/DERIVATIONS.md (F6)"
        )
