"""Backward semantics: what .grad holds after which calls, graph recording, custom Functions."""

import time

import numpy as np
import pytest
from helpers_engine import grad_numpy

import minigrad as mg


def leaf(values, device="cpu", dtype=mg.float64):
    """A float64 leaf tensor that requires grad."""
    return mg.tensor(
        np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True, device=device
    )


# ----------------------------------------------------------------------------------------------
# Accumulation, retain_grad, retain_graph
# ----------------------------------------------------------------------------------------------


def test_gradients_accumulate_across_backward_calls(device):
    """Two backward calls on two fresh graphs add up in the leaf's .grad (PyTorch semantics)."""
    x = leaf([1.0, 2.0], device)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(grad_numpy(x), [3.0 + 2.0, 3.0 + 4.0])


def test_zero_grad_resets_to_none():
    """zero_grad() sets .grad to None, so the next backward starts from scratch."""
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    x.zero_grad()
    assert x.grad is None
    (x * 5.0).sum().backward()
    np.testing.assert_array_equal(grad_numpy(x), [5.0, 5.0])


def test_non_leaf_grad_is_none_unless_retained():
    """Intermediate results get no .grad, unless retain_grad() was called on them."""
    x = leaf([1.0, 2.0])
    y = x * 2.0
    z = y * y
    z.retain_grad()
    w = x * 4.0
    (z.sum() + w.sum()).backward()
    assert y.grad is None
    assert w.grad is None
    assert not y.is_leaf and x.is_leaf
    np.testing.assert_array_equal(grad_numpy(z), [1.0, 1.0])
    np.testing.assert_array_equal(grad_numpy(x), 8 * np.array([1.0, 2.0]) + 4.0)


def test_retain_graph_allows_a_second_backward(device):
    """backward(retain_graph=True) keeps the graph; the second backward doubles the leaf grads."""
    x = leaf([1.0, -2.0, 0.5], device)
    loss = (mg.exp(x) * x).sum()
    loss.backward(retain_graph=True)
    first = grad_numpy(x).copy()
    loss.backward()
    expected = np.exp([1.0, -2.0, 0.5]) * (1 + np.array([1.0, -2.0, 0.5]))
    np.testing.assert_allclose(first, expected, rtol=1e-12)
    np.testing.assert_allclose(grad_numpy(x), 2 * expected, rtol=1e-12)


def test_backward_with_explicit_gradient():
    """y.backward(g) computes the vector-Jacobian product gᵀ J, g a Tensor or a backend array."""
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(mg.tensor([1.0, 0.0, -1.0], dtype=mg.float64))
    np.testing.assert_array_equal(grad_numpy(x), [2.0, 0.0, -6.0])
    y = leaf([1.0, 2.0])
    (y * 3.0).backward(np.array([2.0, 1.0]))
    np.testing.assert_array_equal(grad_numpy(y), [6.0, 3.0])


def test_autograd_backward_with_several_roots():
    """mg.autograd.backward([a, b], [ga, gb]) adds both roots' contributions."""
    x = leaf([1.0, 2.0])
    a = x * 2.0
    b = (x * x).sum()
    mg.autograd.backward([a, b], [mg.tensor([1.0, 1.0], dtype=mg.float64), None])
    np.testing.assert_array_equal(grad_numpy(x), [2.0 + 2.0, 2.0 + 4.0])


# ----------------------------------------------------------------------------------------------
# Graph shape: deep chains, fan-out, the same tensor twice, wide diamonds
# ----------------------------------------------------------------------------------------------


def test_chain_of_100000_ops_backpropagates():
    """A chain 100,000 ops deep backpropagates without RecursionError, in reasonable time."""
    x = leaf(0.5)
    y = x
    start = time.perf_counter()
    for _ in range(100_000):
        y = y * 1.0  # dy/dx stays exactly 1
    y.backward()
    elapsed = time.perf_counter() - start
    assert grad_numpy(x) == 1.0
    assert elapsed < 60, f"forward + backward of a 100k-op chain took {elapsed:.1f}s"


def test_diamonds_are_visited_once_per_node():
    """y = y + y repeated 60 times: 2**60 paths from y to x, but each node's backward runs once
    (a path-by-path traversal would never finish). dy/dx = 2**60 exactly in float64."""
    x = leaf(1.0)
    y = x
    for _ in range(60):
        y = y + y
    y.backward()
    assert grad_numpy(x) == 2.0**60


def test_fan_out_sums_gradients(device):
    """A value used twice receives the sum of both gradients: z = y*y + y, y = 2x."""
    x = leaf([1.0, -3.0], device)
    y = x * 2.0
    z = (y * y + y).sum()
    z.backward()
    np.testing.assert_array_equal(grad_numpy(x), (2 * 2 * np.array([1.0, -3.0]) + 1) * 2)


def test_same_tensor_as_both_inputs(device):
    """x * x, x + x, x / x and x - x get the right gradients when both inputs are one tensor."""
    values = np.array([1.5, -2.0])
    cases = [
        (lambda x: x * x, 2 * values),
        (lambda x: x + x, np.full(2, 2.0)),
        (lambda x: x - x, np.zeros(2)),
        (lambda x: x / x, np.zeros(2)),
        (lambda x: x @ x, 2 * values),
    ]
    for fn, expected in cases:
        x = leaf(values, device)
        fn(x).sum().backward()
        np.testing.assert_allclose(grad_numpy(x), expected, rtol=1e-12, atol=1e-15)


def test_leaf_grads_are_not_aliases():
    """After z = x + y, x.grad and y.grad are separate arrays (and not the upstream gradient):
    changing one in place changes nothing else."""
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    upstream = mg.tensor([1.0, 1.0], dtype=mg.float64)
    (x + y).backward(upstream)
    x.grad += 100.0
    np.testing.assert_array_equal(grad_numpy(y), [1.0, 1.0])
    np.testing.assert_array_equal(upstream.numpy(), [1.0, 1.0])
    a = leaf([1.0, 2.0])
    b = a * 1.0
    b.retain_grad()
    b.sum().backward()
    a.grad += 5.0
    np.testing.assert_array_equal(grad_numpy(b), [1.0, 1.0])


def test_broadcast_gradients_are_summed_to_input_shape(device):
    """(3, 1) + (4,) -> (3, 4): the (3, 1) input's grad sums over 4 columns, the (4,) one over 3
    rows, and a 0-d input sums over everything."""
    a = leaf(np.arange(3.0).reshape(3, 1), device)
    b = leaf(np.arange(4.0), device)
    c = leaf(2.0, device)
    ((a + b) * c).sum().backward()
    assert grad_numpy(a).shape == (3, 1) and grad_numpy(b).shape == (4,)
    np.testing.assert_array_equal(grad_numpy(a), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(grad_numpy(b), np.full(4, 6.0))
    np.testing.assert_allclose(grad_numpy(c), (np.arange(3.0)[:, None] + np.arange(4.0)).sum())


def test_cast_is_differentiable_and_grad_keeps_input_dtype():
    """x (float64) -> astype(float32) -> loss: x.grad is float64 with the right values."""
    x = leaf([1.0, 2.0])
    (x.astype(mg.float32) * 3.0).sum().backward()
    assert grad_numpy(x).dtype == np.float64
    np.testing.assert_array_equal(grad_numpy(x), [3.0, 3.0])


def test_softmax_cross_entropy_gradient_is_p_minus_y_over_n():
    """seed-formulas F2: for L = -(1/N) Σ y log softmax(z), dL/dz = (softmax(z) - y) / N."""
    z_values = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    z = leaf(z_values)
    loss = -(mg.log_softmax(z, axis=1) * mg.tensor(y)).sum() / 2.0
    loss.backward()
    p = np.exp(z_values) / np.exp(z_values).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad_numpy(z), (p - y) / 2, rtol=1e-12)


def test_masked_softmax_gradient_is_finite_and_zero_where_masked(device):
    """Attention masking: softmax(scores.masked_fill(mask, -inf)) puts no probability and no
    gradient on masked positions, and nothing becomes nan."""
    scores = leaf([[0.5, 1.0, -0.3], [2.0, 0.1, 0.7]], device)
    mask = mg.tensor([[False, True, False], [False, False, True]], device=device)
    p = mg.softmax(scores.masked_fill(mask, float("-inf")), axis=-1)
    weights = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=mg.float64, device=device)
    (p * weights).sum().backward()
    probs, grad = p.numpy(), grad_numpy(scores)
    assert np.all(np.isfinite(probs)) and np.all(np.isfinite(grad))
    np.testing.assert_array_equal(probs[[0, 1], [1, 2]], 0.0)
    np.testing.assert_array_equal(grad[[0, 1], [1, 2]], 0.0)
    z = np.array([[0.5, -np.inf, -0.3], [2.0, 0.1, -np.inf]])
    q = np.exp(z - z.max(axis=1, keepdims=True))
    q /= q.sum(axis=1, keepdims=True)
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_allclose(grad, q * (w - (w * q).sum(axis=1, keepdims=True)), atol=1e-15)


# ----------------------------------------------------------------------------------------------
# Recording on and off
# ----------------------------------------------------------------------------------------------


def test_no_grad_context_builds_no_graph():
    """Inside no_grad results do not require grad and have no grad_fn; outside, they do."""
    x = leaf([1.0, 2.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2.0 + 1.0
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    z = x * 2.0
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_decorator_and_enable_grad():
    """@no_grad() switches recording off for a call; enable_grad() switches it back on inside."""

    @mg.no_grad()
    def double(t):
        with mg.enable_grad():
            inner = t * 1.0
        return t * 2.0, inner

    x = leaf([1.0])
    out, inner = double(x)
    assert not out.requires_grad and out.grad_fn is None
    assert inner.requires_grad and inner.grad_fn is not None
    assert mg.is_grad_enabled()


def test_set_grad_enabled():
    """set_grad_enabled(False) turns recording off until set_grad_enabled(True)."""
    x = leaf([1.0])
    mg.set_grad_enabled(False)
    assert not (x * 2.0).requires_grad
    mg.set_grad_enabled(True)
    assert (x * 2.0).requires_grad


def test_no_grad_restores_state_after_an_exception():
    """An exception inside `with no_grad()` still switches recording back on."""
    with pytest.raises(ZeroDivisionError), mg.no_grad():
        raise ZeroDivisionError
    assert mg.is_grad_enabled()


def test_detach_and_constants_stop_gradients():
    """detach() shares values but not the graph; tensors without requires_grad get no grad."""
    x = leaf([1.0, 2.0])
    c = mg.tensor([5.0, 6.0], dtype=mg.float64)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    np.testing.assert_array_equal(d.numpy(), x.numpy())
    (x * d + x * c).sum().backward()
    np.testing.assert_array_equal(grad_numpy(x), [1.0 + 5.0, 2.0 + 6.0])
    assert c.grad is None and d.grad is None


def test_requires_grad_propagates():
    """An op's output requires grad iff some input does; a leaf can be switched on later."""
    a = mg.tensor([1.0, 2.0])
    assert not (a * 2.0).requires_grad
    a.requires_grad_()
    out = a * 2.0
    assert out.requires_grad and not out.is_leaf


# ----------------------------------------------------------------------------------------------
# Custom Functions
# ----------------------------------------------------------------------------------------------


class ScaledSquare(mg.Function):
    """y = factor * x^2 with a non-Tensor ``factor``; records ctx.needs_input_grad."""

    seen_needs = []

    @staticmethod
    def forward(ctx, x, factor):
        ctx.save_for_backward(x)
        ctx.factor = factor
        ScaledSquare.seen_needs.append(ctx.needs_input_grad)
        return factor * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * ctx.factor * x * grad, None


class WeightedSum(mg.Function):
    """y = a * b summed over nothing; backward only computes what ctx.needs_input_grad asks."""

    calls = []

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        WeightedSum.calls.append(ctx.needs_input_grad)
        grad_a = grad * b if ctx.needs_input_grad[0] else None
        grad_b = grad * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class BroadcastingAdd(mg.Function):
    """a + b whose backward returns the broadcast-shaped gradient for both inputs; the engine
    must sum it back to each input's shape."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


def test_custom_function_with_non_tensor_argument(device):
    """A user Function runs on any device via ctx.xp-free code, non-Tensor args pass through."""
    ScaledSquare.seen_needs.clear()
    x = leaf([1.0, -2.0], device)
    y = ScaledSquare.apply(x, 3.0)
    assert isinstance(y, mg.Tensor) and y.device == device
    np.testing.assert_array_equal(y.numpy(), [3.0, 12.0])
    y.sum().backward()
    np.testing.assert_array_equal(grad_numpy(x), [6.0, -12.0])
    assert ScaledSquare.seen_needs == [(True, False)]


def test_custom_function_needs_input_grad():
    """needs_input_grad says which inputs require grad; gradients are delivered accordingly."""
    WeightedSum.calls.clear()
    a = leaf([2.0, 3.0])
    b = mg.tensor([5.0, 7.0], dtype=mg.float64)
    WeightedSum.apply(a, b).sum().backward()
    assert WeightedSum.calls == [(True, False)]
    np.testing.assert_array_equal(grad_numpy(a), [5.0, 7.0])
    assert b.grad is None


def test_custom_function_passes_gradcheck():
    """A correct custom Function passes mg.gradcheck."""
    x = leaf([0.3, -1.2, 2.0])
    assert mg.gradcheck(lambda t: ScaledSquare.apply(t, 0.5), (x,))


def test_engine_unbroadcasts_custom_function_gradients(device):
    """A custom backward may return the broadcast shape: the engine sums it back."""
    a = leaf(np.ones((3, 1)), device)
    b = leaf(np.ones(4), device)
    BroadcastingAdd.apply(a, b).sum().backward()
    np.testing.assert_array_equal(grad_numpy(a), np.full((3, 1), 4.0))
    np.testing.assert_array_equal(grad_numpy(b), np.full(4, 3.0))


def test_custom_function_inside_no_grad_records_nothing():
    """Calling a Function under no_grad gives a tensor without grad_fn."""
    x = leaf([1.0])
    with mg.no_grad():
        y = ScaledSquare.apply(x, 2.0)
    assert not y.requires_grad and y.grad_fn is None


def test_std_of_constant_data_has_zero_gradient():
    """std has an infinite slope at 0, but constant data has zero deviations: the gradient is
    defined as 0 there (as in PyTorch), so normalising a constant feature never gives nan."""
    x = mg.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.std(axis=1).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_array_equal(x.grad[0], np.zeros(3, np.float32))
    # the second row: d std / dx_i = (x_i - mean) / ((n - 1) std) with std = 1
    np.testing.assert_allclose(x.grad[1], [-0.5, 0.0, 0.5], rtol=1e-6)
