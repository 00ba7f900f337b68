"""Optimizer state dicts: resuming from one continues the exact same trajectory."""

import numpy as np
import pytest
from helpers_optim import gradient_sequence, initial_values, make_params, run_steps

import minigrad as mg
from minigrad import serialization
from minigrad.optim import SGD, Adam, AdamW, RMSprop

CONFIGS = [
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (SGD, {"lr": 0.1}),
    (Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (AdamW, {"lr": 0.01}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.9}),
]
IDS = [f"{cls.__name__}-{kwargs}" for cls, kwargs in CONFIGS]


@pytest.mark.parametrize("via_file", [False, True], ids=["in-memory", "saved-and-loaded"])
@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_resumed_optimizer_continues_identically(cls, kwargs, via_file, tmp_path):
    first_half, second_half = gradient_sequence(5), gradient_sequence(5, seed=9)

    params = make_params(initial_values())
    optimizer = cls(params, **kwargs)
    run_steps(optimizer, params, first_half)
    state = optimizer.state_dict()
    if via_file:
        serialization.save({"optimizer": state}, tmp_path / "opt.npz")
        state = serialization.load(tmp_path / "opt.npz")["optimizer"]

    # A fresh optimizer over parameters with the same values, and a different lr on purpose:
    # load_state_dict must restore the hyperparameters too.
    resumed_params = make_params([p.numpy() for p in params])
    resumed = cls(resumed_params, **{**kwargs, "lr": 123.0})
    resumed.load_state_dict(state)
    assert resumed.param_groups[0]["lr"] == kwargs["lr"]

    expected = run_steps(optimizer, params, second_half)
    got = run_steps(resumed, resumed_params, second_half)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)  # bit for bit


def test_a_resume_without_the_state_diverges():
    """Control for the test above: the momentum state really matters."""
    first_half, second_half = gradient_sequence(5), gradient_sequence(5, seed=9)
    params = make_params(initial_values())
    optimizer = Adam(params, lr=0.01)
    run_steps(optimizer, params, first_half)
    fresh_params = make_params([p.numpy() for p in params])
    fresh = Adam(fresh_params, lr=0.01)
    expected = run_steps(optimizer, params, second_half)
    got = run_steps(fresh, fresh_params, second_half)
    assert not np.allclose(got[0], expected[0])


def test_state_dict_layout_and_snapshot():
    params = make_params(initial_values())
    optimizer = SGD(
        [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}], lr=0.1, momentum=0.9
    )
    run_steps(optimizer, params, gradient_sequence(2))
    state = optimizer.state_dict()
    assert [group["params"] for group in state["param_groups"]] == [[0], [1]]
    assert [group["lr"] for group in state["param_groups"]] == [0.1, 0.5]
    assert set(state["state"]) == {0, 1}
    assert set(state["state"][0]) == {"momentum_buffer"}

    saved = state["state"][0]["momentum_buffer"].copy()
    run_steps(optimizer, params, gradient_sequence(2, seed=7))
    # the state dict is a snapshot: later steps do not change it
    np.testing.assert_array_equal(state["state"][0]["momentum_buffer"], saved)
    assert not np.array_equal(optimizer.state[params[0]]["momentum_buffer"], saved)


def test_parameters_without_state_are_left_out():
    params = make_params(initial_values())
    optimizer = Adam(params, lr=0.1)
    params[1].grad = mg.ones(params[1].shape)
    optimizer.step()
    assert set(optimizer.state_dict()["state"]) == {1}


def test_loaded_state_lands_on_the_parameters_device_and_dtype(device):
    params = make_params(initial_values())
    optimizer = Adam(params, lr=0.01)
    run_steps(optimizer, params, gradient_sequence(2))
    state = optimizer.state_dict()
    # float64 buffers in the file (e.g. written by other code) become the parameter's float32
    state["state"][0]["exp_avg"] = state["state"][0]["exp_avg"].astype(np.float64)
    state["state"][0]["step"] = np.int64(2)  # a NumPy scalar becomes a plain int again

    target_params = make_params(initial_values(), device=device)
    target = Adam(target_params, lr=0.01)
    target.load_state_dict(state)
    backend = mg.get_backend(device)
    for p in target_params:
        buffers = target.state[p]
        assert buffers["step"] == 2 and type(buffers["step"]) is int
        for name in ("exp_avg", "exp_avg_sq"):
            assert backend.is_array(buffers[name])
            assert buffers[name].dtype == np.float32


def test_mismatched_state_dicts_are_refused():
    params = make_params(initial_values())
    state = SGD(params, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="parameters"):
        SGD(params[:1], lr=0.1).load_state_dict(state)
