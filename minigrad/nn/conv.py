"""Convolution layers Conv1d and Conv2d, and Dropout2d (channel dropout for conv nets).

Same names, arguments, parameter shapes and initialisation as PyTorch, so a PyTorch state_dict
loads and gives the same outputs:

    weight: (out_channels, in_channels / groups, *kernel_size)      bias: (out_channels,)
    init: weight ~ kaiming_uniform(a=√5) = U(-1/√fan_in, 1/√fan_in), bias ~ U(-1/√fan_in, ...),
          fan_in = in_channels / groups · prod(kernel_size)

The computation (im2col + one matrix product) is in minigrad/ops/conv.py.
"""

import math

from minigrad.creation import zeros
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.ops.conv import check_input_rank, check_window_fits, conv_padding, int_tuple


def _positive_int(value, what, where):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")


class _ConvNd(Module):
    """What Conv1d and Conv2d share: argument checks, parameters, init and the input checks."""

    spatial = None  # 1 or 2, set by the subclass

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, device, dtype):  # fmt: skip
        super().__init__()
        where = type(self).__name__
        _positive_int(in_channels, "in_channels", where)
        _positive_int(out_channels, "out_channels", where)
        _positive_int(groups, "groups", where)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{where}: groups={groups} must divide in_channels ({in_channels}) and "
                f"out_channels ({out_channels})"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"{where}: padding_mode={padding_mode!r} is not supported, only 'zeros'"
            )
        n = self.spatial
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = int_tuple(kernel_size, n, "kernel_size", where)
        self.stride = int_tuple(stride, n, "stride", where)
        self.dilation = int_tuple(dilation, n, "dilation", where)
        # checked now, kept as given ('same', 'valid' or ints), as PyTorch keeps it
        self._pads = conv_padding(padding, self.kernel_size, self.stride, self.dilation, where)
        self.padding = (
            padding if isinstance(padding, str) else int_tuple(padding, n, "padding", where, 0)
        )
        self.padding_mode = padding_mode
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(zeros(*shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1.0 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input):
        """Rank, channels and window size, with this layer's name in the message."""
        where = f"{type(self).__name__}({self.extra_repr()})"
        check_input_rank(input, self.spatial, where)
        if input.shape[1] != self.in_channels:
            raise ValueError(
                f"{where}: expected {self.in_channels} input channels, got an input of shape "
                f"{input.shape} with {input.shape[1]} channels (axis 1)"
            )
        check_window_fits(input.shape[2:], self._pads, self.kernel_size, self.dilation, where)

    def extra_repr(self):
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0,) * self.spatial, "valid"):
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1-D convolution over signals. x: (N, C_in, L) -> y: (N, C_out, L_out),
    L_out = (L + 2·padding - dilation·(kernel_size - 1) - 1) // stride + 1."""

    spatial = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)  # fmt: skip

    def forward(self, input):
        self._check_input(input)
        return F.conv1d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv2d(_ConvNd):
    """2-D convolution over images. x: (N, C_in, H, W) -> y: (N, C_out, H_out, W_out),
    H_out = (H + 2·padding[0] - dilation[0]·(kernel_size[0] - 1) - 1) // stride[0] + 1 (W alike)."""

    spatial = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)  # fmt: skip

    def forward(self, input):
        self._check_input(input)
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Dropout2d(Module):
    """Zero whole channels while training (see F.dropout2d); the identity in eval mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: probability p must be between 0 and 1, got {p!r}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
