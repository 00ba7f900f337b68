"""Small synthetic datasets for lessons: no download, the same numbers for the same seed.

    make_moons                   two interleaving half circles       (binary classification)
    make_circles                 a small circle inside a big one     (binary classification)
    make_spirals                 k intertwined spiral arms           (k-class classification)
    make_linear_regression       y = X w + b + noise                 (returns the true w too)
    make_polynomial_regression   y = c0 + c1 x + ... + cd x^d + noise (returns the true c too)

Every function draws from its own `numpy.random.default_rng(seed)`, so it neither uses nor
changes minigrad's global random state, and the data are the same on every machine and device.
Features come back as float32 Tensors, class labels as int64 Tensors, regression targets as
float32 Tensors of shape (n_samples, 1) -- the shape a Linear(…, 1) layer outputs, so that
`mse_loss(model(X), y)` compares like with like instead of broadcasting (n, 1) against (n,).
"""

import numpy as np

from minigrad.creation import tensor


def _check_common(n_samples, noise):
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples <= 0:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def _classification(X, y, rng):
    """Shuffle (so that classes are not in blocks) and convert to Tensors."""
    order = rng.permutation(len(y))
    X = tensor(X[order].astype(np.float32))
    y = tensor(y[order].astype(np.int64))
    return X, y


def make_moons(n_samples=100, noise=0.0, seed=0):
    """Two interleaving half circles: a classic dataset that a linear classifier cannot solve.

    Class 0 lies on the upper half of the unit circle, (cos t, sin t) for t in [0, pi]; class 1 on
    a lower half circle shifted right and up, (1 - cos t, 0.5 - sin t). Gaussian noise with
    standard deviation `noise` is added to both coordinates.

    Returns (X, y): X float32 of shape (n_samples, 2), y int64 of shape (n_samples,).
    """
    _check_common(n_samples, noise)
    rng = np.random.default_rng(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    y = np.concatenate([np.zeros(n_upper), np.ones(n_lower)])
    return _classification(X, y, rng)


def make_circles(n_samples=100, noise=0.0, factor=0.8, seed=0):
    """A circle of radius `factor` (class 1) inside the unit circle (class 0).

    Points are evenly spaced around each circle before Gaussian noise of standard deviation
    `noise` is added. Separable by radius, so a network must learn a nonlinear boundary.

    Returns (X, y): X float32 of shape (n_samples, 2), y int64 of shape (n_samples,).
    """
    _check_common(n_samples, noise)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor must be in [0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    t_outer = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * np.pi, n_inner, endpoint=False)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = factor * np.stack([np.cos(t_inner), np.sin(t_inner)], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n_samples, 2))
    y = np.concatenate([np.zeros(n_outer), np.ones(n_inner)])
    return _classification(X, y, rng)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=0):
    """`n_classes` spiral arms winding out of the origin, one class per arm.

    Arm c has points at radius r from 0 to 1 and angle 2*pi*c/n_classes + 4*r (+ Gaussian noise
    of standard deviation `noise`, in radians): (r*sin(angle), r*cos(angle)). n_samples is the
    total; the first n_samples % n_classes arms get one point more.

    Returns (X, y): X float32 of shape (n_samples, 2), y int64 of shape (n_samples,).
    """
    _check_common(n_samples, noise)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
    if n_samples < n_classes:
        raise ValueError(f"n_samples ({n_samples}) must be at least n_classes ({n_classes})")
    rng = np.random.default_rng(seed)
    points, labels = [], []
    for c in range(n_classes):
        n = n_samples // n_classes + (1 if c < n_samples % n_classes else 0)
        r = np.linspace(0.0, 1.0, n)
        angle = 2.0 * np.pi * c / n_classes + 4.0 * r + noise * rng.standard_normal(n)
        points.append(np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1))
        labels.append(np.full(n, c))
    return _classification(np.concatenate(points), np.concatenate(labels), rng)


def make_linear_regression(n_samples=100, n_features=1, noise=0.1, bias=0.0, seed=0):
    """A linear model with Gaussian noise: y = X w + bias + noise * e,  e ~ N(0, 1).

    X has standard normal entries and the true weights w are drawn uniformly from [-2, 2].
    Fitting a Linear(n_features, 1) layer with MSE (F1) should recover w and bias.

    Returns (X, y, w): X float32 (n_samples, n_features), y float32 (n_samples, 1),
    w float32 (n_features,).
    """
    _check_common(n_samples, noise)
    if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features <= 0:
        raise ValueError(f"n_features must be a positive int, got {n_features!r}")
    rng = np.random.default_rng(seed)
    w = rng.uniform(-2.0, 2.0, size=n_features)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ w + bias + noise * rng.standard_normal(n_samples)
    return (
        tensor(X.astype(np.float32)),
        tensor(y.reshape(n_samples, 1).astype(np.float32)),
        tensor(w.astype(np.float32)),
    )


def make_polynomial_regression(n_samples=100, degree=3, noise=0.1, x_range=(-1.0, 1.0), seed=0):
    """A polynomial with Gaussian noise: y = c[0] + c[1] x + ... + c[degree] x^degree + noise * e.

    x is drawn uniformly from x_range, the coefficients c from N(0, 1). A model that is linear in
    the features (x, x^2, ..., x^degree) can recover c; a plain line cannot (underfitting).

    Returns (x, y, c): x float32 (n_samples, 1), y float32 (n_samples, 1),
    c float32 (degree + 1,), lowest power first.
    """
    _check_common(n_samples, noise)
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 0:
        raise ValueError(f"degree must be an int >= 0, got {degree!r}")
    low, high = x_range
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range}")
    rng = np.random.default_rng(seed)
    coefficients = rng.standard_normal(degree + 1)
    x = rng.uniform(low, high, size=n_samples)
    powers = x[:, None] ** np.arange(degree + 1)  # column k holds x^k
    y = powers @ coefficients + noise * rng.standard_normal(n_samples)
    return (
        tensor(x.reshape(n_samples, 1).astype(np.float32)),
        tensor(y.reshape(n_samples, 1).astype(np.float32)),
        tensor(coefficients.astype(np.float32)),
    )
