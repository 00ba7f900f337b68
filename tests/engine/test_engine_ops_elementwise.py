"""log2 log10 exp2 log1p expm1 sin cos tan sign floor ceil round trunc (ops/unary.py) against
PyTorch (values, dtypes for float and integer inputs, gradients -- 0 for the step functions)
and central differences."""

import numpy as np
import pytest
from helpers_torch_compare import against_torch, f64, leaf

import minigrad as mg

SMOOTH = ["log2", "log10", "exp2", "log1p", "expm1", "sin", "cos", "tan"]
STEPS = ["sign", "floor", "ceil", "round", "trunc"]
POSITIVE_ONLY = {"log2", "log10", "log1p"}


def torch_module():
    return pytest.importorskip("torch")


def inputs_for(name, *shape, seed=0):
    if name in POSITIVE_ONLY:
        return f64(*shape, seed=seed, low=0.2, high=3.0)
    if name == "tan":
        return f64(*shape, seed=seed, low=-1.2, high=1.2)  # away from the poles at +-pi/2
    return f64(*shape, seed=seed) * 2.0


def method(name):
    return lambda t: getattr(t, name)()


def routine(name, library):
    return lambda t: getattr(library, name)(t)


@pytest.mark.parametrize("name", SMOOTH + STEPS)
def test_matches_torch_float64(device, name):
    x = inputs_for(name, 3, 4)
    against_torch(method(name), method(name), [x], device, rtol=1e-12)
    against_torch(routine(name, mg), routine(name, torch_module()), [x], device, rtol=1e-12)
    against_torch(method(name), method(name), [np.array(0.7)], device)  # 0-d
    against_torch(method(name), method(name), [np.zeros((0, 3))], device)  # empty


@pytest.mark.parametrize("name", SMOOTH + STEPS)
def test_float32_stays_float32(device, name):
    x = inputs_for(name, 5).astype(np.float32)
    against_torch(method(name), method(name), [x], device, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", SMOOTH + STEPS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_inputs_match_torch_dtype(device, name, dtype):
    """Float-valued functions make integers float32; step functions keep the integer dtype."""
    x = np.array([1, 2, 3, 7], dtype=dtype) * (
        1 if name in POSITIVE_ONLY else np.array([1, -1, 0, 1])
    )
    x = x.astype(dtype)
    against_torch(method(name), method(name), [x], device, rtol=2e-6)


def test_sign_of_bool_matches_torch(device):
    against_torch(method("sign"), method("sign"), [np.array([True, False])], device)


def test_step_functions_have_zero_gradient_as_torch(device):
    """Including at their jumps (integers and halves) and at 0 for sign."""
    x = np.array([-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.5, 0.3, -0.7])
    for name in STEPS:
        against_torch(method(name), method(name), [x], device)
        t = mg.tensor(x, device=device, requires_grad=True)
        getattr(t, name)().sum().backward()
        np.testing.assert_array_equal(t.grad.numpy(), np.zeros_like(x))


def test_round_halves_to_even_and_decimals_match_torch(device):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.25, 1.35, -2.675, 123.456])
    against_torch(lambda t: t.round(), lambda t: t.round(), [x], device)
    for decimals in [1, 2, -1]:
        against_torch(
            lambda t, d=decimals: t.round(decimals=d),
            lambda t, d=decimals: t.round(decimals=d),
            [x],
            device,
        )
        against_torch(
            lambda t, d=decimals: mg.round(t, decimals=d),
            lambda t, d=decimals: torch_module().round(t, decimals=d),
            [x.astype(np.float32)],
            device,
        )


def test_round_errors(device):
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        mg.tensor([1.5], device=device).round(decimals=0.5)
    with pytest.raises(TypeError, match="round: decimals=1 needs a float tensor"):
        mg.tensor([1, 2], device=device).round(decimals=1)


@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_functions_gradcheck(device, name):
    x = leaf(inputs_for(name, 3, 4), device)
    assert mg.gradcheck(method(name), [x])


def test_log1p_expm1_accurate_for_tiny_x(device):
    x = mg.tensor([1e-10, -1e-12], dtype=mg.float64, device=device)
    np.testing.assert_allclose(x.log1p().numpy(), [1e-10 - 5e-21, -1e-12 - 5e-25], rtol=1e-15)
    np.testing.assert_allclose(x.expm1().numpy(), [1e-10 + 5e-21, -1e-12 + 5e-25], rtol=1e-15)
