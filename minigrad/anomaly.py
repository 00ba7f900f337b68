"""Anomaly mode: find the op that first produced a NaN or an infinity, and where you called it.

    with minigrad.detect_anomaly():
        loss = model(x).log().mean()     # raises here if log() turns a 0 into -inf
        loss.backward()                  # or here, naming the op whose gradient went bad

Inside the block every op's output and every gradient is checked for NaN and Inf, and each op
remembers the line of your code that created it. That costs time, so it is off by default.

An infinity you ask for explicitly (`x.masked_fill(mask, float("-inf"))`) is allowed;
a NaN never is.
"""

import functools
import math
import os
import traceback

from minigrad import autograd
from minigrad.tensor import Tensor


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared; the message names the op, its formula, the shapes and the line."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_stack():
    """The call stack without minigrad's own frames: where in the user's code the op was made."""
    frames = [f for f in traceback.extract_stack() if not f.filename.startswith(_PACKAGE_DIR)]
    return frames[-4:]


def _format_stack(frames):
    if not frames:
        return "    (not recorded: build the graph inside detect_anomaly() to see where)"
    return "".join(traceback.format_list(frames)).rstrip()


def _formula(function):
    doc = (function.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else "(no formula in the docstring)"


def _describe(xp, array):
    if xp.isnan(array).any():
        return f"{int(xp.isnan(array).sum())} nan"
    return f"{int(xp.isinf(array).sum())} inf"


def _check_forward(function, ctx, args, out):
    xp = ctx.xp
    ctx.created_at = _user_stack()
    if out.dtype.kind != "f" or bool(xp.isfinite(out).all()):
        return
    asked_for_infinity = any(isinstance(a, float) and math.isinf(a) for a in args) and not bool(
        xp.isnan(out).any()
    )
    if asked_for_infinity:
        return
    lines = [
        f"anomaly in the forward pass: {function.__name__} produced {_describe(xp, out)} "
        f"value(s) in its output of shape {tuple(out.shape)}.",
        f"  formula: {_formula(function)}",
    ]
    for i, arg in enumerate(args):
        if isinstance(arg, Tensor):
            data = arg.array
            finite = data.dtype.kind != "f" or bool(xp.isfinite(data).all())
            state = "all finite" if finite else f"already contains {_describe(xp, data)}"
            lines.append(f"  input {i}: shape {arg.shape}, {arg.dtype}, {state}")
            if not finite:
                lines.append(
                    "    -> the bad value came in through this input: it started earlier, in a "
                    "tensor made outside anomaly mode or in your data"
                )
    lines += ["  created at:", _format_stack(ctx.created_at)]
    raise AnomalyError("\n".join(lines))


def _check_backward(ctx, grad, input_grads):
    xp = ctx.xp
    for index, input_grad in enumerate(input_grads):
        if input_grad is None or bool(xp.isfinite(input_grad).all()):
            continue
        function = ctx.function
        upstream_ok = bool(xp.isfinite(grad).all())
        lines = [
            f"anomaly in the backward pass: {function.__name__}.backward produced "
            f"{_describe(xp, input_grad)} value(s) in the gradient of input {index} "
            f"(shape {tuple(input_grad.shape)}).",
            f"  formula: {_formula(function)}",
            "  the incoming gradient dL/d(output) was "
            + (
                "finite, so this op's derivative is where it broke (e.g. 1/x at x = 0)"
                if upstream_ok
                else f"already bad ({_describe(xp, grad)})"
            ),
            "  the op was created at:",
            _format_stack(getattr(ctx, "created_at", None)),
        ]
        raise AnomalyError("\n".join(lines))


class detect_anomaly:
    """Context manager (and decorator) that turns on the NaN/Inf checks described above."""

    def __enter__(self):
        autograd.forward_observers.append(_check_forward)
        autograd.backward_observers.append(_check_backward)
        return self

    def __exit__(self, *exc_info):
        autograd.forward_observers.remove(_check_forward)
        autograd.backward_observers.remove(_check_backward)
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with detect_anomaly():
                return function(*args, **kwargs)

        return wrapper


def is_anomaly_enabled():
    return _check_forward in autograd.forward_observers
