"""Exercise: a Function of your own choice.

Pick any differentiable function -- softplus, swish x·σ(x), the hypotenuse √(x² + y²), a
polynomial, your favourite activation -- and write it as a minigrad.Function: forward and
backward. The checker compares your backward with finite differences of your forward, so it
works for anything you write. Keep:

- the class name MyFunction (any number of tensor inputs, one tensor output);
- example_inputs(rng): the inputs the checker should try, as a tuple of float64 NumPy arrays,
  drawn with the NumPy Generator `rng` (the checker calls it with many seeds). Keep them where
  your function is smooth (e.g. away from 0 for |x|, positive for log).

The starting point is softplus, y = log(1 + e^x), a smooth ReLU. Its derivative is a function
you know from F6. Replace it with your own if you like.

Check your answer:   minigrad check custom
"""

import minigrad


class MyFunction(minigrad.Function):
    """y = softplus(x) = log(1 + e^x)."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        # log(1 + e^x) = max(x, 0) + log(1 + e^(-|x|)): the exponent is never positive.
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        raise NotImplementedError("write dL/dx for your function (softplus: see F6)")


def example_inputs(rng):
    """One (3, 4) input with values around ±3."""
    return (rng.normal(0.0, 3.0, size=(3, 4)),)
