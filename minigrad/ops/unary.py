"""Elementwise functions of one tensor: exp, log, sqrt, abs, tanh, sigmoid, relu, gelu, clip.

Each backward is the chain rule for one function: dL/dx = dL/dy * f'(x). Where f'(x) is
cheaper to write in terms of the output y (exp, tanh, sigmoid, sqrt), the output is saved.

`stable_sigmoid` is the one stable sigmoid of minigrad, used by Sigmoid here and by
binary_cross_entropy_with_logits (ops/losses.py).
"""

import math

import numpy as np

from minigrad._coerce import as_float, binary_operands
from minigrad.autograd import Function
from minigrad.ops import kernels
from minigrad.ops.special import erf, upcast_half


def stable_sigmoid(xp, x):
    """σ(x) = 1 / (1 + e^-x) for an array, without overflow for any x.

    e^-x overflows for x < -88 in float32, so the formula is written with e^-|x| ∈ (0, 1]:
        x ≥ 0:  σ(x) = 1 / (1 + e^-|x|)
        x < 0:  σ(x) = e^x / (1 + e^x) = e^-|x| / (1 + e^-|x|)
    """
    e = xp.exp(-xp.abs(x))  # in (0, 1]: never overflows
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Exp(Function):
    """y = e^x.        dy/dx = e^x = y."""

    name = "exp"
    latex = r"y = e^x \qquad \frac{dy}{dx} = e^x = y"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Function):
    """y = ln x.       dy/dx = 1/x."""

    name = "log"
    latex = r"y = \ln x \qquad \frac{dy}{dx} = \frac{1}{x}"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    """y = sqrt(x).    dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)."""

    name = "sqrt"
    latex = r"y = \sqrt{x} \qquad \frac{dy}{dx} = \frac{1}{2\sqrt{x}} = \frac{1}{2y}"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (2 * y)


class Abs(Function):
    """y = |x|.        dy/dx = sign(x)  (0 at x = 0, as in PyTorch)."""

    name = "abs"
    latex = r"y = |x| \qquad \frac{dy}{dx} = \mathrm{sign}(x) \quad (0\ \mathrm{at}\ x = 0)"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ctx.xp.sign(x)


class Tanh(Function):
    """y = tanh x.     dy/dx = 1 - tanh^2 x = 1 - y^2.   (F6)"""

    name = "tanh"
    latex = r"y = \tanh x \qquad \frac{dy}{dx} = 1 - \tanh^2 x = 1 - y^2"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class Sigmoid(Function):
    """y = sigma(x) = 1 / (1 + e^-x).     dy/dx = y (1 - y).   (F6)

    The forward is `stable_sigmoid` (above): e^... never overflows for large |x|.
    float16 is computed in float32 and rounded once (upcast_half, ops/special.py), as PyTorch.
    """

    name = "sigmoid"
    latex = r"y = \sigma(x) = \frac{1}{1 + e^{-x}} \qquad \frac{dy}{dx} = y\,(1 - y)"

    @staticmethod
    def forward(ctx, x):
        y = stable_sigmoid(ctx.xp, upcast_half(x)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        y, g = upcast_half(y), upcast_half(grad)
        return (g * y * (1 - y)).astype(grad.dtype, copy=False)


class ReLU(Function):
    """y = max(0, x).  dy/dx = 1 if x > 0 else 0.   (F6)"""

    name = "relu"
    latex = r"y = \max(0, x) \qquad \frac{dy}{dx} = [x > 0]"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x > 0)
        return ctx.xp.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved_tensors
        # Reference: xp.where(positive, grad, 0). Select, not multiply: a NaN arriving where
        # x <= 0 gives 0 there, as in PyTorch (NaN * 0 would be NaN).
        return kernels.select(ctx.xp, positive, grad)


class LeakyReLU(Function):
    """y = x if x > 0 else a x.  dy/dx = 1 if x > 0 else a (a: negative_slope; F6's ReLU with
    a small slope on the left, so a unit that is off still passes a gradient; GANs use it)."""

    name = "leaky_relu"
    latex = r"y = x\,[x > 0] + a x\,[x \leq 0] \qquad \frac{dy}{dx} = [x > 0] + a\,[x \leq 0]"

    @staticmethod
    def forward(ctx, x, negative_slope):
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.negative_slope = negative_slope
        return ctx.xp.where(positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved_tensors
        # At x = 0 the slope is a, as in PyTorch. where, not a multiply by a 0/1 mask: a NaN
        # gradient on one side does not leak to the other.
        return ctx.xp.where(positive, grad, grad * ctx.negative_slope), None


class GELU(Function):
    """Gaussian Error Linear Unit, y = x Phi(x), Phi the standard normal CDF.
    exact ("none"):  Phi(x) = (1 + erf(x / sqrt 2)) / 2
                     dy/dx = Phi(x) + x phi(x),   phi(x) = e^(-x^2/2) / sqrt(2 pi)
    "tanh" (GPT-2):  y = x/2 (1 + tanh u),   u = sqrt(2/pi) (x + 0.044715 x^3)
                     dy/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)

    float16 is computed in float32 and rounded once (upcast_half, ops/special.py), as PyTorch:
    in float16, erf's polynomials overflow from |x| ~ 5 (nan), and x^3 from |x| = 41.
    """

    name = "gelu"
    latex = r"""
        y = x\,\Phi(x),
        \Phi(x) = \frac{1}{2}\left(1 + \mathrm{erf}\,\frac{x}{\sqrt{2}}\right)
        \frac{dy}{dx} = \Phi(x) + x\,\phi(x), \quad \phi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}
    """

    @staticmethod
    def forward(ctx, x, approximate="none"):
        xp = ctx.xp
        ctx.approximate = approximate
        dtype = x.dtype
        x = upcast_half(x)  # saved as float32 too: the backward needs the same x
        if approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            ctx.save_for_backward(x, t)
            return (0.5 * x * (1 + t)).astype(dtype, copy=False)
        # Phi(x) = (1 + erf(x / sqrt 2)) / 2 (erf: ops/special.py), updated in place: erf returns
        # a new array, and on a Transformer's widest activations every temporary avoided is a
        # pass over memory.
        cdf = erf(xp, x * _INV_SQRT_2)
        cdf += 1
        cdf *= 0.5
        ctx.save_for_backward(x, cdf)
        return (x * cdf).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        dtype = grad.dtype
        grad = upcast_half(grad)
        if ctx.approximate == "tanh":
            x, t = ctx.saved_tensors
            du_dx = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            grad_x = grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)
            return grad_x.astype(dtype, copy=False), None
        x, cdf = ctx.saved_tensors
        # dL/dx = grad * (cdf + x * pdf),  pdf = e^(-x^2/2) / sqrt(2 pi). Reference:
        #     grad * (cdf + x * xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
        # kernels.gelu_backward computes the same in place (one array instead of six).
        return kernels.gelu_backward(xp, x, cdf, grad).astype(dtype, copy=False), None


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)


class Clip(Function):
    """y = min(max(x, lo), hi)   (PyTorch's clamp; where lo > hi the result is hi).
    dy/dx  = 1 where lo <= x <= hi, else 0
    dy/dlo = 1 where x < lo < hi          (there the output is lo)
    dy/dhi = 1 where max(x, lo) > hi      (there the output is hi)

    A bound may be left out (None); a bound that is a number gets no gradient. These are
    PyTorch's choices at the kinks (x == lo, x == hi): the gradient goes to x.
    """

    name = "clip"
    latex = r"y = \min(\max(x, lo), hi) \qquad \frac{dy}{dx} = [lo \leq x \leq hi]"

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        xp = ctx.xp
        need_x, need_lo, need_hi = ctx.needs_input_grad
        # Masks, not x itself, are saved: changing x in place later does not spoil backward.
        x_mask = lo_mask = hi_mask = None
        if need_x:
            x_mask = xp.ones(x.shape, dtype=bool)
            if lo is not None:
                x_mask = x_mask & (x >= lo)
            if hi is not None:
                x_mask = x_mask & (x <= hi)
        if need_lo:
            lo_mask = (x < lo) if hi is None else (x < lo) & (lo < hi)
        if need_hi:
            hi_mask = (x > hi) if lo is None else xp.maximum(x, lo) > hi
        ctx.save_for_backward(x_mask, lo_mask, hi_mask)
        return xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        x_mask, lo_mask, hi_mask = ctx.saved_tensors
        # Reference: xp.where(mask, grad, 0) (select: NaN * 0 would leak a NaN where it is 0)
        masks = (x_mask, lo_mask, hi_mask)
        return tuple(None if mask is None else kernels.select(ctx.xp, mask, grad) for mask in masks)


class Log2(Function):
    """y = log2 x = ln x / ln 2.       dy/dx = 1 / (x ln 2)."""

    name = "log2"
    latex = r"y = \log_2 x \qquad \frac{dy}{dx} = \frac{1}{x \ln 2}"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log2(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * _LN_2)


class Log10(Function):
    """y = log10 x = ln x / ln 10.     dy/dx = 1 / (x ln 10)."""

    name = "log10"
    latex = r"y = \log_{10} x \qquad \frac{dy}{dx} = \frac{1}{x \ln 10}"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log10(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * _LN_10)


_LN_2 = math.log(2)
_LN_10 = math.log(10)


class Exp2(Function):
    """y = 2^x.        dy/dx = 2^x ln 2 = y ln 2."""

    name = "exp2"
    latex = r"y = 2^x \qquad \frac{dy}{dx} = 2^x \ln 2 = y \ln 2"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * _LN_2


class Log1p(Function):
    """y = ln(1 + x), accurate for tiny x (where 1 + x rounds to 1).     dy/dx = 1 / (1 + x)."""

    name = "log1p"
    latex = r"y = \ln(1 + x) \qquad \frac{dy}{dx} = \frac{1}{1 + x}"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + x)


class Expm1(Function):
    """y = e^x - 1, accurate for tiny x.     dy/dx = e^x = y + 1."""

    name = "expm1"
    latex = r"y = e^x - 1 \qquad \frac{dy}{dx} = e^x = y + 1"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y + 1)


class Sin(Function):
    """y = sin x.      dy/dx = cos x."""

    name = "sin"
    latex = r"y = \sin x \qquad \frac{dy}{dx} = \cos x"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ctx.xp.cos(x)


class Cos(Function):
    """y = cos x.      dy/dx = -sin x."""

    name = "cos"
    latex = r"y = \cos x \qquad \frac{dy}{dx} = -\sin x"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * ctx.xp.sin(x)


class Tan(Function):
    """y = tan x.      dy/dx = 1 + tan^2 x = 1 + y^2."""

    name = "tan"
    latex = r"y = \tan x \qquad \frac{dy}{dx} = 1 + \tan^2 x = 1 + y^2"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 + y * y)


# Step functions: sign, floor, ceil, round and trunc are flat between their jumps, so
# dy/dx = 0 wherever the derivative exists, and PyTorch defines it as 0 at the jumps too. Their
# backward returns zeros (not None): the input does get a gradient, and it is 0. On integer
# tensors they return the numbers unchanged (sign aside), keeping the integer dtype, as in
# PyTorch (NumPy's floor would give float64).


class Sign(Function):
    """y = sign x in {-1, 0, 1}.     dy/dx = 0."""

    name = "sign"
    latex = r"y = \mathrm{sign}\,x \in \{-1, 0, 1\} \qquad \frac{dy}{dx} = 0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype == bool:
            return x.copy()  # sign(True) = True, sign(False) = False
        return ctx.xp.sign(x)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.zeros_like(grad)


class Floor(Function):
    """y = the largest integer <= x.     dy/dx = 0."""

    name = "floor"
    latex = r"y = \lfloor x \rfloor \qquad \frac{dy}{dx} = 0"

    @staticmethod
    def forward(ctx, x):
        return x.copy() if x.dtype.kind in "iub" else ctx.xp.floor(x)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.zeros_like(grad)


class Ceil(Function):
    """y = the smallest integer >= x.    dy/dx = 0."""

    name = "ceil"
    latex = r"y = \lceil x \rceil \qquad \frac{dy}{dx} = 0"

    @staticmethod
    def forward(ctx, x):
        return x.copy() if x.dtype.kind in "iub" else ctx.xp.ceil(x)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.zeros_like(grad)


class Round(Function):
    """y = x rounded to `decimals` decimal places, halves to even (round(2.5) = 2, as PyTorch
    and NumPy do).     dy/dx = 0."""

    name = "round"
    latex = r"y = \mathrm{round}(x) \quad (\mathrm{halves\ to\ even}) \qquad \frac{dy}{dx} = 0"

    @staticmethod
    def forward(ctx, x, decimals=0):
        return x.copy() if x.dtype.kind in "iub" else ctx.xp.round(x, decimals)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.zeros_like(grad), None


class Trunc(Function):
    """y = x with its fractional part dropped (towards zero).     dy/dx = 0."""

    name = "trunc"
    latex = r"y = \mathrm{trunc}(x) \qquad \frac{dy}{dx} = 0"

    @staticmethod
    def forward(ctx, x):
        return x.copy() if x.dtype.kind in "iub" else ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.zeros_like(grad)


# --------------------------------------------------------------------------------------------
# The entry points (`x.exp()`, `minigrad.exp(x)`): integer tensors become the default float
# dtype first, as in PyTorch.
# --------------------------------------------------------------------------------------------


def exp(x):
    return Exp.apply(as_float(x))


def log(x):
    return Log.apply(as_float(x))


def sqrt(x):
    return Sqrt.apply(as_float(x))


def abs(x):
    return Abs.apply(x)


def tanh(x):
    return Tanh.apply(as_float(x))


def sigmoid(x):
    return Sigmoid.apply(as_float(x))


def relu(x):
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
        raise TypeError(
            f"leaky_relu: negative_slope must be a number, got {type(negative_slope).__name__}"
        )
    if not x.is_floating_point():
        raise TypeError(f"leaky_relu: expected a floating-point tensor, got {x.dtype}")
    return LeakyReLU.apply(x, float(negative_slope))


def gelu(x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
    return GELU.apply(as_float(x), approximate)


def clip(x, min=None, max=None):
    """Clamp x into [min, max] (either may be left out): numbers or tensors that broadcast.

    The result has x's dtype, as in PyTorch: an integer tensor clipped by integers stays an
    integer tensor (class indices stay usable), while a float bound makes it float.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of 'min' or 'max' must be given (not None)")
    lo = hi = None
    if min is not None:
        x, lo = binary_operands(x, _plain(min), "clip")
    if max is not None:
        x, hi = binary_operands(x, _plain(max), "clip")
        if lo is not None and lo.dtype != x.dtype:  # a float max made an integer x float
            x, lo = binary_operands(x, lo, "clip")
    return Clip.apply(x, lo, hi)


def _plain(bound):
    """A NumPy scalar bound (np.float64(0.5)) counts as a Python number: it takes x's dtype."""
    return bound.item() if isinstance(bound, np.generic) else bound


# More elementwise functions: the float-valued ones make integer tensors float first; the step
# functions keep integer dtypes.


def log2(x):
    return Log2.apply(as_float(x))


def log10(x):
    return Log10.apply(as_float(x))


def exp2(x):
    return Exp2.apply(as_float(x))


def log1p(x):
    return Log1p.apply(as_float(x))


def expm1(x):
    return Expm1.apply(as_float(x))


def sin(x):
    return Sin.apply(as_float(x))


def cos(x):
    return Cos.apply(as_float(x))


def tan(x):
    return Tan.apply(as_float(x))


def sign(x):
    return Sign.apply(x)


def floor(x):
    return Floor.apply(x)


def ceil(x):
    return Ceil.apply(x)


def round(x, *, decimals=0):  # noqa: A001 - PyTorch's name (torch.round)
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"round: decimals must be an int, not {type(decimals).__name__}")
    if decimals != 0 and x.dtype.kind != "f":
        raise TypeError(f"round: decimals={decimals} needs a float tensor, not {x.dtype}")
    return Round.apply(x, decimals)


def trunc(x):
    return Trunc.apply(x)
