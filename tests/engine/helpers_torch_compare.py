"""One helper for the op tests that compare minigrad with PyTorch (test_engine_ops_*.py).

`against_torch(ours, theirs, inputs, device)` runs the same computation in both libraries on
the same NumPy inputs and checks that they agree on everything PyTorch code could see:

* the result's type (a Tensor, a tuple of them, or a named tuple with the same name),
* each output's shape, dtype and values (exactly for integers; to rounding for floats),
* the gradients of every float input, for a random upstream gradient on every float output.

Float inputs require grad (pass float64 for tight gradient checks); integer and boolean inputs
(indices, masks) do not. Expected values come from PyTorch, never from minigrad.
"""

import numpy as np
import pytest

import minigrad as mg


def _as_list(result):
    return list(result) if isinstance(result, tuple) else [result]


def _ours(array, device, grad):
    if not isinstance(array, np.ndarray):
        return array
    wants_grad = grad and array.dtype.kind == "f"
    return mg.tensor(array, device=device, requires_grad=wants_grad)


def _theirs(torch, array, grad):
    if not isinstance(array, np.ndarray):
        return array
    tensor = torch.tensor(array)
    if grad and array.dtype.kind == "f":
        tensor.requires_grad_(True)
    return tensor


def against_torch(ours, theirs, inputs, device, grad=True, rtol=1e-7, atol=1e-12, seed=0):
    """Run ours(*minigrad tensors) and theirs(*torch tensors) on the same inputs; compare."""
    torch = pytest.importorskip("torch")
    our_inputs = [_ours(a, device, grad) for a in inputs]
    their_inputs = [_theirs(torch, a, grad) for a in inputs]
    our_result, their_result = ours(*our_inputs), theirs(*their_inputs)

    assert isinstance(our_result, tuple) == isinstance(their_result, tuple)
    if isinstance(their_result, tuple):
        assert type(our_result).__name__ == type(their_result).__name__
        assert len(our_result) == len(their_result)
        if hasattr(their_result, "_fields") or hasattr(their_result, "n_fields"):
            assert our_result.values is our_result[0] and our_result.indices is our_result[1]
    our_outputs, their_outputs = _as_list(our_result), _as_list(their_result)
    for k, (o, t) in enumerate(zip(our_outputs, their_outputs)):
        assert o.device == device
        assert o.shape == tuple(t.shape), f"output {k}: shape {o.shape} != {tuple(t.shape)}"
        assert str(o.dtype) == str(t.dtype).replace("torch.", ""), f"output {k}: dtype"
        expected = t.detach().numpy()
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(o.numpy(), expected, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(o.numpy(), expected)

    if not grad:
        return our_result
    rng = np.random.default_rng(seed)
    our_loss, their_loss = None, None
    for o, t in zip(our_outputs, their_outputs):
        if not t.requires_grad:
            assert not o.requires_grad
            continue
        c = rng.standard_normal(o.shape).astype(o.dtype)
        term_ours = (o * mg.tensor(c, device=device)).sum()
        term_theirs = (t * torch.tensor(c)).sum()
        our_loss = term_ours if our_loss is None else our_loss + term_ours
        their_loss = term_theirs if their_loss is None else their_loss + term_theirs
    if their_loss is None:
        return our_result
    our_loss.backward()
    their_loss.backward()
    for k, (o, t) in enumerate(zip(our_inputs, their_inputs)):
        if not isinstance(t, torch.Tensor) or not t.requires_grad:
            continue
        expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(o.shape) if o.grad is None else o.grad.numpy()
        assert o.grad is None or o.grad.dtype == o.dtype, f"input {k}: gradient dtype"
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"grad {k}")
    return our_result


def f64(*shape, seed=0, low=None, high=None):
    """Random float64 values (standard normal, or uniform in [low, high))."""
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, shape)
    return rng.standard_normal(shape)


def leaf(array, device="cpu"):
    """A float64 leaf that requires grad, for minigrad.gradcheck."""
    return mg.tensor(np.asarray(array, dtype=np.float64), device=device, requires_grad=True)
