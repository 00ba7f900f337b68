"""Elementwise functions of one tensor: exp, log, sqrt, abs, tanh, sigmoid, relu, gelu, clip.

Each backward is the chain rule for one function: dL/dx = dL/dy * f'(x). Where f'(x) is
cheaper to write in terms of the output y (exp, tanh, sigmoid, sqrt), the output is saved.

`stable_sigmoid` is the one stable sigmoid of minigrad, used by Sigmoid here and by
binary_cross_entropy_with_logits (ops/losses.py).
"""

import math

from minigrad._coerce import as_float
from minigrad.autograd import Function
from minigrad.ops import kernels
from minigrad.ops.special import erf


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
    """

    name = "sigmoid"
    latex = r"y = \sigma(x) = \frac{1}{1 + e^{-x}} \qquad \frac{dy}{dx} = y\,(1 - y)"

    @staticmethod
    def forward(ctx, x):
        y = stable_sigmoid(ctx.xp, x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)


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
        return grad * positive


class GELU(Function):
    """Gaussian Error Linear Unit, y = x Phi(x), Phi the standard normal CDF.
    exact ("none"):  Phi(x) = (1 + erf(x / sqrt 2)) / 2
                     dy/dx = Phi(x) + x phi(x),   phi(x) = e^(-x^2/2) / sqrt(2 pi)
    "tanh" (GPT-2):  y = x/2 (1 + tanh u),   u = sqrt(2/pi) (x + 0.044715 x^3)
                     dy/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
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
        if approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            ctx.save_for_backward(x, t)
            return 0.5 * x * (1 + t)
        # Phi(x) = (1 + erf(x / sqrt 2)) / 2 (erf: ops/special.py), updated in place: erf returns
        # a new array, and on a Transformer's widest activations every temporary avoided is a
        # pass over memory.
        cdf = erf(xp, x * _INV_SQRT_2)
        cdf += 1
        cdf *= 0.5
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        if ctx.approximate == "tanh":
            x, t = ctx.saved_tensors
            du_dx = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx), None
        x, cdf = ctx.saved_tensors
        # dL/dx = grad * (cdf + x * pdf),  pdf = e^(-x^2/2) / sqrt(2 pi). Reference:
        #     grad * (cdf + x * xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
        # kernels.gelu_backward computes the same in place (one array instead of six).
        return kernels.gelu_backward(xp, x, cdf, grad), None


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)


class Clip(Function):
    """y = min(max(x, lo), hi).   dy/dx = 1 where lo <= x <= hi, else 0 (PyTorch's clamp)."""

    name = "clip"
    latex = r"y = \min(\max(x, lo), hi) \qquad \frac{dy}{dx} = [lo \leq x \leq hi]"

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        inside = ctx.xp.ones(x.shape, dtype=bool)
        if lo is not None:
            inside = inside & (x >= lo)
        if hi is not None:
            inside = inside & (x <= hi)
        ctx.save_for_backward(inside)
        return ctx.xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None


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


def gelu(x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
    return GELU.apply(as_float(x), approximate)


def clip(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    # Python floats keep a float32 tensor float32; a NumPy float64 bound would promote it.
    lo = None if min is None else float(min)
    hi = None if max is None else float(max)
    return Clip.apply(x, lo, hi)
