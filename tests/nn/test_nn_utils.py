"""clip_grad_norm_ and clip_grad_value_."""

import math

import numpy as np
import pytest
from helpers_nn import grad_of, rng

import minigrad as mg
import minigrad.nn as nn


def _params_with_grads(grads, device="cpu"):
    params = []
    for g in grads:
        p = nn.Parameter(mg.zeros(np.shape(g), device=device))
        p.grad = mg.tensor(np.asarray(g, dtype=np.float32), device=device)
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_together(device):
    a, b = _params_with_grads([[3.0, 0.0], [[0.0], [4.0]]], device)
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0) and total.device == device
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(grad_of(a), [3.0 * scale, 0.0], rtol=1e-6)
    np.testing.assert_allclose(grad_of(b), [[0.0], [4.0 * scale]], rtol=1e-6)
    assert grad_of(a).dtype == np.float32  # no float64 sneaking in through the factor
    new_norm = math.sqrt((grad_of(a) ** 2).sum() + (grad_of(b) ** 2).sum())
    assert new_norm == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone():
    (a,) = _params_with_grads([[0.3, -0.4]])
    total = nn.utils.clip_grad_norm_(a, max_norm=1.0)  # a single tensor is accepted
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_array_equal(grad_of(a), np.array([0.3, -0.4], dtype=np.float32))


def test_clip_grad_norm_other_norms_and_missing_grads():
    a, b = _params_with_grads([[3.0, -4.0], [1.0]])
    c = nn.Parameter(mg.zeros(2))  # no gradient: skipped
    assert nn.utils.clip_grad_norm_([a, b, c], 100.0, norm_type=1).item() == pytest.approx(8.0)
    total = nn.utils.clip_grad_norm_([a, b, c], 2.0, norm_type=float("inf"))
    assert total.item() == pytest.approx(4.0)
    np.testing.assert_allclose(grad_of(a), [1.5, -2.0], rtol=1e-6)
    assert c.grad is None


def test_clip_grad_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    r = rng(3)
    grads = [r.standard_normal((3, 4)).astype(np.float32), r.standard_normal(5).astype(np.float32)]
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        ours = _params_with_grads(grads)
        theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
        for t, g in zip(theirs, grads):
            t.grad = torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ours, 0.5, norm_type=norm_type)
        total_t = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
        assert total.item() == pytest.approx(total_t.item(), rel=1e-6)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(grad_of(p), t.grad.numpy(), rtol=1e-6)


def test_clip_grad_value(device):
    (a,) = _params_with_grads([[-3.0, 0.5, 2.0]], device)
    nn.utils.clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(grad_of(a), np.array([-1.0, 0.5, 1.0], dtype=np.float32))


def test_clip_grad_norm_returns_pytorchs_total_norm_tensor():
    torch = pytest.importorskip("torch")
    (a,) = _params_with_grads([[3.0, 4.0]])
    t = torch.zeros(2, requires_grad=True)
    t.grad = torch.tensor([3.0, 4.0])
    ours = nn.utils.clip_grad_norm_(iter([a]), 1.0, error_if_nonfinite=True, foreach=None)
    theirs = torch.nn.utils.clip_grad_norm_(iter([t]), 1.0, error_if_nonfinite=True, foreach=None)
    assert isinstance(ours, mg.Tensor) and ours.shape == tuple(theirs.shape) == ()
    assert ours.dtype == mg.float32 and str(theirs.dtype) == "torch.float32"
    assert ours.item() == theirs.item()
    np.testing.assert_allclose(grad_of(a), t.grad.numpy(), rtol=1e-7)


def test_clip_grad_norm_error_if_nonfinite():
    (a,) = _params_with_grads([[np.inf, 1.0]])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    assert grad_of(a)[0] == np.inf  # left as it was


def test_clip_grad_value_matches_pytorch_and_returns_none():
    torch = pytest.importorskip("torch")
    g = rng(4).standard_normal((3, 4)).astype(np.float32)
    (a,) = _params_with_grads([g])
    t = torch.zeros(3, 4, requires_grad=True)
    t.grad = torch.tensor(g)
    assert nn.utils.clip_grad_value_(a, 0.5) is None
    assert torch.nn.utils.clip_grad_value_(t, 0.5) is None
    np.testing.assert_array_equal(grad_of(a), t.grad.numpy())


def test_parameters_to_vector_and_back_as_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.load_state_dict(theirs.state_dict())
    vec = nn.utils.parameters_to_vector(ours.parameters())
    vec_t = torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_array_equal(vec.numpy(), vec_t.detach().numpy())
    (vec * mg.arange(8).astype(mg.float32)).sum().backward()  # in the graph, as in PyTorch
    np.testing.assert_array_equal(grad_of(ours.weight), np.arange(6).reshape(2, 3))
    new = np.arange(8, dtype=np.float32) / 8
    nn.utils.vector_to_parameters(mg.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    for (name, p), p_t in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.numpy(), p_t.detach().numpy(), err_msg=name)
    with pytest.raises(ValueError, match="the vector has 7 numbers, the parameters 8"):
        nn.utils.vector_to_parameters(mg.zeros(7), ours.parameters())
