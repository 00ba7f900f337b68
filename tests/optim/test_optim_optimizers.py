"""Optimizers: steps by hand, hyperparameter checks, groups, dtypes, devices, convergence."""

import math

import numpy as np
import pytest
from helpers_optim import gradient_sequence, initial_values, make_params, run_steps

import minigrad as mg
from minigrad.optim import SGD, Adam, AdamW, RMSprop

P0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
G1 = np.array([0.3, -4.0, 1e-3], dtype=np.float32)
G2 = np.array([-0.2, 1.5, 2.0], dtype=np.float32)


def leaf(values=P0, device="cpu"):
    return mg.tensor(np.array(values), requires_grad=True, device=device)


def step_with(optimizer, p, grad):
    p.grad = mg.tensor(np.array(grad), device=p.device)
    optimizer.step()
    return p.numpy()


# ---------------------------------------------------------------------------------------------
# One or two steps against the formulas, computed here in float64
# ---------------------------------------------------------------------------------------------


def test_plain_sgd_is_gradient_descent_F4():
    p = leaf()
    after = step_with(SGD([p], lr=0.1), p, G1)
    np.testing.assert_allclose(after, [1.0 - 0.03, -2.0 + 0.4, 0.5 - 1e-4], rtol=1e-6)


def test_sgd_momentum_dampening_weight_decay_two_steps_by_hand():
    lr, momentum, dampening, wd = 0.1, 0.9, 0.2, 0.05
    p = leaf()
    optimizer = SGD([p], lr=lr, momentum=momentum, dampening=dampening, weight_decay=wd)

    p0, g1, g2 = P0.astype(np.float64), G1.astype(np.float64), G2.astype(np.float64)
    d1 = g1 + wd * p0
    b1 = d1  # first step: the velocity starts at the gradient, undamped
    p1 = p0 - lr * b1
    d2 = g2 + wd * p1
    b2 = momentum * b1 + (1 - dampening) * d2
    p2 = p1 - lr * b2

    np.testing.assert_allclose(step_with(optimizer, p, G1), p1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(step_with(optimizer, p, G2), p2, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(optimizer.state[p]["momentum_buffer"], b2, rtol=1e-6)


def test_sgd_nesterov_two_steps_by_hand():
    lr, momentum = 0.1, 0.9
    p = leaf()
    optimizer = SGD([p], lr=lr, momentum=momentum, nesterov=True)
    p0, g1, g2 = P0.astype(np.float64), G1.astype(np.float64), G2.astype(np.float64)
    b1 = g1
    p1 = p0 - lr * (g1 + momentum * b1)
    b2 = momentum * b1 + g2
    p2 = p1 - lr * (g2 + momentum * b2)
    np.testing.assert_allclose(step_with(optimizer, p, G1), p1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(step_with(optimizer, p, G2), p2, rtol=1e-6, atol=1e-7)


def test_sgd_maximize_climbs():
    p = leaf()
    after = step_with(SGD([p], lr=0.1, maximize=True), p, G1)
    np.testing.assert_allclose(after, P0 + 0.1 * G1, rtol=1e-6)


def test_adam_first_step_moves_each_coordinate_by_lr_F5():
    # m_hat = g and v_hat = g^2 after one step, so the step is lr * g / (|g| + eps):
    # lr in the direction of -g, whatever the size of g (a little less for tiny g, via eps).
    p = leaf()
    after = step_with(Adam([p], lr=0.1), p, G1)
    expected = [1.0 - 0.1, -2.0 + 0.1, 0.5 - 0.1 * 1e-3 / (1e-3 + 1e-8)]
    np.testing.assert_allclose(after, expected, rtol=1e-6)


def test_adam_two_steps_by_hand_F5():
    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    p = leaf()
    optimizer = Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    theta, m, v = P0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate([G1, G2], start=1):
        g = g.astype(np.float64)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        after = step_with(optimizer, p, [G1, G2][t - 1])
        np.testing.assert_allclose(after, theta, rtol=1e-6, atol=1e-7)
    state = optimizer.state[p]
    assert state["step"] == 2
    np.testing.assert_allclose(state["exp_avg"], m, rtol=1e-6)
    np.testing.assert_allclose(state["exp_avg_sq"], v, rtol=1e-6)


def test_adam_weight_decay_is_added_to_the_gradient():
    lr, wd = 0.1, 0.5
    p = leaf()
    after = step_with(Adam([p], lr=lr, weight_decay=wd), p, G1)
    g = G1.astype(np.float64) + wd * P0  # first Adam step is lr * sign(g) for the decayed g
    np.testing.assert_allclose(after, P0 - lr * g / (np.abs(g) + 1e-8), rtol=1e-6)


def test_adamw_first_step_decays_weights_then_steps():
    lr, wd = 0.1, 0.5
    p = leaf()
    after = step_with(AdamW([p], lr=lr, weight_decay=wd), p, G1)
    g = G1.astype(np.float64)
    expected = P0 * (1 - lr * wd) - lr * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(after, expected, rtol=1e-6)


def test_amsgrad_keeps_the_running_maximum_of_v():
    beta2 = 0.9
    p = leaf()
    optimizer = Adam([p], lr=0.01, betas=(0.9, beta2), amsgrad=True)
    grads = [G2 * 10, G1 * 0.1, G2 * 0.1]  # a large gradient, then small ones
    v, v_max = 0.0, 0.0
    for g in grads:
        step_with(optimizer, p, g)
        v = beta2 * v + (1 - beta2) * g.astype(np.float64) ** 2
        v_max = np.maximum(v_max, v)
    state = optimizer.state[p]
    np.testing.assert_allclose(state["exp_avg_sq"], v, rtol=1e-5)
    np.testing.assert_allclose(state["max_exp_avg_sq"], v_max, rtol=1e-5)
    assert np.all(state["max_exp_avg_sq"] > state["exp_avg_sq"])  # the max really differs


def test_rmsprop_first_step_by_hand():
    lr, alpha, eps = 0.01, 0.99, 1e-8
    p = leaf()
    after = step_with(RMSprop([p], lr=lr, alpha=alpha, eps=eps), p, G1)
    g = G1.astype(np.float64)
    square_avg = (1 - alpha) * g**2
    np.testing.assert_allclose(after, P0 - lr * g / (np.sqrt(square_avg) + eps), rtol=1e-6)
    # |step| = lr / sqrt(1 - alpha) = 0.1 for the coordinates where eps is negligible
    np.testing.assert_allclose(np.abs(after - P0)[:2], [0.1, 0.1], rtol=1e-5)


def test_rmsprop_centered_with_momentum_two_steps_by_hand():
    lr, alpha, eps, momentum = 0.01, 0.9, 1e-8, 0.5
    p = leaf()
    optimizer = RMSprop([p], lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=True)
    theta, s, a, b = P0.astype(np.float64), 0.0, 0.0, 0.0
    for g32 in [G1, G2]:
        g = g32.astype(np.float64)
        s = alpha * s + (1 - alpha) * g**2
        a = alpha * a + (1 - alpha) * g
        b = momentum * b + g / (np.sqrt(s - a**2) + eps)
        theta = theta - lr * b
        np.testing.assert_allclose(step_with(optimizer, p, g32), theta, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Invalid hyperparameters
# ---------------------------------------------------------------------------------------------

INVALID = [
    (SGD, {"lr": -0.1}, "lr", "-0.1"),
    (SGD, {"momentum": -0.5}, "momentum", "-0.5"),
    (SGD, {"weight_decay": -1.0}, "weight_decay", "-1.0"),
    (SGD, {"nesterov": True}, "nesterov", "momentum=0.0"),
    (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov", "dampening=0.1"),
    (Adam, {"lr": -0.001}, "lr", "-0.001"),
    (Adam, {"betas": (1.0, 0.999)}, "beta1", "1.0"),
    (Adam, {"betas": (-0.1, 0.999)}, "beta1", "-0.1"),
    (Adam, {"betas": (0.9, 1.5)}, "beta2", "1.5"),
    (Adam, {"eps": -1e-8}, "eps", "-1e-08"),
    (Adam, {"weight_decay": -0.1}, "weight_decay", "-0.1"),
    (AdamW, {"lr": -1.0}, "lr", "-1.0"),
    (AdamW, {"betas": (0.9, 1.0)}, "beta2", "1.0"),
    (AdamW, {"eps": -0.5}, "eps", "-0.5"),
    (RMSprop, {"lr": -0.01}, "lr", "-0.01"),
    (RMSprop, {"alpha": 1.5}, "alpha", "1.5"),
    (RMSprop, {"eps": -1.0}, "eps", "-1.0"),
    (RMSprop, {"momentum": -0.9}, "momentum", "-0.9"),
    (RMSprop, {"weight_decay": -0.2}, "weight_decay", "-0.2"),
]


@pytest.mark.parametrize(
    "cls, kwargs, name, value", INVALID, ids=[f"{c.__name__}-{k}" for c, k, _, _ in INVALID]
)
def test_invalid_hyperparameters_name_the_parameter_and_value(cls, kwargs, name, value):
    with pytest.raises(ValueError) as error:
        cls([leaf()], **kwargs)
    assert name in str(error.value)
    assert value in str(error.value)


def test_invalid_hyperparameter_in_a_group_is_refused():
    with pytest.raises(ValueError, match="lr"):
        SGD([{"params": [leaf()], "lr": -1.0}], lr=0.1)


def test_parameter_list_errors():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="list"):
        SGD([[1.0, 2.0]], lr=0.1)
    p = leaf()
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        SGD([p, p], lr=0.1)


# ---------------------------------------------------------------------------------------------
# Groups, zero_grad, missing gradients, closures
# ---------------------------------------------------------------------------------------------


def test_each_group_uses_its_own_learning_rate():
    a, b = leaf(), leaf()
    optimizer = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 1.0]
    a.grad, b.grad = mg.tensor(G1.copy()), mg.tensor(G1.copy())
    optimizer.step()
    np.testing.assert_allclose(a.numpy(), P0 - 0.1 * G1, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), P0 - 1.0 * G1, rtol=1e-6)


def test_add_param_group_later_and_duplicates():
    a, b = leaf(), leaf()
    optimizer = Adam([a], lr=0.1)
    optimizer.add_param_group({"params": b, "lr": 0.5})
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999)  # defaults fill the new group
    b.grad = mg.tensor(G1.copy())
    optimizer.step()
    np.testing.assert_allclose(b.numpy(), P0 - 0.5 * np.sign(G1), atol=1e-4)
    np.testing.assert_array_equal(a.numpy(), P0)  # no gradient: untouched
    with pytest.raises(ValueError, match="more than once"):
        optimizer.add_param_group({"params": [a]})


def test_zero_grad_sets_none_or_writes_zeros():
    p = leaf()
    optimizer = SGD([p], lr=0.1)
    p.grad = mg.tensor(G1.copy())
    grad_tensor, grad_array = p.grad, p.grad.array
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is grad_tensor and p.grad.array is grad_array  # same tensor, zeroed in place
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3, dtype=np.float32))
    optimizer.zero_grad()
    assert p.grad is None


def test_parameters_without_gradient_are_skipped_and_get_no_state():
    a, b = leaf(), leaf()
    optimizer = Adam([a, b], lr=0.1)
    a.grad = mg.tensor(G1.copy())
    optimizer.step()
    np.testing.assert_array_equal(b.numpy(), P0)
    assert b not in optimizer.state
    assert optimizer.state[a]["step"] == 1


def test_step_with_closure_returns_the_loss_and_uses_its_gradients():
    p = leaf()
    optimizer = SGD([p], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with mg.no_grad():  # the closure still records its graph (step turns grad mode on)
        loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(float(np.sum(P0.astype(np.float64) ** 2)), rel=1e-6)
    np.testing.assert_allclose(p.numpy(), P0 - 0.1 * 2 * P0, rtol=1e-6)


def test_updates_are_in_place_on_the_parameter_array():
    p = leaf()
    data = p.array
    step_with(Adam([p], lr=0.1), p, G1)
    assert p.array is data  # a Module holding p sees the new values without any re-assignment


# ---------------------------------------------------------------------------------------------
# dtypes and devices
# ---------------------------------------------------------------------------------------------

ALL_OPTIMIZERS = [
    (SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True}),
    (Adam, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (AdamW, {"lr": 0.01, "amsgrad": True}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1}),
]
IDS = [cls.__name__ for cls, _ in ALL_OPTIMIZERS]


def numpy_float64_hyperparameters(kwargs):
    """The same hyperparameters as NumPy float64 scalars, which are NOT weak in NumPy 2:
    np.float64(0.1) * float32_array is float64. A careless optimizer would leak float64."""
    return {
        key: (np.float64(value) if isinstance(value, float) else value)
        for key, value in kwargs.items()
    }


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_parameters_and_state_keep_their_dtype(cls, kwargs, dtype):
    params = make_params(initial_values(dtype))
    optimizer = cls(params, **numpy_float64_hyperparameters(kwargs))
    run_steps(optimizer, params, gradient_sequence(3, dtype))
    optimizer.param_groups[0]["lr"] = np.float64(0.05)  # e.g. set by hand mid-training
    run_steps(optimizer, params, gradient_sequence(2, dtype, seed=5))
    for p in params:
        assert p.dtype == dtype and p.array.dtype == dtype
        for name, value in optimizer.state[p].items():
            if name != "step":
                assert value.dtype == dtype, name


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_every_device_gives_the_cpu_result(cls, kwargs, device):
    values, gradient_steps = initial_values(), gradient_sequence(5)
    cpu_params = make_params(values)
    expected = run_steps(cls(cpu_params, **kwargs), cpu_params, gradient_steps)

    params = make_params(values, device=device)
    optimizer = cls(params, **kwargs)
    result = run_steps(optimizer, params, gradient_steps)
    backend = mg.get_backend(device)
    for p, got, want in zip(params, result, expected):
        assert p.device == device and backend.is_array(p.array)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
        for name, value in optimizer.state[p].items():
            assert name == "step" or backend.is_array(value)


# ---------------------------------------------------------------------------------------------
# Convergence on a convex quadratic, with gradients from minigrad's autograd
# ---------------------------------------------------------------------------------------------

CURVATURE = np.array([1.0, 4.0, 0.5], dtype=np.float32)
MINIMUM = np.array([1.0, -2.0, 3.0], dtype=np.float32)

CONVERGING = [
    (SGD, {"lr": 0.2}),
    (SGD, {"lr": 0.05, "momentum": 0.9}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (Adam, {"lr": 0.05}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.0}),
    (RMSprop, {"lr": 0.02}),
    (RMSprop, {"lr": 0.003, "momentum": 0.9, "centered": True}),
]


@pytest.mark.parametrize(
    "cls, kwargs", CONVERGING, ids=[f"{c.__name__}-{k}" for c, k in CONVERGING]
)
def test_converges_on_a_convex_quadratic(cls, kwargs):
    """f(p) = 1/2 sum_i a_i (p_i - c_i)^2 has its minimum 0 at p = c."""
    p = mg.zeros(3, requires_grad=True)
    a, c = mg.tensor(CURVATURE), mg.tensor(MINIMUM)
    optimizer = cls([p], **kwargs)
    losses = []
    for _ in range(400):
        optimizer.zero_grad()
        loss = (0.5 * a * (p - c) ** 2).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-8 * losses[0]
    np.testing.assert_allclose(p.numpy(), MINIMUM, atol=1e-3)


def test_adamw_weight_decay_pulls_the_minimum_towards_zero():
    """With decoupled decay the fixed point is where lr*wd*p balances the Adam step: |p| < |c|."""
    p = mg.zeros(3, requires_grad=True)
    a, c = mg.tensor(CURVATURE), mg.tensor(MINIMUM)
    optimizer = AdamW([p], lr=0.05, weight_decay=0.5)
    for _ in range(400):
        optimizer.zero_grad()
        (0.5 * a * (p - c) ** 2).sum().backward()
        optimizer.step()
    assert np.all(np.abs(p.numpy()) < np.abs(MINIMUM) - 0.05)
    assert np.all(np.sign(p.numpy()) == np.sign(MINIMUM))


def test_repr_lists_the_hyperparameters():
    text = repr(Adam([leaf()], lr=0.25))
    assert text.startswith("Adam (") and "lr: 0.25" in text and "betas: (0.9, 0.999)" in text
    assert math.isclose(Adam([leaf()]).defaults["lr"], 1e-3)
