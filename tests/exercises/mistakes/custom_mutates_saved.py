"""Planted mistake: ReLU's backward zeroes the saved input in place (x[x < 0] = 0)."""

import minigrad


class MyFunction(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        x[x < 0] = 0  # a mask of where the input was positive... written into x itself
        x[x > 0] = 1
        return grad * x


def example_inputs(rng):
    # away from 0, where ReLU has no derivative
    x = rng.normal(0.0, 2.0, size=(3, 4))
    return (x + 0.5 * (x > 0) - 0.5 * (x <= 0),)
