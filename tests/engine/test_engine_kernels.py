"""minigrad/ops/kernels.py: each fast kernel equals its readable reference.

The references are the plain array expressions the op files give in their comments
("Reference: ..."). Several shapes, float32 and float64, and the edge cases: empty rows or
columns (D = 0, M = 0), a single row or column, and 0-d inputs for GELU's backward.
"""

import math

import numpy as np
import pytest

from minigrad.backend import get_backend
from minigrad.ops import kernels

SHAPES_2D = [(1, 1), (1, 7), (7, 1), (5, 3), (64, 33), (0, 4), (4, 0), (0, 0)]
SHAPES_ND = [(3,), (2, 5), (2, 3, 4), (2, 1, 3, 5), (3, 0), (0, 3), (2, 0, 4)]
DTYPES = [np.float32, np.float64]
# float32: the BLAS sum adds in another order than NumPy's pairwise sum
RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def _array(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _on(device, array):
    """The array on `device`'s backend, and that backend."""
    backend = get_backend(device)
    return backend.asarray(array), backend


def _check(result, expected, backend, dtype):
    host = backend.to_numpy(result)
    assert host.dtype == dtype, f"{host.dtype} != {dtype}"
    assert host.shape == expected.shape
    np.testing.assert_allclose(host, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES_2D)
def test_column_sums_is_sum_over_axis_0(device, shape, dtype):
    a = _array(shape, dtype)
    data, backend = _on(device, a)
    _check(kernels.column_sums(backend.xp, data), a.sum(axis=0), backend, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES_ND)
def test_row_sums_is_sum_over_the_last_axis(device, shape, dtype):
    a = _array(shape, dtype)
    data, backend = _on(device, a)
    _check(kernels.row_sums(backend.xp, data), a.sum(axis=-1, keepdims=True), backend, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [s for s in SHAPES_2D if s[1] > 0])
def test_row_means_is_mean_over_the_last_axis(device, shape, dtype):
    a = _array(shape, dtype)
    data, backend = _on(device, a)
    _check(kernels.row_means(backend.xp, data), a.mean(axis=-1, keepdims=True), backend, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_means_of_empty_rows_is_nan(device, dtype):
    """D = 0: the mean of nothing is nan, as a.mean(axis=-1) says (not a division error)."""
    data, backend = _on(device, np.zeros((3, 0), dtype))
    with np.errstate(invalid="ignore", divide="ignore"):
        result = backend.to_numpy(kernels.row_means(backend.xp, data))
    assert result.shape == (3, 1) and result.dtype == dtype and np.isnan(result).all()


def _reference_gelu_backward(x, cdf, grad):
    return grad * (cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 4), (2, 3, 4), (0, 3)])
def test_gelu_backward_equals_the_formula(device, shape, dtype):
    x = _array(shape, dtype, seed=1) * 3
    cdf = (0.5 * (1 + np.vectorize(math.erf, otypes=[np.float64])(x / math.sqrt(2)))).astype(dtype)
    grad = _array(shape, dtype, seed=2)
    args = [_on(device, a)[0] for a in (x, cdf, grad)]
    backend = get_backend(device)
    _check(
        kernels.gelu_backward(backend.xp, *args),
        _reference_gelu_backward(x, cdf, grad),
        backend,
        dtype,
    )


def test_gelu_backward_does_not_touch_its_inputs():
    """In place on its own new array only: x, cdf and grad stay as they were."""
    x, cdf, grad = (_array((4, 5), np.float64, seed=s) for s in (1, 2, 3))
    copies = [a.copy() for a in (x, cdf, grad)]
    kernels.gelu_backward(np, x, cdf, grad)
    for a, c in zip((x, cdf, grad), copies, strict=True):
        np.testing.assert_array_equal(a, c)


# --------------------------------------------------------------------------------------------
# Max pooling over windows that tile the input (stride = kernel, no padding, no dilation)
# --------------------------------------------------------------------------------------------

POOL_CASES = [((2, 3, 4, 6), (2, 2)), ((1, 1, 6, 6), (3, 3)), ((3, 2, 4, 5), (2, 1)),
              ((2, 2, 3, 4), (1, 2)), ((2, 3, 2, 2), (1, 1)), ((0, 3, 4, 4), (2, 2))]  # fmt: skip


def _pool_input(shape, dtype):
    """Random values with many ties: after rounding and a ReLU whole windows are 0."""
    return np.maximum(np.round(_array(shape, dtype, seed=3)), 0).astype(dtype)


def _reference_max_pool(x, kernel):
    """The plain expression: every window's taps in row-major order on the last axis, its max,
    and a one-hot of the FIRST tap equal to it (tap axis first, as the kernel returns it)."""
    n, c, h, w = x.shape
    kh, kw = kernel
    windows = x.reshape(n, c, h // kh, kh, w // kw, kw).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(n, c, h // kh, w // kw, kh * kw)
    best = windows.max(axis=-1)
    first = (windows == best[..., None]).argmax(axis=-1)
    one_hot = np.arange(kh * kw).reshape(-1, 1, 1, 1, 1) == first[None]
    return best, one_hot


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kernel", POOL_CASES)
def test_max_pool2d_tiles_is_the_windows_max_and_first_argmax(device, shape, kernel, dtype):
    x = _pool_input(shape, dtype)
    data, backend = _on(device, x)
    best, one_hot = kernels.max_pool2d_tiles(backend.xp, data, kernel)
    expected_best, expected_one_hot = _reference_max_pool(x, kernel)
    _check(best, expected_best, backend, dtype)
    assert len(one_hot) == len(expected_one_hot)
    for hit, expected_hit in zip(one_hot, expected_one_hot, strict=True):
        np.testing.assert_array_equal(backend.to_numpy(hit), expected_hit)


def test_max_pool2d_tiles_reads_a_transposed_input():
    """A conv output may be a transposed view (channels first in memory): same results,
    forward and backward."""
    x = _pool_input((3, 2, 4, 4), np.float32)
    transposed = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    best, one_hot = kernels.max_pool2d_tiles(np, transposed, (2, 2))
    expected_best, expected_one_hot = _reference_max_pool(x, (2, 2))
    np.testing.assert_array_equal(best, expected_best)
    np.testing.assert_array_equal(np.stack(one_hot), expected_one_hot)
    grad = _array(best.shape, np.float32, seed=4)
    transposed_grad = np.ascontiguousarray(grad.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    np.testing.assert_array_equal(
        kernels.max_pool2d_tiles_backward(np, one_hot, transposed_grad, (2, 2)),
        kernels.max_pool2d_tiles_backward(
            np, [np.ascontiguousarray(h) for h in one_hot], grad, (2, 2)
        ),
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kernel", POOL_CASES)
def test_max_pool2d_tiles_backward_is_col2im_of_the_masked_gradient(device, shape, kernel, dtype):
    """Reference: each input position gets the gradient of its window where it is the marked
    tap, 0 elsewhere (col2im of one_hot * grad, with windows that do not overlap)."""
    x = _pool_input(shape, dtype)
    _, one_hot = _reference_max_pool(x, kernel)
    n, c, h, w = shape
    kh, kw = kernel
    grad = _array((n, c, h // kh, w // kw), dtype, seed=4)
    mask = one_hot.reshape(kh, kw, n, c, h // kh, w // kw).transpose(2, 3, 4, 0, 5, 1)
    expected = (mask * grad[:, :, :, None, :, None]).reshape(shape).astype(dtype)
    (one_hot_on, grad_on), backend = (
        [_on(device, a)[0] for a in (one_hot, grad)],
        get_backend(device),
    )
    result = kernels.max_pool2d_tiles_backward(backend.xp, one_hot_on, grad_on, kernel)
    _check(result, expected, backend, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_select_is_where_mask_values_zero_with_nan_and_inf(device, dtype):
    """kernels.select equals its reference xp.where(mask, values, 0), with finite values (the
    multiply path) and with a NaN and an inf where the mask is 0 (the select path)."""
    rng = np.random.default_rng(0)
    backend = get_backend(device)
    for values in (
        rng.standard_normal((5, 7)),
        np.array([[np.nan, 1.0, np.inf], [2.0, -np.inf, 3.0]]),
        np.zeros((0, 3)),
    ):
        values = values.astype(dtype)
        mask = rng.random(values.shape) > 0.5
        if values.size:
            mask[0, 0] = False  # the NaN (or a number) is blocked
        got = kernels.select(backend.xp, backend.asarray(mask), backend.asarray(values))
        expected = np.where(mask, values, 0)
        np.testing.assert_array_equal(backend.to_numpy(got), expected)
        assert backend.to_numpy(got).dtype == dtype
