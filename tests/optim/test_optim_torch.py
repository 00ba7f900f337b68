"""Cross-checks against PyTorch: same start, same gradients -> same parameters after 20 steps.

minigrad's update rules are written in PyTorch's order of operations, so in float64 the results
agree to ~1e-15 and in float32 to a few units in the last place. Skipped when torch is missing.
"""

import numpy as np
import pytest
from helpers_optim import SHAPES, gradient_sequence, initial_values, make_params, run_steps

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler

torch = pytest.importorskip("torch")

N_STEPS = 20

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.2}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.0}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "eps": 1e-4, "maximize": True}),
]

TOLERANCES = {np.float32: {"rtol": 2e-6, "atol": 2e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


def torch_run(name, kwargs, values, gradient_steps):
    params = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    optimizer = getattr(torch.optim, name)(params, **kwargs)
    for grads in gradient_steps:
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(g.copy())
        optimizer.step()
    return [p.detach().numpy() for p in params], optimizer


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_same_trajectory_as_torch(name, kwargs, dtype):
    values = initial_values(dtype)
    gradient_steps = gradient_sequence(N_STEPS, dtype)

    params = make_params(values)
    ours = run_steps(getattr(optim, name)(params, **kwargs), params, gradient_steps)
    theirs, _ = torch_run(name, kwargs, values, gradient_steps)

    for mine, reference, start in zip(ours, theirs, values):
        assert mine.dtype == dtype
        assert not np.allclose(mine, start)  # the parameters really moved
        np.testing.assert_allclose(mine, reference, **TOLERANCES[dtype])


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"momentum": 0.9}),
        ("Adam", {"amsgrad": True}),
        ("AdamW", {}),
        ("RMSprop", {"centered": True, "momentum": 0.5}),
    ],
)
def test_state_dict_has_torch_layout(name, kwargs):
    values = initial_values()
    gradient_steps = gradient_sequence(3)
    params = make_params(values)
    optimizer = getattr(optim, name)(params, **kwargs)
    run_steps(optimizer, params, gradient_steps)
    _, reference = torch_run(name, kwargs, values, gradient_steps)

    ours, theirs = optimizer.state_dict(), reference.state_dict()
    assert set(ours) == set(theirs) == {"state", "param_groups"}
    assert sorted(ours["state"]) == sorted(theirs["state"]) == list(range(len(SHAPES)))
    groups = [g["params"] for g in ours["param_groups"]]
    assert groups == [g["params"] for g in theirs["param_groups"]]
    for index in ours["state"]:
        assert set(ours["state"][index]) == set(theirs["state"][index])
        for key, value in ours["state"][index].items():
            expected = theirs["state"][index][key]
            if key == "step":
                assert value == int(expected.item())
            else:
                np.testing.assert_allclose(value, expected.numpy(), rtol=2e-6, atol=2e-6)
    shared = set(ours["param_groups"][0]) & set(theirs["param_groups"][0]) - {"params"}
    assert {"lr", "weight_decay", "maximize"} <= shared
    for key in shared:
        assert ours["param_groups"][0][key] == theirs["param_groups"][0][key]


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 6}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 4}),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=[n for n, _ in SCHEDULERS])
def test_scheduler_values_match_torch(name, kwargs):
    ours_opt = optim.SGD(make_params(initial_values()), lr=0.1)
    theirs_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)

    for _ in range(25):  # past T_max and total_iters too
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-9, atol=1e-12)
        assert ours_opt.param_groups[0]["lr"] == ours.get_last_lr()[0]
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


def test_lambda_scheduler_matches_torch_with_two_groups():
    a, b = make_params(initial_values())
    ours_opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    theirs_opt = torch.optim.Adam(
        [
            {"params": [torch.zeros(1, requires_grad=True)]},
            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5},
        ],
        lr=0.1,
    )
    lambdas = [lambda step: 0.95**step, lambda step: min(1.0, (step + 1) / 5)]
    ours = lr_scheduler.LambdaLR(ours_opt, lambdas)
    theirs = torch.optim.lr_scheduler.LambdaLR(theirs_opt, lambdas)
    for _ in range(10):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


def test_minigrad_module_on_torch_data_trains_identically():
    """End to end: loss -> backward -> Adam step, in minigrad and in torch, for 20 steps."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3)).astype(np.float32)
    y = rng.standard_normal((16, 1)).astype(np.float32)
    w0 = rng.standard_normal((3, 1)).astype(np.float32)

    w = mg.tensor(w0.copy(), requires_grad=True)
    ours = optim.Adam([w], lr=0.05)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    theirs = torch.optim.Adam([tw], lr=0.05)
    for _ in range(N_STEPS):
        ours.zero_grad()
        loss = ((mg.tensor(X) @ w - mg.tensor(y)) ** 2).mean()
        loss.backward()
        ours.step()
        theirs.zero_grad()
        tloss = ((torch.from_numpy(X) @ tw - torch.from_numpy(y)) ** 2).mean()
        tloss.backward()
        theirs.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
