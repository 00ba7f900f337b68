"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d (PyTorch's names and
arguments). They have no parameters; the ops are in minigrad/ops/pooling.py.

Pooling makes a conv net's features insensitive to small shifts (the max over a window does not
care where in the window the feature was) and shrinks the feature maps, so that later layers see
a larger part of the input. Adaptive pooling fixes the OUTPUT size instead, e.g.
AdaptiveAvgPool2d(1) averages each channel to one number whatever the image size (global
average pooling, the end of a ResNet).
"""

from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.ops.conv import check_input_rank
from minigrad.ops.pooling import pool_arguments


class _MaxPoolNd(Module):
    spatial = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        if ceil_mode:
            raise NotImplementedError(f"{type(self).__name__}: ceil_mode=True is not supported")

    def _check(self, input):
        where = f"{type(self).__name__}({self.extra_repr()})"
        pool_arguments(input, self.kernel_size, self.stride, self.padding, self.dilation,
                       self.spatial, where)  # fmt: skip

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Max over windows along L: (N, C, L) -> (N, C, L_out)."""

    spatial = 1

    def forward(self, input):
        self._check(input)
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            return_indices=self.return_indices)  # fmt: skip


class MaxPool2d(_MaxPoolNd):
    """Max over kh×kw windows: (N, C, H, W) -> (N, C, H_out, W_out)."""

    spatial = 2

    def forward(self, input):
        self._check(input)
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            return_indices=self.return_indices)  # fmt: skip


class _AvgPoolNd(Module):
    spatial = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        if ceil_mode:
            raise NotImplementedError(f"{type(self).__name__}: ceil_mode=True is not supported")

    def _check(self, input):
        where = f"{type(self).__name__}({self.extra_repr()})"
        pool_arguments(input, self.kernel_size, self.stride, self.padding, 1, self.spatial, where)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over windows along L: (N, C, L) -> (N, C, L_out)."""

    spatial = 1

    def forward(self, input):
        self._check(input)
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                            count_include_pad=self.count_include_pad)  # fmt: skip


class AvgPool2d(_AvgPoolNd):
    """Mean over kh×kw windows: (N, C, H, W) -> (N, C, H_out, W_out)."""

    spatial = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):  # fmt: skip
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        if divisor_override is not None:
            raise NotImplementedError("AvgPool2d: divisor_override is not supported")
        self.divisor_override = divisor_override

    def forward(self, input):
        self._check(input)
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                            count_include_pad=self.count_include_pad)  # fmt: skip


class AdaptiveAvgPool1d(Module):
    """Average to a fixed length: (N, C, L) -> (N, C, output_size)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        check_input_rank(input, 1, f"AdaptiveAvgPool1d(output_size={self.output_size})")
        return F.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(Module):
    """Average to a fixed size: (N, C, H, W) -> (N, C, *output_size); output_size=1 is global
    average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        check_input_rank(input, 2, f"AdaptiveAvgPool2d(output_size={self.output_size})")
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
