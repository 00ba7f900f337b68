"""Faster versions of a few array computations that sit on the hot paths of a Transformer or a CNN.

Read the op files for the formulas; this module is only about speed. Every function here
computes exactly what a one-line reference in plain array code computes (given in its
docstring and in a comment where an op calls it), just faster:

    column_sums(xp, a)               a.sum(axis=0)                    bias gradients (Linear,
                                                                      LayerNorm)
    row_sums(xp, a)                  a.sum(axis=-1, keepdims=True)    attention's softmax
    row_means(xp, a)                 a.mean(axis=-1, keepdims=True)   LayerNorm
    gelu_backward(xp, x, cdf, grad)  grad * (cdf + x * pdf(x))        GELU's backward
    max_pool2d_tiles(xp, x, kernel)  im2col windows, max, first-max   max pooling whose windows
    max_pool2d_tiles_backward(...)   col2im(one_hot * grad)           tile the input
    select(xp, mask, values)         xp.where(mask, values, 0)        ReLU, clip, max, maximum

The trick of the first three: a sum over one axis is a product with a vector of ones, and BLAS
does that product several times faster than NumPy's reduction (and on every core). gelu_backward
updates one array in place instead of making a new temporary for every step. The max pooling
pair: when the windows tile the input (stride = kernel, no padding, no dilation, the most common
pooling by far), tap (i, j) of every window is one strided VIEW of the input, so no window is
copied (no im2col) and no gradient is added up (no col2im): each input position belongs to
exactly one window.

tests/engine/test_engine_kernels.py checks each one against its reference (several shapes,
float32 and float64, empty rows and columns).
"""

import math

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def select(xp, mask, values):
    """xp.where(mask, values, 0): the gradient where an op let it through, 0 elsewhere.

    A mask op's backward must select, not multiply: NaN * 0 is NaN, so a NaN (or inf) gradient
    would reach the inputs the op blocked (PyTorch gives them 0). But NumPy's where is about 15
    times slower than a multiply on an irregular mask, and ReLU's backward runs on every step.
    `values * mask` is the same array whenever `values` is finite (one sum tells: a NaN or inf
    anywhere makes it non-finite), so NumPy multiplies then, and selects only otherwise. Other
    backends (CuPy) select directly: their where is fast, and a check would wait for the GPU.
    """
    if getattr(xp, "__name__", "") == "numpy" and math.isfinite(values.sum()):
        return values * mask
    return xp.where(mask, values, 0)


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


def _tile_taps(x, kernel):
    """x (N, C, H, W), H and W multiples of the kernel -> the kh·kw taps of its tiles, in
    row-major window order: tap (i, j) = x[:, :, i::kh, j::kw], a view (N, C, H/kh, W/kw)."""
    n, c, h, w = x.shape
    kh, kw = kernel
    tiles = x.reshape(n, c, h // kh, kh, w // kw, kw)  # splitting axes: always a view
    return [tiles[:, :, :, i, :, j] for i in range(kh) for j in range(kw)]


def max_pool2d_tiles(xp, x, kernel):
    """Max pooling with stride = kernel, no padding, dilation 1, H and W multiples of the kernel.

    x (N, C, H, W) -> best (N, C, H/kh, W/kw) and one_hot, a list of kh·kw bool arrays of that
    shape: the maximum of each window and where it is, only the FIRST largest tap marked (as
    PyTorch does).
    Reference (pooling.py's general path): windows = im2col(x) as (C, kh·kw, N, Ho, Wo),
    best = windows.max(axis=1), one_hot = the first tap equal to best -- the same values,
    best transposed to (N, C, Ho, Wo) and one_hot[t] = tap t.
    The results keep x's memory order (empty_like): a conv output is channels-first in memory,
    and the passes below (and the backward's) are faster when all their arrays agree.
    """
    taps = _tile_taps(x, kernel)
    best = xp.empty_like(taps[0])
    xp.maximum(taps[0], taps[-1], out=best)  # NaN propagates, as in .max()
    for tap in taps[1:-1]:
        xp.maximum(best, tap, out=best)
    one_hot = [xp.empty_like(best, dtype=bool) for _ in taps]
    xp.equal(taps[0], best, out=one_hot[0])
    taken = one_hot[0].copy(order="K")  # windows whose maximum is already marked
    for tap, hit in zip(taps[1:], one_hot[1:]):
        xp.equal(tap, best, out=hit)
        xp.greater(hit, taken, out=hit)  # hit and not taken: a later tie does not count
        taken |= hit
    return best, one_hot


def max_pool2d_tiles_backward(xp, one_hot, grad, kernel):
    """dL/dx of max_pool2d_tiles: grad (N, C, Ho, Wo) at each window's marked tap, 0 elsewhere.

    Reference (pooling.py's general path): col2im(one_hot * grad) -- zeros, then every tap's
    gradient added in. The tiles do not overlap, so here each tap's values are simply written
    into their strided view of dL/dx. dL/dx gets the memory order of x (which one_hot kept):
    the ops before the pooling (ReLU, a convolution's backward) then read it in their order.
    """
    n, c, ho, wo = grad.shape
    kh, kw = kernel
    grad_x = xp.empty_like(one_hot[0], dtype=grad.dtype, shape=(n, c, ho * kh, wo * kw))
    for tap, hit in zip(_tile_taps(grad_x, kernel), one_hot, strict=True):
        xp.multiply(grad, hit, out=tap)
    return grad_x
