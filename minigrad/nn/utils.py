"""nn.utils: gradient clipping, and the parameters as one flat vector.

Clipping keeps one bad batch from throwing the weights far away: call `clip_grad_norm_` (or
`clip_grad_value_`) between `loss.backward()` and `optimizer.step()`.
"""

from minigrad.creation import tensor
from minigrad.grad_mode import no_grad
from minigrad.routines import concat
from minigrad.tensor import Tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint norm is at most max_norm.

        total = (Σ_p ‖g_p‖_q^q)^{1/q}      (q = norm_type; q = inf: the largest |g|)
        g_p  ← g_p · min(1, max_norm / (total + 1e-6))

    The direction of the full gradient is kept; only its length shrinks. Returns the total norm
    before clipping, as a 0-d Tensor (PyTorch's return value). Changes each `.grad` in place.
    error_if_nonfinite=True raises if that norm is nan or inf (the gradients are then left as
    they are). `foreach` (a PyTorch speed option) is accepted and ignored.
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
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{float(total)}, so they cannot be clipped; set error_if_nonfinite=False to clip "
            "anyway"
        )
    # Multiply by a factor ≤ 1 computed on the device: no host round trip on a GPU.
    factor = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for p in params:
        p.grad.array = p.grad.array * factor.astype(p.grad.dtype)
    return Tensor(total, dtype=total.dtype, device=params[0].device)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry into [-clip_value, clip_value] (in place; returns None).
    `foreach` (a PyTorch speed option) is accepted and ignored."""
    clip_value = float(clip_value)
    if not clip_value >= 0.0:  # clip(g, c, -c) with c < 0 would set every entry to -c
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(parameters):
        p.grad.array = p.xp.clip(p.grad.array, -clip_value, clip_value)


def parameters_to_vector(parameters):
    """All the parameters as one 1-D tensor, each flattened, one after the other (in the graph,
    as in PyTorch: gradients flow back to the parameters)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    _check_tensors(params, "parameters_to_vector")
    return concat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """The inverse: copy consecutive pieces of the 1-D tensor `vec` into the parameters."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(
            "vector_to_parameters: expected a 1-D Tensor, got "
            + (f"shape {vec.shape}" if isinstance(vec, Tensor) else type(vec).__name__)
        )
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    _check_tensors(params, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.shape[0] != total:
        raise ValueError(
            f"vector_to_parameters: the vector has {vec.shape[0]} numbers, the parameters {total}"
        )
    start = 0
    with no_grad():  # writing into parameters is an update, not part of a graph
        for p in params:
            p.copy_(vec[start : start + p.numel()].reshape(p.shape))
            start += p.numel()


def _check_tensors(params, who):
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: expected Tensors (Parameters), got {type(p).__name__}")
