"""Convolution (conv1d, conv2d), written as im2col + one matrix multiplication.

A convolution slides a small kernel over the input and takes a dot product at every position:

    y[n, o, h, w] = b[o] + sum_{c, i, j} W[o, c, i, j] · x[n, c, h·s + i·d, w·s + j·d]

(s the stride, d the dilation, x zero-padded first). Written out like that it is six nested
loops. The way it is taught -- and how fast libraries did it for years -- is to turn it into ONE
matrix product:

1. im2col: copy every receptive field (the C·kh·kw input values one output position sees) into
   a column of a matrix `cols` of shape (C·kh·kw, N·Ho·Wo);
2. multiply: W reshaped to (O, C·kh·kw) times cols gives (O, N·Ho·Wo), the whole output.

The backward is the same two steps backwards: dL/dW = dL/dy · colsᵀ (as for a Linear layer),
dL/dcols = Wᵀ · dL/dy, and col2im adds each column's gradient back onto the input positions it was
copied from (a position seen by several windows gets the sum). im2col here is a loop over the
kh·kw kernel offsets, each copying one strided slice of the input: plain slicing, so it runs with
any array module (NumPy, CuPy, the "strict" test device).

Groups split the channels into `groups` independent convolutions (groups = C is a depthwise
convolution): W and cols get a leading group axis and the product becomes a batched matmul.
conv1d is conv2d on an input of height 1.
"""

import numpy as np

from minigrad.autograd import Function, TensorBase

# --------------------------------------------------------------------------------------------
# im2col and col2im: the two helpers the convolution and the pooling ops are built on
# --------------------------------------------------------------------------------------------


def output_size(size, kernel, stride, dilation):
    """How many windows of `kernel` taps, `dilation` apart, fit in `size` with step `stride`."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def pad2d(xp, x, padding, value=0.0):
    """x (N, C, H, W) with padding ((top, bottom), (left, right)) filled with `value`."""
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    n, c, h, w = x.shape
    out = xp.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top : top + h, left : left + w] = x
    return out


def im2col(xp, x, kernel, stride, dilation):
    """x (N, C, H, W), already padded -> cols (C, kh, kw, N, Ho, Wo).

    cols[c, i, j, n, ho, wo] = x[n, c, ho·sh + i·dh, wo·sw + j·dw]: for each kernel offset (i, j)
    one strided slice of x. Reshaped to (C·kh·kw, N·Ho·Wo) it is the im2col matrix.
    """
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = output_size(h, kh, sh, dh), output_size(w, kw, sw, dw)
    x_cf = x.transpose(1, 0, 2, 3)  # (C, N, H, W): channels first, as the rows of cols
    cols = xp.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, i, j] = x_cf[:, :, top : top + sh * (ho - 1) + 1 : sh,
                                 left : left + sw * (wo - 1) + 1 : sw]  # fmt: skip
    return cols


def col2im(xp, cols, padded_shape, stride, dilation):
    """The adjoint of im2col: cols (C, kh, kw, N, Ho, Wo) -> (N, C, H, W), where every value is
    ADDED to the input position it was copied from (overlapping windows sum)."""
    n, c, h, w = padded_shape
    _, kh, kw, _, ho, wo = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    out = xp.zeros((c, n, h, w), dtype=cols.dtype)  # channels first, like cols
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            out[:, :, top : top + sh * (ho - 1) + 1 : sh,
                left : left + sw * (wo - 1) + 1 : sw] += cols[:, i, j]  # fmt: skip
    return out.transpose(1, 0, 2, 3)


def unpad2d(x, padding):
    """Cut the padding off again (the gradient of pad2d)."""
    (top, bottom), (left, right) = padding
    h, w = x.shape[2], x.shape[3]
    return x[:, :, top : h - bottom, left : w - right]


# --------------------------------------------------------------------------------------------
# The ops
# --------------------------------------------------------------------------------------------


def _conv2d_forward(ctx, x, weight, bias, stride, padding, dilation, groups):
    xp = ctx.xp
    n = x.shape[0]
    out_channels, _, kh, kw = weight.shape
    x_pad = pad2d(xp, x, padding)
    cols = im2col(xp, x_pad, (kh, kw), stride, dilation)  # (C, kh, kw, N, Ho, Wo)
    ho, wo = cols.shape[4], cols.shape[5]
    cols = cols.reshape(groups, -1, n * ho * wo)  # (g, C/g·kh·kw, N·Ho·Wo)
    w = weight.reshape(groups, out_channels // groups, -1)  # (g, O/g, C/g·kh·kw)
    out = xp.matmul(w, cols)  # (g, O/g, N·Ho·Wo): every output value in one product
    out = out.reshape(out_channels, n, ho, wo).transpose(1, 0, 2, 3)  # (N, O, Ho, Wo)
    if bias is not None:
        out = out + bias.reshape(1, out_channels, 1, 1)
    ctx.save_for_backward(cols if ctx.needs_input_grad[1] else None, weight)
    ctx.conv = (x_pad.shape, padding, stride, dilation, groups)
    return out


def _conv2d_backward(ctx, grad):
    """grad (N, O, Ho, Wo) -> dL/dx, dL/dW, dL/db."""
    xp = ctx.xp
    cols, weight = ctx.saved_tensors
    padded_shape, padding, stride, dilation, groups = ctx.conv
    out_channels, _, kh, kw = weight.shape
    n, _, ho, wo = grad.shape
    # (N, O, Ho, Wo) -> (g, O/g, N·Ho·Wo), the layout of the forward's product
    g = grad.transpose(1, 0, 2, 3).reshape(groups, out_channels // groups, n * ho * wo)
    grad_x = grad_w = grad_b = None
    if ctx.needs_input_grad[0]:
        w = weight.reshape(groups, out_channels // groups, -1)
        grad_cols = xp.matmul(w.transpose(0, 2, 1), g)  # Wᵀ · dL/dy: (g, C/g·kh·kw, N·Ho·Wo)
        channels = padded_shape[1]
        grad_cols = grad_cols.reshape(channels, kh, kw, n, ho, wo)
        grad_x = unpad2d(col2im(xp, grad_cols, padded_shape, stride, dilation), padding)
    if ctx.needs_input_grad[1]:
        grad_w = xp.matmul(g, cols.transpose(0, 2, 1)).reshape(weight.shape)  # dL/dy · colsᵀ
    if ctx.needs_input_grad[2]:
        grad_b = grad.sum(axis=(0, 2, 3))
    return grad_x, grad_w, grad_b


class Conv2d(Function):
    """y[n,o,h,w] = b[o] + sum_{c,i,j} W[o,c,i,j] x_pad[n, g·C/g + c, h·sh + i·dh, w·sw + j·dw]
    (g the group of output channel o), computed as im2col + matmul:
        y = W · cols + b                 cols = im2col(x_pad): (C/g·kh·kw, N·Ho·Wo) per group
        dL/dW = dL/dy · colsᵀ            dL/db = sum of dL/dy over N, Ho, Wo
        dL/dx = col2im(Wᵀ · dL/dy)       (then the padding is cut off)

    x: (N, C, H, W), W: (O, C/groups, kh, kw), b: (O,) or None -> y: (N, O, Ho, Wo).
    stride, dilation: pairs of ints; padding: ((top, bottom), (left, right)).
    """

    name = "conv2d"
    latex = r"""
        y = W \cdot \mathrm{cols} + b, \quad \mathrm{cols} = \mathrm{im2col}(x)
        \frac{\partial L}{\partial W} = G \cdot \mathrm{cols}^{\top},
        \frac{\partial L}{\partial b} = \sum_{n, h, w} G,
        \frac{\partial L}{\partial x} = \mathrm{col2im}(W^{\top} G)
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        return _conv2d_forward(ctx, x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        return (*_conv2d_backward(ctx, grad), None, None, None, None)


class Conv1d(Function):
    """y[n,o,l] = b[o] + sum_{c,k} W[o,c,k] x_pad[n, g·C/g + c, l·s + k·d]: conv2d on an input
    of height 1 (the same im2col + matmul, and the same backward).
    dL/dW = dL/dy · colsᵀ,  dL/db = sum of dL/dy over N, Lo,  dL/dx = col2im(Wᵀ · dL/dy).

    x: (N, C, L), W: (O, C/groups, k), b: (O,) or None -> y: (N, O, Lo).
    stride, dilation: ints; padding: (left, right).
    """

    name = "conv1d"
    latex = r"""
        y = W \cdot \mathrm{cols} + b, \quad \mathrm{cols} = \mathrm{im2col}(x)
        \frac{\partial L}{\partial W} = G \cdot \mathrm{cols}^{\top},
        \frac{\partial L}{\partial b} = \sum_{n, l} G,
        \frac{\partial L}{\partial x} = \mathrm{col2im}(W^{\top} G)
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        out = _conv2d_forward(
            ctx, x[:, :, None, :], weight[:, :, None, :], bias,
            (1, stride), ((0, 0), padding), (1, dilation), groups,
        )  # fmt: skip
        return out[:, :, 0, :]

    @staticmethod
    def backward(ctx, grad):
        grad_x, grad_w, grad_b = _conv2d_backward(ctx, grad[:, :, None, :])
        if grad_x is not None:
            grad_x = grad_x[:, :, 0, :]
        if grad_w is not None:
            grad_w = grad_w[:, :, 0, :]
        return grad_x, grad_w, grad_b, None, None, None, None


# --------------------------------------------------------------------------------------------
# Argument checks, shared by the ops here, the pooling ops and the nn layers
# --------------------------------------------------------------------------------------------


def int_tuple(value, n, what, where, minimum=1):
    """An int or a tuple of n ints, each >= minimum -> a tuple of n Python ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n or not all(_is_int(v) for v in values):
        raise TypeError(f"{where}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{where}: {what} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def _is_int(value):
    # bool is an int in Python, but stride=True is a mistake; NumPy integers are fine.
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def conv_padding(padding, kernel, stride, dilation, where):
    """padding as given (an int, a tuple, 'valid' or 'same') -> ((lo, hi), ...) per spatial dim.

    'same' pads so that the output has the input's size: d·(k - 1) in total per dimension, the
    odd one extra at the end (as PyTorch does); it needs stride 1.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ValueError(
                f"{where}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}"
            )
        if any(s != 1 for s in stride):
            raise ValueError(f"{where}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = int_tuple(padding, n, "padding", where, minimum=0)
    return tuple((p, p) for p in pads)


def check_input_rank(input, spatial, where):
    """input must be (N, C, *spatial) -- the batched form -- with `spatial` spatial dims."""
    if not isinstance(input, TensorBase):
        raise TypeError(f"{where}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim != 2 + spatial:
        names = {1: "(N, C, L)", 2: "(N, C, H, W)"}[spatial]
        raise ValueError(
            f"{where}: expected a {2 + spatial}-d input {names}, got shape {input.shape} "
            f"(for a single example add the batch axis: x.unsqueeze(0))"
        )
    if input.dtype.kind != "f":
        raise TypeError(f"{where}: input must be a floating-point tensor, got {input.dtype}")


def check_window_fits(spatial_size, padding, kernel, dilation, where, what="kernel size"):
    """The (dilated) window must fit in the padded input, else there is no output position."""
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial_size, padding))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(e > p for e, p in zip(effective, padded)):
        raise ValueError(
            f"{where}: {what} {kernel} (spanning {effective} with dilation {dilation}) is larger "
            f"than the padded input {padded} (input {tuple(spatial_size)}, padding "
            f"{tuple(padding)})"
        )


def _check_conv_tensors(input, weight, bias, groups, spatial, where):
    check_input_rank(input, spatial, where)
    if not isinstance(weight, TensorBase) or weight.ndim != 2 + spatial:
        raise ValueError(
            f"{where}: weight must be a {2 + spatial}-d tensor (out_channels, in_channels/groups, "
            f"*kernel), got {getattr(weight, 'shape', type(weight).__name__)}"
        )
    in_channels, out_channels = input.shape[1], weight.shape[0]
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"{where}: groups must be a positive int, got {groups!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{where}: groups={groups} must divide both the input channels ({in_channels}) and "
            f"the output channels ({out_channels})"
        )
    if weight.shape[1] * groups != in_channels:
        raise ValueError(
            f"{where}: the input has {in_channels} channels (shape {input.shape}) but the weight "
            f"{weight.shape} with groups={groups} expects {weight.shape[1] * groups}"
        )
    for other, what in ((weight, "weight"), (bias, "bias")):
        if other is None:
            continue
        if other.dtype != input.dtype:
            raise TypeError(f"{where}: input is {input.dtype} but {what} is {other.dtype}")
        if other.device != input.device:
            raise RuntimeError(
                f"{where}: input is on '{input.device}' but {what} is on '{other.device}'"
            )
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{where}: bias must have shape ({out_channels},), got {bias.shape}")


def conv_arguments(input, weight, bias, stride, padding, dilation, groups, spatial, where):
    """Check everything; return stride, padding ((lo, hi), ...) and dilation as tuples."""
    _check_conv_tensors(input, weight, bias, groups, spatial, where)
    stride = int_tuple(stride, spatial, "stride", where)
    dilation = int_tuple(dilation, spatial, "dilation", where)
    kernel = tuple(weight.shape[2:])
    pads = conv_padding(padding, kernel, stride, dilation, where)
    check_window_fits(input.shape[2:], pads, kernel, dilation, where)
    return stride, pads, dilation


# --------------------------------------------------------------------------------------------
# The entry points (PyTorch's torch.nn.functional.conv1d / conv2d signatures)
# --------------------------------------------------------------------------------------------


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution. input (N, C, L), weight (O, C/groups, k), bias (O,) -> (N, O, Lo),
    Lo = (L + pad_left + pad_right - dilation·(k - 1) - 1) // stride + 1."""
    stride, pads, dilation = conv_arguments(
        input, weight, bias, stride, padding, dilation, groups, 1, "conv1d"
    )
    return Conv1d.apply(input, weight, bias, stride[0], pads[0], dilation[0], int(groups))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution. input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,)
    -> (N, O, Ho, Wo), Ho = (H + pad_top + pad_bottom - dh·(kh - 1) - 1) // sh + 1 (Wo alike)."""
    stride, pads, dilation = conv_arguments(
        input, weight, bias, stride, padding, dilation, groups, 2, "conv2d"
    )
    return Conv2d.apply(input, weight, bias, stride, pads, dilation, int(groups))
