"""Planted mistake: x · sin(y) with its two gradients returned in the wrong order."""

import minigrad


class MyFunction(minigrad.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * ctx.xp.sin(y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        xp = ctx.xp
        grad_x = grad * xp.sin(y)
        grad_y = grad * x * xp.cos(y)
        return grad_y, grad_x


def example_inputs(rng):
    return rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
