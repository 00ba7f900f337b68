"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d.

Max and average pooling look at the same windows a convolution does, so they reuse conv.py's
im2col: the windows become an axis of length kh·kw, and the pool is a max or a mean over it.
The backward sends each output's gradient back through col2im: to the one position that was the
largest (max), or spread evenly over the window (average). The 1-D ops are the 2-D ones on an
input of height 1.

Adaptive average pooling picks the windows from the output size instead (window i of n over a
length L covers [floor(i·L/n), ceil((i+1)·L/n)) ), so windows may differ in size. It is linear:
along each axis it is a matrix A of shape (n, L) with 1/|window| in each window, and
y = A_h · x · A_wᵀ, dL/dx = A_hᵀ · dL/dy · A_w.
"""

from minigrad.autograd import Function
from minigrad.ops import kernels
from minigrad.ops.conv import (
    check_input_rank,
    check_window_fits,
    col2im,
    im2col,
    int_tuple,
    pad2d,
    unpad2d,
)

# --------------------------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------------------------


def _max_windows(xp, x, kernel, stride, padding, dilation):
    """x (N, C, H, W) -> the windows (C, kh·kw, N, Ho, Wo) of x padded with -inf, so that a
    padded position is never the maximum."""
    x_pad = pad2d(xp, x, padding, value=float("-inf"))
    cols = im2col(xp, x_pad, kernel, stride, dilation)  # (C, kh, kw, N, Ho, Wo)
    c, kh, kw, n, ho, wo = cols.shape
    return cols.reshape(c, kh * kw, n, ho, wo), x_pad.shape


def _first_max(xp, windows):
    """The maximum of each window and a one-hot mask of where it is (C, kh·kw, N, Ho, Wo).

    On a tie (common after a ReLU: a window of zeros) only the FIRST largest tap is marked, as
    PyTorch does, so the gradient is not counted twice. A loop over the kh·kw taps, each an
    elementwise comparison: several times faster than argmax over a middle axis.
    """
    best = windows.max(axis=1)  # (C, N, Ho, Wo)
    one_hot = xp.empty(windows.shape, dtype=bool)
    taken = xp.zeros(best.shape, dtype=bool)
    for tap in range(windows.shape[1]):
        hit = windows[:, tap] == best
        hit &= ~taken  # a later tie does not count
        taken |= hit
        one_hot[:, tap] = hit
    return best, one_hot


def _windows_tile(shape, kernel, stride, padding, dilation):
    """Do the windows tile the input exactly (stride = kernel, no padding, no dilation, H and W
    multiples of the kernel)? Then kernels.py's max pooling needs no im2col and no col2im."""
    no_padding = all(p == 0 for pair in padding for p in pair)
    return (
        tuple(stride) == tuple(kernel)
        and no_padding
        and tuple(dilation) == (1, 1)
        and shape[2] % kernel[0] == 0
        and shape[3] % kernel[1] == 0
    )


def max_pool_indices(xp, x, kernel, stride, padding, dilation):
    """Where each maximum came from, as PyTorch reports it: the index into the flattened H·W
    plane of the (unpadded) input. (N, C, Ho, Wo), int64."""
    windows, _ = _max_windows(xp, x, kernel, stride, padding, dilation)
    arg = _first_max(xp, windows)[1].argmax(axis=1)  # (C, N, Ho, Wo): which of the kh·kw taps
    _, _, ho, wo = arg.shape
    i, j = arg // kernel[1], arg % kernel[1]  # the tap's row and column in the kernel
    rows = xp.arange(ho).reshape(1, 1, ho, 1) * stride[0] + i * dilation[0] - padding[0][0]
    columns = xp.arange(wo).reshape(1, 1, 1, wo) * stride[1] + j * dilation[1] - padding[1][0]
    index = rows * x.shape[3] + columns
    return index.transpose(1, 0, 2, 3).astype(xp.int64)


class MaxPool2d(Function):
    """y[n,c,h,w] = max over the window x_pad[n, c, h·sh + i·dh, w·sw + j·dw], 0 <= i < kh,
    0 <= j < kw (x padded with -inf).
        dL/dx = dL/dy at the window's largest position, 0 elsewhere (summed where windows
                overlap). On a tie the first largest position gets it, as in PyTorch.
    """

    name = "max_pool2d"
    latex = r"""
        y_{hw} = \max_{i,j} x_{h s_h + i d_h,\ w s_w + j d_w}
        \frac{\partial L}{\partial x} = g\ \mathrm{at\ each\ window's\ max},\ 0\ \mathrm{elsewhere}
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        xp = ctx.xp
        ctx.tiles = _windows_tile(x.shape, kernel, stride, padding, dilation)
        if ctx.tiles:
            # Reference: the general path below. kernels.max_pool2d_tiles takes the same maximum
            # and marks the same tap, reading the windows as views of x (no im2col copy).
            best, one_hot = kernels.max_pool2d_tiles(xp, x, kernel)  # (N, C, Ho, Wo), kh·kw of them
            ctx.save_for_backward(*one_hot)
            ctx.pool = (kernel,)
            return best
        windows, padded_shape = _max_windows(xp, x, kernel, stride, padding, dilation)
        best, one_hot = _first_max(xp, windows)
        ctx.save_for_backward(one_hot)  # (C, kh·kw, N, Ho, Wo)
        ctx.pool = (padded_shape, kernel, stride, padding, dilation)
        return best.transpose(1, 0, 2, 3)  # (C, N, Ho, Wo) -> (N, C, Ho, Wo)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        if ctx.tiles:
            one_hot = ctx.saved_tensors
            # Reference: the general path below, col2im(one_hot * grad); the tiles do not overlap,
            # so kernels.max_pool2d_tiles_backward writes each tap's gradient into its view.
            grad_x = kernels.max_pool2d_tiles_backward(xp, one_hot, grad, ctx.pool[0])
            return grad_x, None, None, None, None
        (one_hot,) = ctx.saved_tensors
        padded_shape, (kh, kw), stride, padding, dilation = ctx.pool
        grad_windows = one_hot * grad.transpose(1, 0, 2, 3)[:, None]  # only the maximum's tap
        c, _, n, ho, wo = grad_windows.shape
        grad_windows = grad_windows.reshape(c, kh, kw, n, ho, wo)
        grad_x = unpad2d(col2im(xp, grad_windows, padded_shape, stride, dilation), padding)
        return grad_x, None, None, None, None


class MaxPool1d(Function):
    """y[n,c,l] = max_{0 <= k < K} x_pad[n, c, l·s + k·d]: max_pool2d on an input of height 1.
    dL/dx = dL/dy at each window's largest position, 0 elsewhere."""

    name = "max_pool1d"
    latex = r"""
        y_l = \max_k x_{l s + k d}
        \frac{\partial L}{\partial x} = g\ \mathrm{at\ each\ window's\ max},\ 0\ \mathrm{elsewhere}
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        out = MaxPool2d.forward(
            ctx, x[:, :, None, :], (1, kernel), (1, stride), ((0, 0), padding), (1, dilation)
        )
        return out[:, :, 0, :]

    @staticmethod
    def backward(ctx, grad):
        grad_x = MaxPool2d.backward(ctx, grad[:, :, None, :])[0]
        return grad_x[:, :, 0, :], None, None, None, None


# --------------------------------------------------------------------------------------------
# Average pooling
# --------------------------------------------------------------------------------------------


def _avg_divisor(xp, x, kernel, stride, padding, count_include_pad):
    """How many values each window averages: kh·kw, or (count_include_pad=False) only the
    positions inside the input, counted by pooling a plane of ones."""
    if count_include_pad:
        return float(kernel[0] * kernel[1])
    ones = pad2d(xp, xp.ones((1, 1) + x.shape[2:], dtype=x.dtype), padding)
    counts = im2col(xp, ones, kernel, stride, (1, 1)).sum(axis=(1, 2))  # (1, 1, Ho, Wo)
    return counts.transpose(1, 0, 2, 3)


class AvgPool2d(Function):
    """y[n,c,h,w] = (1/D) sum_{i,j} x_pad[n, c, h·sh + i, w·sw + j]   (x padded with 0),
    D = kh·kw, or the number of unpadded positions when count_include_pad=False.
        dL/dx = dL/dy / D, spread evenly over each window (summed where windows overlap).
    """

    name = "avg_pool2d"
    latex = r"""
        y_{hw} = \frac{1}{D} \sum_{i,j} x_{h s_h + i,\ w s_w + j}
        \frac{\partial L}{\partial x} = \frac{g}{D}\ \mathrm{spread\ over\ each\ window}
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, count_include_pad):
        xp = ctx.xp
        x_pad = pad2d(xp, x, padding)
        cols = im2col(xp, x_pad, kernel, stride, (1, 1))  # (C, kh, kw, N, Ho, Wo)
        divisor = _avg_divisor(xp, x, kernel, stride, padding, count_include_pad)
        ctx.pool = (x_pad.shape, stride, padding, divisor, cols.shape)
        return cols.sum(axis=(1, 2)).transpose(1, 0, 2, 3) / divisor

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        padded_shape, stride, padding, divisor, cols_shape = ctx.pool
        share = (grad / divisor).transpose(1, 0, 2, 3)  # (C, N, Ho, Wo): each position's part
        grad_cols = xp.broadcast_to(share[:, None, None], cols_shape)
        grad_x = unpad2d(col2im(xp, grad_cols, padded_shape, stride, (1, 1)), padding)
        return grad_x, None, None, None, None


class AvgPool1d(Function):
    """y[n,c,l] = (1/D) sum_k x_pad[n, c, l·s + k]: avg_pool2d on an input of height 1.
    dL/dx = dL/dy / D, spread evenly over each window."""

    name = "avg_pool1d"
    latex = r"""
        y_l = \frac{1}{D} \sum_k x_{l s + k}
        \frac{\partial L}{\partial x} = \frac{g}{D}\ \mathrm{spread\ over\ each\ window}
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, count_include_pad):
        out = AvgPool2d.forward(
            ctx, x[:, :, None, :], (1, kernel), (1, stride), ((0, 0), padding), count_include_pad
        )
        return out[:, :, 0, :]

    @staticmethod
    def backward(ctx, grad):
        grad_x = AvgPool2d.backward(ctx, grad[:, :, None, :])[0]
        return grad_x[:, :, 0, :], None, None, None, None


# --------------------------------------------------------------------------------------------
# Adaptive average pooling
# --------------------------------------------------------------------------------------------


def adaptive_matrix(xp, size, out, dtype):
    """A (out, size): row i averages window i = [floor(i·size/out), ceil((i+1)·size/out))."""
    matrix = xp.zeros((out, size), dtype=dtype)
    for i in range(out):
        start = (i * size) // out
        end = -((-(i + 1) * size) // out)  # ceil((i + 1)·size / out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


class AdaptiveAvgPool2d(Function):
    """y = A_h · x · A_wᵀ over the last two axes (A from adaptive_matrix): a linear map.
    dL/dx = A_hᵀ · dL/dy · A_w
    """

    name = "adaptive_avg_pool2d"
    latex = r"""
        y = A_h\,x\,A_w^{\top}
        \frac{\partial L}{\partial x} = A_h^{\top}\,\frac{\partial L}{\partial y}\,A_w
    """

    @staticmethod
    def forward(ctx, x, output_size):
        xp = ctx.xp
        a_h = adaptive_matrix(xp, x.shape[2], output_size[0], x.dtype)  # (Ho, H)
        a_w = adaptive_matrix(xp, x.shape[3], output_size[1], x.dtype)  # (Wo, W)
        ctx.save_for_backward(a_h, a_w)
        return xp.matmul(xp.matmul(a_h, x), a_w.T)  # (N, C, Ho, W) -> (N, C, Ho, Wo)

    @staticmethod
    def backward(ctx, grad):
        a_h, a_w = ctx.saved_tensors
        xp = ctx.xp
        return xp.matmul(xp.matmul(a_h.T, grad), a_w), None


class AdaptiveAvgPool1d(Function):
    """y = x · Aᵀ over the last axis (A from adaptive_matrix).   dL/dx = dL/dy · A."""

    name = "adaptive_avg_pool1d"
    latex = r"""
        y = x\,A^{\top}
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,A
    """

    @staticmethod
    def forward(ctx, x, output_size):
        a = adaptive_matrix(ctx.xp, x.shape[2], output_size, x.dtype)  # (Lo, L)
        ctx.save_for_backward(a)
        return ctx.xp.matmul(x, a.T)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return ctx.xp.matmul(grad, a), None


# --------------------------------------------------------------------------------------------
# The entry points (PyTorch's torch.nn.functional signatures)
# --------------------------------------------------------------------------------------------


def pool_arguments(input, kernel_size, stride, padding, dilation, spatial, where):
    """Check a pooling call; return kernel, stride, ((lo, hi), ...) padding and dilation."""
    check_input_rank(input, spatial, where)
    kernel = int_tuple(kernel_size, spatial, "kernel_size", where)
    stride = (
        kernel if stride is None or stride == () else int_tuple(stride, spatial, "stride", where)
    )
    pads = int_tuple(padding, spatial, "padding", where, minimum=0)
    dilation = int_tuple(dilation, spatial, "dilation", where)
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise ValueError(
            f"{where}: padding {pads} must be at most half the kernel size {kernel} (every window "
            f"must contain a real input value)"
        )
    padding = tuple((p, p) for p in pads)
    check_window_fits(input.shape[2:], padding, kernel, dilation, where)
    return kernel, stride, padding, dilation


def _no_ceil_mode(ceil_mode, where):
    if ceil_mode:
        raise NotImplementedError(f"{where}: ceil_mode=True is not supported; use ceil_mode=False")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):  # fmt: skip
    """Max over windows of kernel_size along L: (N, C, L) -> (N, C, Lo); with
    return_indices=True also the position of each maximum (for max_unpool)."""
    _no_ceil_mode(ceil_mode, "max_pool1d")
    kernel, stride, padding, dilation = pool_arguments(
        input, kernel_size, stride, padding, dilation, 1, "max_pool1d"
    )
    out = MaxPool1d.apply(input, kernel[0], stride[0], padding[0], dilation[0])
    if not return_indices:
        return out
    index = max_pool_indices(
        input.xp, input.array[:, :, None, :], (1,) + kernel, (1,) + stride,
        ((0, 0),) + padding, (1,) + dilation,
    )  # fmt: skip
    return out, input._make(index[:, :, 0, :], input.device)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):  # fmt: skip
    """Max over kh×kw windows: (N, C, H, W) -> (N, C, Ho, Wo); with return_indices=True also the
    position of each maximum in the flattened H·W plane."""
    _no_ceil_mode(ceil_mode, "max_pool2d")
    kernel, stride, padding, dilation = pool_arguments(
        input, kernel_size, stride, padding, dilation, 2, "max_pool2d"
    )
    out = MaxPool2d.apply(input, kernel, stride, padding, dilation)
    if not return_indices:
        return out
    index = max_pool_indices(input.xp, input.array, kernel, stride, padding, dilation)
    return out, input._make(index, input.device)


def _avg_checks(ceil_mode, divisor_override, where):
    _no_ceil_mode(ceil_mode, where)
    if divisor_override is not None:
        raise NotImplementedError(f"{where}: divisor_override is not supported")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):  # fmt: skip
    """Mean over windows of kernel_size along L: (N, C, L) -> (N, C, Lo)."""
    _avg_checks(ceil_mode, None, "avg_pool1d")
    kernel, stride, padding, _ = pool_arguments(
        input, kernel_size, stride, padding, 1, 1, "avg_pool1d"
    )
    return AvgPool1d.apply(input, kernel[0], stride[0], padding[0], bool(count_include_pad))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):  # fmt: skip
    """Mean over kh×kw windows: (N, C, H, W) -> (N, C, Ho, Wo)."""
    _avg_checks(ceil_mode, divisor_override, "avg_pool2d")
    kernel, stride, padding, _ = pool_arguments(
        input, kernel_size, stride, padding, 1, 2, "avg_pool2d"
    )
    return AvgPool2d.apply(input, kernel, stride, padding, bool(count_include_pad))


def adaptive_output_size(input, output_size, spatial, where):
    """output_size as PyTorch takes it (an int, a tuple, None for 'keep this size')."""
    values = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,)
    values = values * spatial if len(values) == 1 else values
    sizes = input.shape[2:]
    values = tuple(s if v is None else v for v, s in zip(values, sizes))
    return int_tuple(values, spatial, "output_size", where)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length: (N, C, L) -> (N, C, output_size)."""
    check_input_rank(input, 1, "adaptive_avg_pool1d")
    (size,) = adaptive_output_size(input, output_size, 1, "adaptive_avg_pool1d")
    return AdaptiveAvgPool1d.apply(input, size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size: (N, C, H, W) -> (N, C, *output_size)."""
    check_input_rank(input, 2, "adaptive_avg_pool2d")
    size = adaptive_output_size(input, output_size, 2, "adaptive_avg_pool2d")
    return AdaptiveAvgPool2d.apply(input, size)
