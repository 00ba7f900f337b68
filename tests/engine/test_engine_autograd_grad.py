"""minigrad.autograd.grad against torch.autograd.grad: the same gradients (float64), returned
as a tuple, with no `.grad` touched, and the same argument rules."""

import numpy as np
import pytest
import torch

import minigrad as mg

VALUES = np.array([[0.5, -1.25, 2.0], [1.5, 0.25, -0.75]])


def pair(values=VALUES):
    """The same float64 leaf in minigrad and in torch."""
    return (
        mg.tensor(values, dtype=mg.float64, requires_grad=True),
        torch.tensor(values, dtype=torch.float64, requires_grad=True),
    )


def test_gradients_of_a_scalar_match_torch_and_leave_grad_alone(device):
    _, tx = pair()
    _, tw = pair(VALUES[::-1].copy())
    x = mg.tensor(VALUES, dtype=mg.float64, requires_grad=True, device=device)
    w = mg.tensor(VALUES[::-1].copy(), dtype=mg.float64, requires_grad=True, device=device)
    out = ((x * w).tanh() * x).sum()
    tout = ((tx * tw).tanh() * tx).sum()
    grads = mg.autograd.grad(out, (x, w))
    expected = torch.autograd.grad(tout, (tx, tw))
    assert isinstance(grads, tuple) and len(grads) == 2
    for ours, theirs in zip(grads, expected):
        assert ours.device == device and ours.dtype == mg.float64 and not ours.requires_grad
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    assert x.grad is None and w.grad is None


def test_a_single_input_gives_a_one_tuple():
    x, tx = pair()
    (gx,) = mg.autograd.grad((x * x).sum(), x)
    (tgx,) = torch.autograd.grad((tx * tx).sum(), tx)
    np.testing.assert_array_equal(gx.numpy(), tgx.numpy())


def test_grad_outputs_and_several_outputs():
    x, tx = pair()
    seed = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    y, ty = x.exp(), tx.exp()
    z, tz = (x * 3.0).sum(), (tx * 3.0).sum()
    (ours,) = mg.autograd.grad([y, z], [x], grad_outputs=[mg.tensor(seed), None])
    (theirs,) = torch.autograd.grad([ty, tz], [tx], grad_outputs=[torch.tensor(seed), None])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)


def test_an_intermediate_tensor_as_input():
    x, tx = pair()
    h, th = x * 2.0, tx * 2.0
    out, tout = (h * h * x).sum(), (th * th * tx).sum()
    ours = mg.autograd.grad(out, [h, x])
    theirs = torch.autograd.grad(tout, [th, tx])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-15)


def test_a_leaf_used_twice_gets_the_sum():
    x, tx = pair()
    (ours,) = mg.autograd.grad((x * x + x.exp()).sum(), x)
    (theirs,) = torch.autograd.grad((tx * tx + tx.exp()).sum(), tx)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)


def test_the_graph_is_freed_unless_retained():
    x, tx = pair()
    out, tout = (x.exp()).sum(), (tx.exp()).sum()
    first = mg.autograd.grad(out, x, retain_graph=True)
    second = mg.autograd.grad(out, x)
    np.testing.assert_array_equal(first[0].numpy(), second[0].numpy())
    torch.autograd.grad(tout, tx)
    with pytest.raises(RuntimeError, match="second time"):
        torch.autograd.grad(tout, tx)
    with pytest.raises(RuntimeError, match="second time"):
        mg.autograd.grad(out, x)


def test_grad_then_backward_still_fills_grad():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    out = (x * x).sum()
    mg.autograd.grad(out, x, retain_graph=True)
    assert x.grad is None
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_unused_inputs_need_allow_unused():
    x, tx = pair()
    u, tu = pair()
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        torch.autograd.grad((tx * 2).sum(), [tx, tu])
    with pytest.raises(RuntimeError, match="input 1 was not used"):
        mg.autograd.grad((x * 2).sum(), [x, u])
    gx, gu = mg.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    tgx, tgu = torch.autograd.grad((tx * 2).sum(), [tx, tu], allow_unused=True)
    assert gu is None and tgu is None
    gx, gu = mg.autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)
    tgx, tgu = torch.autograd.grad((tx * 2).sum(), [tx, tu], materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), tgu.numpy())
    np.testing.assert_array_equal(gx.numpy(), tgx.numpy())


def test_argument_errors():
    x, tx = pair()
    plain, tplain = mg.ones(2), torch.ones(2)
    with pytest.raises(RuntimeError):
        torch.autograd.grad((tx * 2).sum(), tplain)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        mg.autograd.grad((x * 2).sum(), plain)
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.autograd.grad((plain * 2).sum(), x)
    with pytest.raises(RuntimeError, match="only for a scalar output"):
        mg.autograd.grad(x * 2, x)
    with pytest.raises(TypeError, match="input 0 is a list"):
        mg.autograd.grad((x * 2).sum(), [[x]])


def test_create_graph_is_refused_clearly():
    x, _ = pair()
    with pytest.raises(NotImplementedError, match="no higher-order gradients"):
        mg.autograd.grad((x * x).sum(), x, create_graph=True)


def test_grad_inside_no_grad_still_differentiates_an_existing_graph():
    x, tx = pair()
    out, tout = (x * x).sum(), (tx * tx).sum()
    with mg.no_grad():
        (ours,) = mg.autograd.grad(out, x)
    with torch.no_grad():
        (theirs,) = torch.autograd.grad(tout, tx)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
