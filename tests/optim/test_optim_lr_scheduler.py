"""Learning-rate schedules against their formulas (expected values written out by hand)."""

import copy
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD, Adam
from minigrad.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    StepLR,
)


def optimizer(lr=1.0):
    return SGD([mg.zeros(2, requires_grad=True)], lr=lr)


def lrs_over(scheduler, n):
    """The lr after construction and after each of n-1 steps."""
    values = []
    for _ in range(n):
        values.append(scheduler.get_last_lr()[0])
        assert scheduler.optimizer.param_groups[0]["lr"] == values[-1]
        scheduler.optimizer.step()
        scheduler.step()
    return values


def test_step_lr():
    values = lrs_over(StepLR(optimizer(), step_size=2, gamma=0.5), 7)
    np.testing.assert_allclose(values, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125])


def test_exponential_lr():
    values = lrs_over(ExponentialLR(optimizer(2.0), gamma=0.5), 5)
    np.testing.assert_allclose(values, [2.0, 1.0, 0.5, 0.25, 0.125])


def test_cosine_annealing_lr():
    # (1 + cos(pi * t / 4)) / 2 for t = 0..4, then the cosine climbs back up
    values = lrs_over(CosineAnnealingLR(optimizer(), T_max=4), 7)
    expected = [1.0, 0.8535533906, 0.5, 0.1464466094, 0.0, 0.1464466094, 0.5]
    np.testing.assert_allclose(values, expected, atol=1e-10)


def test_cosine_annealing_lr_with_eta_min():
    values = lrs_over(CosineAnnealingLR(optimizer(0.1), T_max=2, eta_min=0.02), 3)
    np.testing.assert_allclose(values, [0.1, 0.06, 0.02], atol=1e-12)


def test_linear_warm_up():
    values = lrs_over(LinearLR(optimizer(0.4), start_factor=0.25, total_iters=3), 6)
    np.testing.assert_allclose(values, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4])


def test_linear_decay():
    values = lrs_over(LinearLR(optimizer(), start_factor=1.0, end_factor=0.5, total_iters=2), 4)
    np.testing.assert_allclose(values, [1.0, 0.75, 0.5, 0.5])


def test_lambda_lr_with_one_function_per_group():
    a, b = mg.zeros(1, requires_grad=True), mg.zeros(1, requires_grad=True)
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    scheduler = LambdaLR(opt, [lambda t: 1.0 / (t + 1), lambda t: 2.0**t])
    assert scheduler.get_last_lr() == [0.1, 0.5]
    scheduler.step()
    scheduler.step()
    np.testing.assert_allclose(scheduler.get_last_lr(), [0.1 / 3, 2.0])
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [0.1 / 3, 2.0])


def test_schedule_changes_the_size_of_the_update():
    p = mg.tensor([0.0], requires_grad=True)
    opt = SGD([p], lr=1.0)
    scheduler = StepLR(opt, step_size=1, gamma=0.1)
    positions = []
    for _ in range(3):
        p.grad = mg.tensor([1.0])
        opt.step()
        scheduler.step()
        positions.append(p.item())
    np.testing.assert_allclose(positions, [-1.0, -1.1, -1.11], rtol=1e-6)


def test_state_dict_round_trip_resumes_the_schedule():
    """Each step multiplies the optimizer's current lr (PyTorch's chainable form), so resuming
    restores both: the optimizer's state (its lr) and the scheduler's (last_epoch)."""
    scheduler = CosineAnnealingLR(optimizer(), T_max=10, eta_min=0.1)
    for _ in range(4):
        scheduler.step()
    state = scheduler.state_dict()
    assert state["last_epoch"] == 4 and "optimizer" not in state

    resumed_optimizer = optimizer()
    resumed = CosineAnnealingLR(resumed_optimizer, T_max=10, eta_min=0.1)
    resumed_optimizer.load_state_dict(scheduler.optimizer.state_dict())
    resumed.load_state_dict(state)
    for _ in range(3):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()


def test_lambda_lr_state_dict_leaves_out_the_functions():
    scheduler = LambdaLR(optimizer(), lambda t: 0.5**t)
    assert "lr_lambdas" not in scheduler.state_dict()


def test_two_chained_schedulers_multiply():
    """StepLR and ExponentialLR on one optimizer, both stepped each epoch: the rate is
    base * 0.9^t * 0.5^(t // 3), each scheduler applying its own factor to the current rate."""
    opt = optimizer(2.0)
    step, exponential = StepLR(opt, step_size=3, gamma=0.5), ExponentialLR(opt, gamma=0.9)
    for t in range(12):
        np.testing.assert_allclose(opt.param_groups[0]["lr"], 2.0 * 0.9**t * 0.5 ** (t // 3))
        assert exponential.get_last_lr() == [opt.param_groups[0]["lr"]]  # the last one stepped
        opt.step()
        step.step()
        exponential.step()


def test_warm_up_then_cosine():
    """LinearLR warm-up (x0.25 -> x1 over 3 steps) chained with a cosine over 6 steps: the
    product of the two closed forms."""
    opt = optimizer(1.0)
    warm_up = LinearLR(opt, start_factor=0.25, total_iters=3)
    cosine = CosineAnnealingLR(opt, T_max=6)
    for t in range(8):
        factor = 0.25 + 0.75 * min(t, 3) / 3
        np.testing.assert_allclose(
            opt.param_groups[0]["lr"], factor * (1 + math.cos(math.pi * t / 6)) / 2, atol=1e-15
        )
        opt.step()
        warm_up.step()
        cosine.step()


def test_initial_lr_survives_a_second_scheduler():
    opt = optimizer(1.0)
    first = ExponentialLR(opt, gamma=0.5)
    first.step()
    second = StepLR(opt, step_size=10)  # starts from the original lr, not the decayed one
    assert second.base_lrs == [1.0]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda opt: StepLR(opt, step_size=0), "step_size"),
        (lambda opt: CosineAnnealingLR(opt, T_max=0), "T_max"),
        (lambda opt: LinearLR(opt, start_factor=0.0), "start_factor"),
        (lambda opt: LinearLR(opt, end_factor=1.5), "end_factor"),
        (lambda opt: LinearLR(opt, total_iters=0), "total_iters"),
        (lambda opt: LambdaLR(opt, [lambda t: 1.0, lambda t: 1.0]), "lr_lambdas"),
    ],
)
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(optimizer())


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        StepLR([mg.zeros(1)], step_size=1)


# ----------------------------------------------------------------------------------------------
# SequentialLR: one scheduler after another, bit for bit as PyTorch
# ----------------------------------------------------------------------------------------------


def _sequential_rates(lib, make, epochs=16):
    params = [lib.zeros(1, requires_grad=True)]
    optimizer = lib.optim.SGD([{"params": params, "lr": 0.5}, {"params": [], "lr": 0.2}])
    scheduler = make(lib.optim.lr_scheduler, optimizer)
    rates = [[group["lr"] for group in optimizer.param_groups]]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        rates.append([group["lr"] for group in optimizer.param_groups])
    return rates, scheduler.get_last_lr()


SEQUENCES = {
    "warmup_then_cosine": lambda L, opt: L.SequentialLR(
        opt,
        [L.LinearLR(opt, start_factor=0.1, total_iters=3), L.CosineAnnealingLR(opt, T_max=9)],
        milestones=[3],
    ),
    "three_stages": lambda L, opt: L.SequentialLR(
        opt,
        [
            L.ExponentialLR(opt, gamma=0.9),
            L.StepLR(opt, step_size=2, gamma=0.5),
            L.LinearLR(opt, start_factor=0.5, end_factor=1.0, total_iters=4),
        ],
        milestones=[4, 9],
    ),
}


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_sequential_lr_equals_pytorch_bit_for_bit(name):
    torch = pytest.importorskip("torch")
    assert _sequential_rates(mg, SEQUENCES[name]) == _sequential_rates(torch, SEQUENCES[name])


def test_sequential_lr_state_dict_resumes_the_schedule():
    full, _ = _sequential_rates(mg, SEQUENCES["warmup_then_cosine"], epochs=10)
    params = [mg.zeros(1, requires_grad=True)]
    optimizer = mg.optim.SGD([{"params": params, "lr": 0.5}, {"params": [], "lr": 0.2}])
    scheduler = SEQUENCES["warmup_then_cosine"](mg.optim.lr_scheduler, optimizer)
    for _ in range(5):
        optimizer.step()
        scheduler.step()
    saved = (copy.deepcopy(optimizer.state_dict()), copy.deepcopy(scheduler.state_dict()))
    optimizer = mg.optim.SGD([{"params": params, "lr": 0.5}, {"params": [], "lr": 0.2}])
    scheduler = SEQUENCES["warmup_then_cosine"](mg.optim.lr_scheduler, optimizer)
    optimizer.load_state_dict(saved[0])
    scheduler.load_state_dict(saved[1])
    resumed = []
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        resumed.append([group["lr"] for group in optimizer.param_groups])
    assert resumed == full[6:]


def test_sequential_lr_argument_errors_as_pytorch():
    params = [mg.zeros(1, requires_grad=True)]
    optimizer, other = mg.optim.SGD(params, lr=0.1), mg.optim.SGD(params, lr=0.1)
    L = mg.optim.lr_scheduler
    with pytest.raises(ValueError, match="at least one scheduler"):
        L.SequentialLR(optimizer, [], milestones=[])
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        L.SequentialLR(optimizer, [L.ExponentialLR(optimizer, 0.9)], milestones=[2])
    with pytest.raises(ValueError, match="same optimizer"):
        L.SequentialLR(optimizer, [L.ExponentialLR(other, 0.9)], milestones=[])
