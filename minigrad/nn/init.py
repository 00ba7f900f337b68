"""Weight initialisation: fill a tensor with random numbers of the right scale, in place.

Why the scale matters: a layer y = x Wᵀ sums `fan_in` products, so if every weight has variance
s², the output's variance is about fan_in · s² · Var(x). Choosing s² ≈ 1/fan_in (times a "gain"
that makes up for what the nonlinearity removes) keeps activations from exploding or vanishing as
layers are stacked.

    Xavier/Glorot (2010):  Var(W) = gain² · 2 / (fan_in + fan_out)
    Kaiming/He (2015):     Var(W) = gain² / fan           (fan = fan_in or fan_out)
    U(-b, b) has variance b²/3, so a uniform init with standard deviation s uses b = √3 · s.

Every function here draws its numbers on the host from minigrad's global generator
(`minigrad.manual_seed` makes them repeatable), casts them to the tensor's dtype, moves them to its
device and writes them into `tensor.array`. It returns the tensor, like PyTorch's `nn.init.*_`
(the trailing underscore means "in place").
"""

import math

from minigrad import random
from minigrad.backend import get_backend


def _write(tensor, host_array):
    """Replace tensor's numbers with a NumPy array, keeping the tensor's dtype and device."""
    tensor.array = get_backend(tensor.device).asarray(host_array, dtype=tensor.dtype)
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The factor by which to scale a weight's standard deviation for a given nonlinearity.

    linear, conv, sigmoid: 1    tanh: 5/3    relu: √2    selu: 3/4
    leaky_relu with negative slope a (default 0.01): √(2 / (1 + a²))
    """
    linear_like = ["linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid"]
    if nonlinearity in linear_like:
        return 1  # an int, as PyTorch returns it
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(
                f"calculate_gain('leaky_relu'): negative slope {slope!r} is not a number"
            )
        return math.sqrt(2.0 / (1.0 + slope**2))
    known = ", ".join(linear_like + ["tanh", "relu", "leaky_relu", "selu"])
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; known: {known}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in and fan_out of a weight of shape (out, in, *kernel): in·k and out·k.

    A Linear weight (out_features, in_features) has fan_in = in_features, fan_out = out_features.
    """
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out cannot be computed for a tensor with fewer than 2 "
            f"dimensions (got shape {tuple(tensor.shape)})"
        )
    if tensor.numel() == 0:
        raise ValueError(
            f"cannot initialise a tensor with no elements (shape {tuple(tensor.shape)})"
        )
    receptive_field = 1
    for size in tensor.shape[2:]:
        receptive_field *= size
    fan_in = tensor.shape[1] * receptive_field
    fan_out = tensor.shape[0] * receptive_field
    return fan_in, fan_out


def _calculate_fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with U(a, b)."""
    generator = random.generator()
    return _write(tensor, generator.uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with N(mean, std²)."""
    generator = random.generator()
    return _write(tensor, generator.normal(mean, std, size=tensor.shape))


def constant_(tensor, val):
    """Fill with the number `val`."""
    xp = get_backend(tensor.device).xp
    tensor.array = xp.full(tensor.shape, val, dtype=tensor.dtype)
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """U(-b, b) with b = gain · √(6 / (fan_in + fan_out)),
    i.e. std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = √3 · gain / √fan, gain = calculate_gain(nonlinearity, a).

    Linear's default init is kaiming_uniform_(w, a=√5): gain = √(2/6), so b = 1/√fan_in.
    """
    fan = _calculate_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std²) with std = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    fan = _calculate_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0.0, std)
