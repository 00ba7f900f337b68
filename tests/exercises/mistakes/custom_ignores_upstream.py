"""Planted mistake: softplus's local derivative returned without the upstream gradient."""

import minigrad


class MyFunction(minigrad.Function):
    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 1.0 / (1.0 + ctx.xp.exp(-x))


def example_inputs(rng):
    return (rng.normal(0.0, 3.0, size=(3, 4)),)
