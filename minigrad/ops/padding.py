"""pad: add a border of a constant around a tensor (negative widths crop), PyTorch's F.pad.

`pad` lists the widths from the LAST axis backwards, as PyTorch does:
    F.pad(x, (1, 2))          last axis: 1 before, 2 after
    F.pad(x, (1, 1, 0, 3))    last axis: 1 and 1; the axis before it: 0 before, 3 after

mode="constant" is the op below (one node). "replicate", "reflect" and "circular" copy numbers
from inside the tensor, so they are indexing with integer arrays (the GetItem op): position p of
the padded axis reads x[index(p)], and the backward of indexing adds up the gradients of every
copy of the same element.
"""

from minigrad.autograd import Function, TensorBase
from minigrad.ops.shape import getitem

MODES = ("constant", "reflect", "replicate", "circular")


class Pad(Function):
    """Constant padding: y = x surrounded by `value` (widths (before, after) per axis; a
    negative width removes that many elements instead).
    Forward:  y = full(padded shape, value);   y[inner] = x[kept]
    Backward: ∂L/∂x[kept] = ∂L/∂y[inner], and 0 for cropped elements
              (the border is a constant: no gradient flows to it from anywhere)
    `inner` is where x's kept elements sit in y, `kept` the elements of x that are not cropped.
    """

    name = "pad"
    latex = r"""
        y_{\mathrm{inner}} = x_{\mathrm{kept}}, \quad y_{\mathrm{border}} = v
        \partial L / \partial x_{\mathrm{kept}} = \partial L / \partial y_{\mathrm{inner}}
        \frac{\partial L}{\partial x_{\mathrm{cropped}}} = 0
    """

    @staticmethod
    def forward(ctx, x, widths, value):
        inner, kept, out_shape = _regions(x.shape, widths)
        y = ctx.xp.full(out_shape, value, dtype=x.dtype)
        y[inner] = x[kept]
        ctx.inner, ctx.kept, ctx.x_shape = inner, kept, x.shape
        return y

    @staticmethod
    def backward(ctx, grad):
        grad_x = ctx.xp.zeros(ctx.x_shape, dtype=grad.dtype)
        grad_x[ctx.kept] = grad[ctx.inner]
        return grad_x, None, None


def _regions(shape, widths):
    """(inner, kept, out_shape): the slices of y and of x that hold the same numbers."""
    inner, kept, out_shape = [], [], []
    for n, (before, after) in zip(shape, widths):
        crop_before, crop_after = max(-before, 0), max(-after, 0)  # negative widths crop x
        length = n - crop_before - crop_after  # elements of x that stay
        start = max(before, 0)
        inner.append(slice(start, start + length))
        kept.append(slice(crop_before, crop_before + length))
        out_shape.append(n + before + after)
    return tuple(inner), tuple(kept), tuple(out_shape)


# ----------------------------------------------------------------------------------------------
# The entry point
# ----------------------------------------------------------------------------------------------


def _check_pad(input, pad, mode, value):
    """Validate the arguments; returns the (before, after) widths of every axis of input."""
    if not isinstance(input, TensorBase):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(pad, (tuple, list)) or not all(
        isinstance(w, int) and not isinstance(w, bool) for w in pad
    ):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2 or len(pad) > 2 * input.ndim:
        raise ValueError(
            f"pad: pad must hold an even number of widths, at most 2 per axis, (before, after) "
            f"from the last axis backwards; got {len(pad)} for a {input.ndim}-d input"
        )
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if mode != "constant" and value is not None and value != 0:
        raise ValueError(f"pad: mode '{mode}' takes no value (got value={value!r})")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    for axis, (n, (before, after)) in enumerate(zip(input.shape, widths)):
        if n + before + after < 0 or n - max(-before, 0) - max(-after, 0) < 0:
            raise ValueError(
                f"pad: widths ({before}, {after}) crop axis {axis} of size {n} below zero "
                f"(input shape {input.shape})"
            )
        if mode != "constant":
            _check_copy_widths(mode, n, before, after, axis, input.shape)
    return tuple(widths)


def _check_copy_widths(mode, n, before, after, axis, shape):
    # reflect mirrors without repeating the edge: at most n - 1 new elements on each side
    largest = n - 1 if mode == "reflect" else n if mode == "circular" else None
    if before < 0 or after < 0:
        raise ValueError(f"pad: mode '{mode}' takes no negative widths, got ({before}, {after})")
    if (before or after) and n == 0:
        raise ValueError(f"pad: mode '{mode}' cannot pad axis {axis} of size 0")
    if largest is not None and max(before, after) > largest:
        raise ValueError(
            f"pad: mode '{mode}' pads axis {axis} of size {n} by at most {largest} on each "
            f"side, got ({before}, {after}) (input shape {shape})"
        )


def _copy_index(mode, n, before, after):
    """For each position of the padded axis, the position of x it copies."""
    positions = range(-before, n + after)
    if mode == "replicate":  # the edge element, repeated
        return [min(max(p, 0), n - 1) for p in positions]
    if mode == "reflect":  # mirrored at the edge: x[1], x[0] | x[0] ... (edge not repeated)
        return [-p if p < 0 else 2 * (n - 1) - p if p >= n else p for p in positions]
    return [p % n for p in positions]  # circular: wraps around


def pad(input, pad, mode="constant", value=None):
    """PyTorch's F.pad: widths (before, after) from the last axis backwards; mode "constant"
    (fills with `value`, default 0; negative widths crop), "replicate", "reflect", "circular"."""
    widths = _check_pad(input, pad, mode, value)
    if mode == "constant":
        return Pad.apply(input, widths, 0 if value is None else value)
    out = input
    for axis, (before, after) in enumerate(widths):
        if before or after:
            index = (slice(None),) * axis + (_copy_index(mode, input.shape[axis], before, after),)
            out = getitem(out, index)
    return out
