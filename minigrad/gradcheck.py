"""gradcheck: does a backward pass agree with finite differences of the forward pass?

For f: inputs -> outputs, backward computes the vector-Jacobian product J^T c for an upstream
gradient c. The check draws a random c (one per output) and a random direction t (one per input)
and compares two numbers that must be equal:

    analytic  <J^T c, t>   from backward                      (the dot-product test, as in
    numeric   <c, J t>     with J t ~ (f(x + eps t) - f(x - eps t)) / (2 eps)   JAX's check_vjp)

Random c and t matter: checking only sum(f) (c = 1) hides, for example, a backward that gets the
gradient's entries right but in the wrong order. When the test fails, the gradient is recomputed
element by element by finite differences, and the report shows where the two disagree.

Also checked, as PyTorch's gradcheck does: a zero upstream gradient gives zero input gradients;
every gradient has its input's shape and dtype; backward leaves the inputs and the upstream
gradient unchanged; two backward passes give the same result.
"""

import numpy as np

from minigrad import autograd, dtypes
from minigrad.grad_mode import no_grad
from minigrad.tensor import Tensor


class GradcheckError(RuntimeError):
    """A gradient check failed; the message says which input, where, and by how much."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check fn's analytic gradients against central finite differences, in float64.

    fn:      a function of the inputs returning a Tensor or a tuple of Tensors
    inputs:  a Tensor or a tuple/list of them (other values are passed through unchanged);
             those with requires_grad=True are checked and must be float64
    eps:     the finite-difference step;  atol, rtol: |analytic - numeric| <= atol + rtol |numeric|

    Returns True; on failure raises GradcheckError with a report (or, with
    raise_exception=False, returns False).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != dtypes.float64:
            raise TypeError(
                f"gradcheck: input {i} is {inputs[i].dtype}, but finite differences are only "
                "accurate in float64; pass x.astype(minigrad.float64) (and build float64 weights)"
            )
    try:
        _check(fn, inputs, checked, eps, atol, rtol, np.random.default_rng(seed))
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check(fn, inputs, checked, eps, atol, rtol, rng):
    # 1. backward with a random upstream gradient c
    outputs = _outputs(fn, _fresh_leaves(inputs))
    cotangents = [rng.standard_normal(o.shape) for o in outputs]
    analytic = _backward(fn, inputs, cotangents)

    # 2. the dot-product test, one input at a time
    for i in checked:
        tangent = rng.standard_normal(inputs[i].shape)
        numeric_value = _numeric_directional(fn, inputs, i, tangent, cotangents, eps)
        analytic_value = float(np.sum(analytic[i] * tangent))
        if abs(analytic_value - numeric_value) > atol + rtol * abs(numeric_value):
            numeric_grad = _numeric_gradient(fn, inputs, i, cotangents, eps)
            raise GradcheckError(
                _mismatch_report(i, inputs[i], analytic[i], numeric_grad, atol, rtol)
            )

    # 3. a zero upstream gradient must give zero gradients
    zero = _backward(fn, inputs, [np.zeros_like(c) for c in cotangents])
    for i in checked:
        if np.any(zero[i] != 0):
            raise GradcheckError(
                f"gradcheck: with a zero upstream gradient, backward still gave a non-zero "
                f"gradient "
                f"for input {i} (largest entry {np.abs(zero[i]).max():.6g}). A backward must "
                "multiply by the incoming gradient; it cannot add anything of its own."
            )

    # 4. backward must be deterministic (same c, same gradients)
    again = _backward(fn, inputs, cotangents)
    for i in checked:
        if not np.array_equal(again[i], analytic[i]):
            raise GradcheckError(
                f"gradcheck: two backward passes with the same upstream gradient gave different "
                f"gradients for input {i}; backward must not depend on anything but its inputs"
            )


def _fresh_leaves(inputs):
    """Copies of the inputs as new leaves, so the user's tensors and their .grad stay untouched."""
    return tuple(
        Tensor(x.array.copy(), requires_grad=x.requires_grad, device=x.device)
        if isinstance(x, Tensor)
        else x
        for x in inputs
    )


def _outputs(fn, inputs):
    result = fn(*inputs)
    outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(
                f"gradcheck: fn must return Tensors, but output {k} is {type(out).__name__}"
            )
        if out.dtype.kind == "f" and out.dtype != dtypes.float64:
            raise TypeError(
                f"gradcheck: output {k} is {out.dtype}; the computation must stay in float64 for "
                "finite differences to be accurate"
            )
    return outputs


def _backward(fn, inputs, cotangents):
    """Run fn on fresh leaves, backpropagate the cotangents, return each input's gradient (host)."""
    leaves = _fresh_leaves(inputs)
    outputs = _outputs(fn, leaves)
    roots, seeds, kept = [], [], []
    for out, c in zip(outputs, cotangents):
        if out.requires_grad:
            seed = Tensor(c.copy(), device=out.device)
            roots.append(out)
            seeds.append(seed)
            kept.append((seed, c))
    if roots:
        autograd.backward(roots, seeds)
    for seed, c in kept:
        if not np.array_equal(seed.numpy(), c):
            raise GradcheckError(
                "gradcheck: backward modified the upstream gradient it was given (in place); "
                "a backward must treat `grad` as read-only"
            )
    grads = []
    for k, (leaf, original) in enumerate(zip(leaves, inputs)):
        if not isinstance(leaf, Tensor) or not leaf.requires_grad:
            grads.append(None)
            continue
        if not np.array_equal(leaf.numpy(), original.numpy()):
            raise GradcheckError(
                f"gradcheck: input {k} was changed in place during forward or backward; "
                "ops must not modify their inputs"
            )
        if leaf.grad is None:
            grads.append(np.zeros(leaf.shape))
            continue
        grad = leaf.grad
        if grad.shape != leaf.shape or grad.dtype != leaf.dtype:
            raise GradcheckError(
                f"gradcheck: the gradient of input {k} has shape {grad.shape} and dtype "
                f"{grad.dtype}, but the input has shape {leaf.shape} and dtype {leaf.dtype}"
            )
        grads.append(grad.numpy().copy())
    return grads


def _evaluate(fn, inputs, i, host_value):
    """<outputs> of fn with input i replaced by host_value, as float64 host arrays (no graph)."""
    changed = list(inputs)
    changed[i] = Tensor(host_value, device=inputs[i].device)
    with no_grad():
        return [o.numpy().astype(np.float64) for o in _outputs(fn, tuple(changed))]


def _projected(fn, inputs, i, host_value, cotangents):
    """The scalar <c, f(x)> whose gradient backward computes."""
    outputs = _evaluate(fn, inputs, i, host_value)
    return sum(float(np.sum(c * o)) for c, o in zip(cotangents, outputs))


def _numeric_directional(fn, inputs, i, tangent, cotangents, eps):
    x = inputs[i].numpy().astype(np.float64)
    plus = _projected(fn, inputs, i, x + eps * tangent, cotangents)
    minus = _projected(fn, inputs, i, x - eps * tangent, cotangents)
    return (plus - minus) / (2 * eps)


def _numeric_gradient(fn, inputs, i, cotangents, eps):
    """d<c, f>/dx_k for every element k of input i, one central difference each."""
    x = inputs[i].numpy().astype(np.float64)
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[k] = eps
        plus = _projected(fn, inputs, i, x + step, cotangents)
        minus = _projected(fn, inputs, i, x - step, cotangents)
        grad[k] = (plus - minus) / (2 * eps)
    return grad


def _mismatch_report(i, x, analytic, numeric, atol, rtol, max_rows=8):
    error = np.abs(analytic - numeric)
    allowed = atol + rtol * np.abs(numeric)
    bad = error > allowed
    lines = [
        f"gradcheck failed for input {i} (shape {x.shape}): the gradient from backward does not",
        "match the gradient measured by central finite differences of the forward pass.",
        f"{int(bad.sum())} of {analytic.size} elements are off "
        f"(allowed |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|):",
        "",
        f"    {'element':<14}{'backward gives':>16}{'finite diff.':>16}{'abs. error':>14}",
    ]
    order = np.argsort(-(error - allowed), axis=None)[:max_rows]
    for flat in order:
        k = np.unravel_index(flat, analytic.shape)
        if not bad[k]:
            break
        lines.append(
            f"    {str(tuple(int(j) for j in k)):<14}{analytic[k]:>16.6g}{numeric[k]:>16.6g}"
            f"{error[k]:>14.3g}"
        )
    relative = error / np.maximum(np.abs(numeric), 1e-12)
    worst = np.unravel_index(np.argmax(relative), analytic.shape)
    lines += [
        "",
        f"Largest relative error: {relative[worst]:.3g} at element {tuple(int(j) for j in worst)}.",
    ]
    hint = _hint(analytic[bad], numeric[bad])
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def _hint(analytic, numeric):
    """A guess at the kind of mistake, from how the two gradients relate."""
    if np.all(analytic == 0):
        return "Hint: backward gave zero here; is the gradient returned for the right input?"
    ratio = analytic / np.where(numeric == 0, np.nan, numeric)
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size and np.allclose(ratio, ratio[0], rtol=1e-3):
        if np.isclose(ratio[0], -1):
            return "Hint: the signs are flipped: check the sign of the derivative."
        return (
            f"Hint: backward is {ratio[0]:.4g} times the true gradient everywhere: a constant "
            "factor is missing or extra."
        )
    return None
