"""nn.init: gains, bounds, variances (checked statistically on large tensors), dtype, device,
in-place behaviour and the global generator."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import init


@pytest.mark.parametrize(
    "name, param, expected",
    [
        ("linear", None, 1.0),
        ("sigmoid", None, 1.0),
        ("conv2d", None, 1.0),
        ("tanh", None, 5.0 / 3.0),
        ("relu", None, math.sqrt(2.0)),
        ("leaky_relu", None, math.sqrt(2.0 / (1.0 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
        ("leaky_relu", math.sqrt(5.0), math.sqrt(1.0 / 3.0)),  # what Linear's init uses
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_unknown_nonlinearity():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def _stats(t):
    values = t.numpy().astype(np.float64)
    return values, values.mean(), values.std()


# (function, kwargs, shape, expected std, bound of a uniform init or None). fan_in = 400 and
# fan_out = 300 for the (300, 400) weight; 120,000 draws pin the std to about 0.3%.
CASES = [
    (init.xavier_uniform_, {}, (300, 400), math.sqrt(2.0 / 700), math.sqrt(6.0 / 700)),
    (
        init.xavier_uniform_,
        {"gain": 2.0},
        (300, 400),
        2 * math.sqrt(2.0 / 700),
        2 * math.sqrt(6.0 / 700),
    ),
    (init.xavier_normal_, {}, (300, 400), math.sqrt(2.0 / 700), None),
    (
        init.kaiming_uniform_,
        {"nonlinearity": "relu"},
        (300, 400),
        math.sqrt(2.0 / 400),
        math.sqrt(6.0 / 400),
    ),
    (
        init.kaiming_uniform_,
        {"mode": "fan_out", "nonlinearity": "relu"},
        (300, 400),
        math.sqrt(2.0 / 300),
        math.sqrt(6.0 / 300),
    ),
    (
        init.kaiming_uniform_,
        {"a": math.sqrt(5.0)},
        (300, 400),
        math.sqrt(1.0 / 1200),
        1.0 / math.sqrt(400),
    ),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, (300, 400), math.sqrt(2.0 / 400), None),
    (
        init.kaiming_normal_,
        {"mode": "fan_out", "nonlinearity": "tanh"},
        (300, 400),
        (5.0 / 3.0) / math.sqrt(300),
        None,
    ),
    # a convolution-shaped weight (out, in, kh, kw): fan_in = in · kh · kw = 20 · 9
    (init.kaiming_normal_, {"nonlinearity": "relu"}, (200, 20, 3, 3), math.sqrt(2.0 / 180), None),
    (init.uniform_, {"a": -0.5, "b": 1.5}, (300, 400), 2.0 / math.sqrt(12.0), None),
    (init.normal_, {"mean": 0.0, "std": 0.02}, (300, 400), 0.02, None),
]


@pytest.mark.parametrize(
    "fn, kwargs, shape, std, bound", CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES]
)
def test_initialisers_have_the_right_scale(fn, kwargs, shape, std, bound):
    t = mg.zeros(shape)
    assert fn(t, **kwargs) is t  # in place, returns the tensor
    assert t.dtype == mg.float32 and t.shape == shape
    values, _, measured_std = _stats(t)
    assert measured_std == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.99 * bound  # and it is really used up to the bound


def test_normal_mean_and_uniform_range():
    t = init.normal_(mg.zeros(400, 300), mean=3.0, std=0.5)
    assert t.numpy().mean() == pytest.approx(3.0, abs=0.01)
    u = init.uniform_(mg.zeros(1000), -0.5, 1.5).numpy()
    assert u.min() >= -0.5 and u.max() < 1.5


def test_constant_zeros_ones_keep_dtype():
    t = mg.zeros(2, 3, dtype=mg.float64)
    np.testing.assert_array_equal(init.constant_(t, 0.25).numpy(), np.full((2, 3), 0.25))
    assert t.dtype == mg.float64
    np.testing.assert_array_equal(init.ones_(t).numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(init.zeros_(t).numpy(), np.zeros((2, 3)))


def test_initialisers_keep_dtype_and_device_and_follow_the_seed(device):
    results = []
    for _ in range(2):
        mg.manual_seed(11)
        t = mg.zeros(3, 4, dtype=mg.float64, device=device)
        init.kaiming_uniform_(t)
        assert t.dtype == mg.float64 and t.device == device
        results.append(t.numpy())
    np.testing.assert_array_equal(results[0], results[1])
    again = init.kaiming_uniform_(mg.zeros(3, 4, dtype=mg.float64, device=device)).numpy()
    assert not np.array_equal(results[0], again)


def test_fan_needs_two_dimensions_and_a_known_mode():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(got shape \(5,\)\)"):
        init.xavier_uniform_(mg.zeros(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(mg.zeros(2, 2), mode="fan_avg")
