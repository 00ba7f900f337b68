"""Gradient clipping: keep one bad batch from throwing the weights far away.

Call between `loss.backward()` and `optimizer.step()`.
"""

from minigrad.creation import tensor
from minigrad.tensor import Tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale all gradients together so that their joint norm is at most max_norm.

        total = (Σ_p ‖g_p‖_q^q)^{1/q}      (q = norm_type; q = inf: the largest |g|)
        g_p  ← g_p · min(1, max_norm / (total + 1e-6))

    The direction of the full gradient is kept; only its length shrinks. Returns the total norm
    before clipping, as a 0-d Tensor. Changes each `.grad` in place.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0.0:  # a negative factor would silently flip every gradient
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if not norm_type > 0.0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type}")
    params = _with_grads(parameters)
    if not params:
        return tensor(0.0)
    xp = params[0].xp
    if norm_type == float("inf"):
        norms = [xp.abs(p.grad.array).max() for p in params]
        total = xp.stack(norms).max()
    else:
        # Σ |g|^q per parameter, then the q-th root of the sum over all of them.
        sums = [(xp.abs(p.grad.array) ** norm_type).sum() for p in params]
        total = xp.stack(sums).sum() ** (1.0 / norm_type)
    # Multiply by a factor ≤ 1 computed on the device: no host round trip on a GPU.
    factor = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for p in params:
        p.grad.array = p.grad.array * factor.astype(p.grad.dtype)
    return Tensor(total, dtype=total.dtype, device=params[0].device)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    if not clip_value >= 0.0:  # clip(g, c, -c) with c < 0 would set every entry to -c
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(parameters):
        p.grad.array = p.xp.clip(p.grad.array, -clip_value, clip_value)
