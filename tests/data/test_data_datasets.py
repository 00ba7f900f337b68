"""Synthetic datasets: shapes, dtypes, determinism per seed, and the geometry they promise."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (
    make_circles,
    make_linear_regression,
    make_moons,
    make_polynomial_regression,
    make_spirals,
)

CLASSIFICATION = [
    (make_moons, {"n_samples": 101, "noise": 0.1}, 2),
    (make_circles, {"n_samples": 101, "noise": 0.05, "factor": 0.5}, 2),
    (make_spirals, {"n_samples": 101, "n_classes": 4, "noise": 0.2}, 4),
]
IDS = [make.__name__ for make, _, _ in CLASSIFICATION]


@pytest.mark.parametrize("make, kwargs, n_classes", CLASSIFICATION, ids=IDS)
def test_classification_shapes_dtypes_and_classes(make, kwargs, n_classes):
    X, y = make(**kwargs, seed=0)
    assert isinstance(X, mg.Tensor) and isinstance(y, mg.Tensor)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y.numpy(), minlength=n_classes)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1  # balanced
    assert np.all(np.isfinite(X.numpy()))


@pytest.mark.parametrize("make, kwargs, n_classes", CLASSIFICATION, ids=IDS)
def test_classification_is_deterministic_per_seed(make, kwargs, n_classes):
    X1, y1 = make(**kwargs, seed=5)
    mg.manual_seed(123)  # the global seed must not matter
    X2, y2 = make(**kwargs, seed=5)
    X3, _ = make(**kwargs, seed=6)
    np.testing.assert_array_equal(X1.numpy(), X2.numpy())
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    assert not np.allclose(X1.numpy(), X3.numpy())


def test_datasets_do_not_touch_the_global_generator():
    mg.manual_seed(0)
    expected = mg.randn(3).numpy()
    mg.manual_seed(0)
    make_moons(50, noise=0.1, seed=1)
    np.testing.assert_array_equal(mg.randn(3).numpy(), expected)


def test_samples_are_shuffled():
    _, y = make_moons(100, seed=0)
    assert not np.array_equal(y.numpy(), np.sort(y.numpy()))


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = make_moons(60, noise=0.0, seed=0)
    X, y = X.numpy().astype(np.float64), y.numpy()
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    assert np.all(upper[:, 1] >= -1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert np.all(lower[:, 1] <= 0.5 + 1e-6)


def test_circles_without_noise_have_radius_one_and_factor():
    X, y = make_circles(40, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X.numpy()[:, 0], X.numpy()[:, 1])
    np.testing.assert_allclose(radius[y.numpy() == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y.numpy() == 1], 0.3, atol=1e-6)


def test_spirals_without_noise_follow_their_arms():
    X, y = make_spirals(90, n_classes=3, noise=0.0, seed=0)
    X, y = X.numpy().astype(np.float64), y.numpy()
    r = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 0], X[:, 1])  # points are (r sin a, r cos a)
    expected = 2 * np.pi * y / 3 + 4 * r
    difference = np.angle(np.exp(1j * (angle - expected)))  # compare angles modulo 2 pi
    mask = r > 1e-3  # the angle of the centre point is undefined
    np.testing.assert_allclose(difference[mask], 0.0, atol=1e-4)
    assert r.max() == pytest.approx(1.0, abs=1e-6)


def test_linear_regression_targets_follow_the_true_weights():
    X, y, w = make_linear_regression(200, n_features=3, noise=0.0, bias=1.5, seed=0)
    assert X.shape == (200, 3) and y.shape == (200, 1) and w.shape == (3,)
    assert X.dtype == y.dtype == w.dtype == np.float32
    expected = X.numpy().astype(np.float64) @ w.numpy().astype(np.float64) + 1.5
    np.testing.assert_allclose(y.numpy()[:, 0], expected, rtol=1e-5, atol=1e-5)


def test_linear_regression_with_noise_is_recoverable_by_least_squares():
    X, y, w = make_linear_regression(2000, n_features=2, noise=0.1, seed=3)
    design = np.hstack([X.numpy(), np.ones((2000, 1), dtype=np.float32)])
    solution, *_ = np.linalg.lstsq(design.astype(np.float64), y.numpy()[:, 0], rcond=None)
    np.testing.assert_allclose(solution[:2], w.numpy(), atol=0.02)
    assert abs(solution[2]) < 0.02
    residual = y.numpy()[:, 0] - design @ solution
    assert residual.std() == pytest.approx(0.1, rel=0.1)


def test_polynomial_regression_targets_follow_the_coefficients():
    x, y, c = make_polynomial_regression(50, degree=3, noise=0.0, x_range=(-2.0, 1.0), seed=0)
    assert x.shape == (50, 1) and y.shape == (50, 1) and c.shape == (4,)
    xs = x.numpy()[:, 0].astype(np.float64)
    assert xs.min() >= -2.0 and xs.max() <= 1.0
    coefficients = c.numpy().astype(np.float64)
    expected = sum(coefficients[k] * xs**k for k in range(4))
    np.testing.assert_allclose(y.numpy()[:, 0], expected, rtol=1e-5, atol=1e-5)


def test_regression_is_deterministic_per_seed():
    a = make_polynomial_regression(30, seed=2)
    b = make_polynomial_regression(30, seed=2)
    for s, t in zip(a, b):
        np.testing.assert_array_equal(s.numpy(), t.numpy())
    assert not np.array_equal(a[0].numpy(), make_polynomial_regression(30, seed=3)[0].numpy())


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_moons(0), "n_samples"),
        (lambda: make_moons(10, noise=-1.0), "noise"),
        (lambda: make_circles(10, factor=1.0), "factor"),
        (lambda: make_spirals(10, n_classes=1), "n_classes"),
        (lambda: make_spirals(2, n_classes=3), "n_samples"),
        (lambda: make_linear_regression(10, n_features=0), "n_features"),
        (lambda: make_polynomial_regression(10, degree=-1), "degree"),
        (lambda: make_polynomial_regression(10, x_range=(1.0, 1.0)), "x_range"),
    ],
)
def test_invalid_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
