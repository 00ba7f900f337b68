"""Batch normalisation (Ioffe & Szegedy 2015): normalise each channel over the batch.

For an input (N, C, *spatial), channel c's statistics are taken over the N·spatial values that
channel has in the batch:

    mean_c = (1/m) sum x        var_c = (1/m) sum (x - mean_c)^2        (m = N·spatial)
    x̂ = (x - mean_c) / sqrt(var_c + eps)          y = γ_c x̂ + β_c

Training and evaluation differ -- the one thing to remember about BatchNorm:

* training: the batch's own mean and var are used, and running averages are updated on the
  side, running = (1 - momentum)·running + momentum·batch (the variance with Bessel's correction,
  m/(m - 1), as PyTorch does);
* eval: the running averages are used instead, so one example's output no longer depends on the
  rest of its batch. Then the layer is a fixed affine map per channel.
"""

from minigrad.autograd import Function, TensorBase


def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (1, C, 1, ...): broadcasts over N, spatial


def _batch_statistics(ctx, x, running_mean, running_var, momentum):
    """The batch's mean and (biased) var per channel; updates the running averages in place."""
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    ctx.count = x.size // x.shape[1]  # m, the number of values per channel
    if running_mean is not None:
        # A side effect, as in PyTorch's kernel: the buffers' arrays are overwritten in place so
        # that the Module (which holds the same Tensors) sees the new values.
        unbiased = var * (ctx.count / (ctx.count - 1))
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * unbiased
    return mean, var


class BatchNorm(Function):
    """y = γ x̂ + β,  x̂ = (x - mean) / sqrt(var + eps), per channel (axis 1).
    training (mean, var of the batch; both depend on x):
        dL/dx = (γ / (m·sqrt(var + eps))) · (m·g - sum(g) - x̂·sum(g·x̂))
    eval (running mean, var: constants):
        dL/dx = γ g / sqrt(var + eps)
    both:
        dL/dγ = sum(g·x̂)        dL/dβ = sum(g)
    (g = dL/dy; the sums run over every axis but the channels.) The training formula is the
    chain rule through x̂, var and mean; the two extra terms are how the batch statistics move
    when x moves.
    """

    name = "batch_norm"
    latex = r"""
        r = \sqrt{\sigma^2 + \epsilon}, \quad \hat{x} = \frac{x - \mu}{r},
        y = \gamma\,\hat{x} + \beta
        \mathrm{train:} \frac{\partial L}{\partial x} = \frac{\gamma}{m r} (m g - S_1 - \hat{x} S_2)
        \mathrm{eval:}\ \frac{\partial L}{\partial x} = \frac{\gamma\,g}{r}
        \frac{\partial L}{\partial \gamma} = S_2, \quad \frac{\partial L}{\partial \beta} = S_1,
        S_1 = \sum g, \quad S_2 = \sum g\,\hat{x}
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xp = ctx.xp
        if training:
            mean, var = _batch_statistics(ctx, x, running_mean, running_var, momentum)
        else:
            mean, var = running_mean, running_var
        shape = _channel_shape(x)
        inv_std = (1.0 / xp.sqrt(var + eps)).astype(x.dtype).reshape(shape)
        x_hat = (x - mean.reshape(shape)) * inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.training = training
        out = x_hat
        if weight is not None:
            out = out * weight.reshape(shape)
        if bias is not None:
            out = out + bias.reshape(shape)
        return out

    @staticmethod
    def backward(ctx, grad):
        x_hat, inv_std, weight = ctx.saved_tensors
        axes = (0,) + tuple(range(2, grad.ndim))
        shape = _channel_shape(grad)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            g = grad if weight is None else grad * weight.reshape(shape)  # dL/dx̂
            if ctx.training:
                m = ctx.count
                sum_g = g.sum(axis=axes).reshape(shape)
                sum_g_xhat = (g * x_hat).sum(axis=axes).reshape(shape)
                grad_x = inv_std / m * (m * g - sum_g - x_hat * sum_g_xhat)
            else:
                grad_x = g * inv_std
        if ctx.needs_input_grad[1]:
            grad_weight = (grad * x_hat).sum(axis=axes)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(axis=axes)
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


def _check_channel_tensor(t, channels, what, input):
    if t is None:
        return
    if not isinstance(t, TensorBase) or t.shape != (channels,):
        raise ValueError(
            f"batch_norm: {what} must be a tensor of shape ({channels},) for an input of shape "
            f"{input.shape} (C = {channels}), got {getattr(t, 'shape', type(t).__name__)}"
        )
    if t.dtype != input.dtype:
        raise TypeError(f"batch_norm: input is {input.dtype} but {what} is {t.dtype}")
    if t.device != input.device:
        raise RuntimeError(
            f"batch_norm: input is on '{input.device}' but {what} is on '{t.device}'"
        )


def _check_batch_norm(input, running_mean, running_var, weight, bias, training):
    if not isinstance(input, TensorBase):
        raise TypeError(f"batch_norm: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected an input (N, C, *spatial) of at least 2 dims, got shape "
            f"{input.shape}"
        )
    if input.dtype.kind != "f":
        raise TypeError(f"batch_norm: input must be a floating-point tensor, got {input.dtype}")
    channels = input.shape[1]
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):  # fmt: skip
        _check_channel_tensor(t, channels, what, input)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: evaluation (training=False) needs running_mean/running_var")
    if training and input.numel() // channels <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input of "
            f"shape {input.shape} (a batch of one example without spatial dims has no variance)"
        )


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):  # fmt: skip
    """PyTorch's F.batch_norm: normalise each channel (axis 1) of input (N, C, *spatial).

    training=True uses the batch statistics and updates running_mean / running_var in place
    (when given); training=False uses running_mean / running_var.
    """
    _check_batch_norm(input, running_mean, running_var, weight, bias, training)
    return BatchNorm.apply(
        input, weight, bias, running_mean, running_var, bool(training), float(momentum),
        float(eps),
    )  # fmt: skip
