"""`.grad` and `.data` are Tensors (PyTorch semantics); the raw backend array is `t.array`.

* `p.grad` is a Tensor that does not require grad, with p's shape, dtype and device, so
  `p.grad.zero_()`, `p.grad.abs()`, `p.grad.data`, `p.grad.std()` work as in PyTorch.
* `p.data` is a detached Tensor sharing p's storage: `p.data += -lr * p.grad` and
  `p.data.copy_(...)` update p without recording anything; `p.data = other` replaces p's value.
* `t.array` is the backend array (NumPy on "cpu"); Function.forward/backward receive arrays.

Values are checked in closed form on every device; the tests named *_torch compare with PyTorch
on the CPU and are skipped without it.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import get_backend

P_VALUES = [1.0, 2.0, 4.0]


def param(device="cpu", values=P_VALUES, dtype=mg.float64):
    return mg.tensor(values, dtype=dtype, requires_grad=True, device=device)


def squared_loss_grad(device="cpu", dtype=mg.float64):
    """p = [1, 2, 4] after (p * p).sum().backward(): p.grad = 2p = [2, 4, 8]."""
    p = param(device, dtype=dtype)
    (p * p).sum().backward()
    return p


# ----------------------------------------------------------------------------------------------
# .grad is a Tensor
# ----------------------------------------------------------------------------------------------


def test_grad_is_a_tensor_like_its_parameter(device):
    p = squared_loss_grad(device)
    g = p.grad
    assert isinstance(g, mg.Tensor), f".grad is a {type(g).__name__}, not a Tensor"
    assert not g.requires_grad and g.is_leaf and g.grad_fn is None
    assert g.shape == p.shape and g.dtype == p.dtype and g.device == p.device
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0, 8.0])


def test_grad_keeps_float32_for_a_float32_parameter(device):
    p = squared_loss_grad(device, dtype=mg.float32)
    assert isinstance(p.grad, mg.Tensor)
    assert p.grad.dtype == mg.float32
    np.testing.assert_array_equal(p.grad.numpy(), np.array([2.0, 4.0, 8.0], dtype=np.float32))


def test_grad_of_a_retained_non_leaf_is_a_tensor(device):
    p = param(device)
    y = p * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert isinstance(y.grad, mg.Tensor) and not y.grad.requires_grad
    np.testing.assert_array_equal(y.grad.numpy(), 2 * 3 * np.array(P_VALUES))


def test_grad_zero_then_accumulate(device):
    """p.grad.zero_() clears it in place; the next backward adds into it."""
    p = squared_loss_grad(device)
    g = p.grad
    assert g.zero_() is g
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0, 0.0])
    (p * 3).sum().backward()
    assert isinstance(p.grad, mg.Tensor)
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, 3.0, 3.0])


def test_grads_accumulate_as_tensors(device):
    p = squared_loss_grad(device)
    (p * 3).sum().backward()
    assert isinstance(p.grad, mg.Tensor) and not p.grad.requires_grad
    np.testing.assert_array_equal(p.grad.numpy(), [5.0, 7.0, 11.0])


def test_grad_methods_abs_data_std(device):
    p = param(device, values=[1.0, -2.0, 4.0])
    (p * p).sum().backward()  # grad = [2, -4, 8]
    g = p.grad
    np.testing.assert_array_equal(g.abs().numpy(), [2.0, 4.0, 8.0])
    assert isinstance(g.data, mg.Tensor)
    np.testing.assert_array_equal(g.data.numpy(), [2.0, -4.0, 8.0])
    # unbiased (n - 1), as torch.std: mean 2, squares 0 + 36 + 36, / 2 -> 36, sqrt -> 6
    np.testing.assert_allclose(g.std().item(), 6.0, rtol=1e-14)
    np.testing.assert_allclose(g.std().item(), np.std([2.0, -4.0, 8.0], ddof=1), rtol=1e-14)


def test_grad_is_not_an_alias_of_the_parameter_or_another_grad():
    p = param()
    q = param(values=[3.0, 5.0, 7.0])
    (p + q).sum().backward()
    assert not np.shares_memory(p.grad.array, q.grad.array), "two .grad share one buffer"
    assert not np.shares_memory(p.grad.array, p.array), ".grad aliases the parameter"


def test_hand_written_sgd_step_with_grad_tensors(device):
    """for p in params: p -= lr * p.grad (under no_grad), then zero the grad."""
    p = squared_loss_grad(device)
    with mg.no_grad():
        p -= 0.1 * p.grad
    p.grad.zero_()
    np.testing.assert_allclose(p.numpy(), [0.8, 1.6, 3.2], rtol=1e-14)
    assert p.is_leaf and p.requires_grad
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [1.6, 3.2, 6.4], rtol=1e-14)


# ----------------------------------------------------------------------------------------------
# .data is a detached Tensor sharing storage
# ----------------------------------------------------------------------------------------------


def test_data_is_a_detached_tensor_sharing_storage(device):
    p = param(device)
    d = p.data
    assert isinstance(d, mg.Tensor), f".data is a {type(d).__name__}, not a Tensor"
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert d.shape == p.shape and d.dtype == p.dtype and d.device == p.device
    d[0] = 10.0  # through .data: p changes
    np.testing.assert_array_equal(p.numpy(), [10.0, 2.0, 4.0])
    with mg.no_grad():
        p.mul_(2.0)  # on p: .data sees it
    np.testing.assert_array_equal(d.numpy(), [20.0, 4.0, 8.0])


def test_data_update_step_is_not_recorded(device):
    """p.data += -lr * p.grad updates p in place, records nothing, bumps no version of p."""
    p = squared_loss_grad(device)
    p.data += -0.5 * p.grad
    np.testing.assert_allclose(p.numpy(), [0.0, 0.0, 0.0], atol=0)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version == 0
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0, 8.0])


def test_data_copy_updates_the_parameter(device):
    p = param(device)
    new = mg.tensor([9.0, 8.0, 7.0], dtype=mg.float64, device=device)
    p.data.copy_(new)
    np.testing.assert_array_equal(p.numpy(), [9.0, 8.0, 7.0])
    assert p.is_leaf and p.requires_grad
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [18.0, 16.0, 14.0])


def test_assigning_data_replaces_the_value_and_may_change_the_shape(device):
    p = param(device)
    p.data = mg.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=mg.float64, device=device)
    assert p.shape == (2, 2)
    assert p.is_leaf and p.requires_grad
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [[2.0, 4.0], [6.0, 10.0]])


def test_assigned_data_is_shared_not_copied():
    """As in PyTorch, p.data = t makes p use t's storage."""
    p = param()
    t = mg.tensor([0.0, 0.0], dtype=mg.float64)
    p.data = t
    t[0] = 3.0
    np.testing.assert_array_equal(p.numpy(), [3.0, 0.0])


# ----------------------------------------------------------------------------------------------
# .array: the backend array, for NumPy interop and Function writers
# ----------------------------------------------------------------------------------------------


def test_array_is_the_backend_array_sharing_storage(device):
    t = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, device=device)
    backend = get_backend(device)
    assert isinstance(t.array, backend.array_type)
    assert not isinstance(t.array, mg.Tensor)
    t.array[0] = 7.0
    np.testing.assert_array_equal(t.numpy(), [7.0, 2.0, 3.0])


def test_array_on_cpu_is_a_numpy_array():
    t = mg.tensor([1.0, 2.0], dtype=mg.float64)
    assert type(t.array) is np.ndarray
    assert np.shares_memory(t.array, t.numpy())


def test_function_forward_and_backward_receive_backend_arrays(device):
    seen = {}

    class Cube(mg.Function):
        @staticmethod
        def forward(ctx, x):
            seen["forward"] = type(x)
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            seen["backward"] = type(grad)
            (x,) = ctx.saved_tensors
            seen["saved"] = type(x)
            return 3 * x * x * grad

    x = param(device, values=[1.0, -2.0])
    Cube.apply(x).sum().backward()
    array_type = get_backend(device).array_type
    for where, kind in seen.items():
        assert issubclass(kind, array_type) and not issubclass(kind, mg.Tensor), (where, kind)
    assert isinstance(x.grad, mg.Tensor)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 12.0])


# ----------------------------------------------------------------------------------------------
# Against PyTorch
# ----------------------------------------------------------------------------------------------


def test_grad_std_and_update_match_torch():
    torch = pytest.importorskip("torch")
    values = [0.5, -1.25, 3.0, 2.0]
    results = {}
    for lib in (mg, torch):
        p = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (p * p * p).sum().backward()
        std = p.grad.std().item()
        absolute = p.grad.abs().data.numpy().copy()
        p.data += -0.01 * p.grad
        p.grad.zero_()
        (p * p).sum().backward()
        results[lib.__name__] = (std, absolute, p.detach().numpy().copy(), p.grad.numpy().copy())
        assert p.is_leaf and p._version == 0
    ours, theirs = results["minigrad"], results["torch"]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-14)
    for a, b in zip(ours[1:], theirs[1:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_data_replacement_matches_torch():
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (mg, torch):
        p = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        p.data = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        (p * p).sum().backward()
        results[lib.__name__] = (p.shape, p.grad.numpy().copy())
    assert tuple(results["minigrad"][0]) == tuple(results["torch"][0])
    np.testing.assert_array_equal(results["minigrad"][1], results["torch"][1])
