"""Faster versions of a few array computations that sit on the hot paths of a Transformer.

Read the op files for the formulas; this module is only about speed. Every function here
computes exactly what a one-line reference in plain array code computes (given in its
docstring and in a comment where an op calls it), just faster:

    column_sums(xp, a)               a.sum(axis=0)                    bias gradients (Linear,
                                                                      LayerNorm)
    row_sums(xp, a)                  a.sum(axis=-1, keepdims=True)    attention's softmax
    row_means(xp, a)                 a.mean(axis=-1, keepdims=True)   LayerNorm
    gelu_backward(xp, x, cdf, grad)  grad * (cdf + x * pdf(x))        GELU's backward

The trick of the first three: a sum over one axis is a product with a vector of ones, and BLAS
does that product several times faster than NumPy's reduction (and on every core). The last one
updates one array in place instead of making a new temporary for every step.

tests/engine/test_engine_kernels.py checks each one against its reference (several shapes,
float32 and float64, empty rows and columns).
"""

import math

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def column_sums(xp, a):
    """a.sum(axis=0) for a 2-D array (M, D) -> (D,), as the product (1, ..., 1) · a."""
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


def row_sums(xp, a):
    """a.sum(axis=-1, keepdims=True) for an array (..., S) -> (..., 1), as a · (1, ..., 1)."""
    S = a.shape[-1]
    rows = a.reshape(math.prod(a.shape[:-1]), S) @ xp.ones(S, dtype=a.dtype)  # (not -1: S may be 0)
    return rows.reshape(a.shape[:-1] + (1,))


def row_means(xp, a):
    """a.mean(axis=-1, keepdims=True) for a 2-D array (M, D) -> (M, 1), as a · (1/D, ..., 1/D)."""
    D = a.shape[-1]
    if D == 0:
        return a.mean(axis=-1, keepdims=True)  # nan, as the mean of nothing is
    return (a @ xp.full(D, 1.0 / D, dtype=a.dtype)).reshape(a.shape[0], 1)


def gelu_backward(xp, x, cdf, grad):
    """grad * (cdf + x * pdf), pdf = e^(-x²/2) / √(2π): the exact GELU's dL/dx, in place.

    One new array, updated step by step, instead of a temporary per operation: on the widest
    activations of a Transformer every pass over memory counts.
    """
    out = -0.5 * x  # a new array: every step below updates it in place
    out *= x
    out = xp.exp(out)  # (not out=out: for a 0-d x, out is a NumPy scalar, not an array)
    out *= _INV_SQRT_2PI  # pdf(x)
    out *= x
    out += cdf
    out *= grad
    return out
