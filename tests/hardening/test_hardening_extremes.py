"""Numerical extremes: huge logits, saturated activations, probabilities of exactly 0 and 1,
constant rows, single elements and divisors near zero.

Each property compares minigrad with a reference written here independently, in float64 NumPy
(np.logaddexp, math.erfc, exact fractions) -- never with minigrad itself. Inside the checks NumPy
is told to raise on overflow, invalid operations and division by zero, so a value that is finite
only by luck (inf - inf hidden by a where) also fails.
"""

import math
from fractions import Fraction

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F

DTYPES = [mg.float32, mg.float64]
# (rtol, atol) for values and gradients of order one, per dtype: a few ulps after a handful
# of operations, never looser.
TOL = {np.dtype("float32"): (2e-6, 1e-6), np.dtype("float64"): (1e-12, 1e-14)}
LOGIT = 1e4
SPECIAL = [LOGIT, -LOGIT, 0.0, 88.5, -88.5, 709.0, -709.0, 746.0, -746.0]


def logits(dtype, min_side=1):
    """Arrays (rows, cols) of logits in [-1e4, 1e4], often at the ends and at exp's limits."""
    elements = st.one_of(
        st.sampled_from(SPECIAL), st.floats(-LOGIT, LOGIT, width=32 if dtype == mg.float32 else 64)
    )
    shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=min_side, max_side=5)
    return hnp.arrays(np.dtype(dtype), shapes, elements=elements)


def strict_numpy():
    return np.errstate(over="raise", invalid="raise", divide="raise", under="ignore")


def _check(actual, expected, dtype, scale=1.0):
    rtol, atol = TOL[np.dtype(dtype)]
    assert np.all(np.isfinite(actual)), actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale)


def _lse(x, axis=-1):
    """log Σ e^x along axis (keepdims), in extended precision, shifted by the maximum first;
    rows that are all -inf give -inf."""
    x = x.astype(np.longdouble)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).astype(np.float64)


def _softmax(x, axis=-1):
    """e^x / Σ e^x in extended precision (not via _lse: exp(x - lse) loses digits at 1e4)."""
    x = x.astype(np.longdouble)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float64)


def _run(fn, x, dtype, seed=0):
    """fn(x) and dL/dx for L = <g, fn(x)> with a random cotangent g."""
    leaf = mg.tensor(x, dtype=dtype, requires_grad=True)
    with strict_numpy():
        out = fn(leaf)
        g = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
        out.backward(mg.tensor(g, dtype=dtype))
    return out.numpy(), leaf.grad.numpy(), g.astype(np.float64)


# ----------------------------------------------------------------------------------------------
# softmax, log_softmax, logsumexp, cross-entropy, BCE with logits
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_softmax_of_huge_logits(dtype, data):
    """softmax at logits up to ±1e4: finite probabilities summing to 1, and the exact
    vector-Jacobian product p ⊙ (g - <g, p>)."""
    x = data.draw(logits(dtype))
    out, grad, g = _run(lambda t: t.softmax(-1), x, dtype)
    p = _softmax(x)
    _check(out, p, dtype)
    _check(grad, p * (g - (g * p).sum(-1, keepdims=True)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_log_softmax_of_huge_logits(dtype, data):
    """log_softmax at ±1e4: finite (down to -2e4), and the gradient g - softmax · Σg."""
    x = data.draw(logits(dtype))
    out, grad, g = _run(lambda t: t.log_softmax(-1), x, dtype)
    expected = x - _lse(x)
    _check(out, expected, dtype, scale=np.abs(expected).max(initial=1.0))
    _check(grad, g - _softmax(x) * g.sum(-1, keepdims=True), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_logsumexp_of_huge_logits(dtype, data):
    """logsumexp at ±1e4 (where e^x overflows): finite, and its gradient is the softmax."""
    x = data.draw(logits(dtype))
    out, grad, g = _run(lambda t: t.logsumexp(-1), x, dtype)
    expected = _lse(x)[:, 0]
    _check(out, expected, dtype, scale=np.abs(expected).max(initial=1.0))
    _check(grad, g[:, None] * _softmax(x), dtype)


def test_logsumexp_gradient_is_exact_at_large_logits():
    """d logsumexp / dx = softmax(x) = [1/2, 1/2] here, to float32 precision. (Regression:
    e^(x - y) with y rounded was 2e-4 off at 1e4 -- as PyTorch still is.)"""
    x = mg.tensor([[1e4, 1e4]], requires_grad=True)
    x.logsumexp(-1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.5]], rtol=2e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_cross_entropy_of_huge_logits(dtype, data):
    """F.cross_entropy at ±1e4: the loss mean(lse(z) - z_y) is finite and exact, and the
    gradient is (softmax(z) - onehot(y)) / N."""
    x = data.draw(logits(dtype, min_side=2))
    n, c = x.shape
    y = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    out, grad, g = _run(lambda t: F.cross_entropy(t, mg.tensor(y)), x, dtype)
    lse = _lse(x)
    expected = float(np.mean(lse[:, 0] - x[np.arange(n), y]))
    _check(out, expected, dtype, scale=max(1.0, abs(expected)))
    onehot = np.eye(c)[y]
    _check(grad, g * (_softmax(x) - onehot) / n, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_bce_with_logits_of_huge_logits(dtype, data):
    """BCE-with-logits at ±1e4: loss softplus(z) - z·y (as np.logaddexp(0, z) computes it)
    stays finite, gradient (σ(z) - y)/n, for hard and soft targets."""
    x = data.draw(logits(dtype))
    y = data.draw(
        hnp.arrays(np.dtype(dtype), x.shape, elements=st.sampled_from([0.0, 1.0, 0.25, 0.5]))
    )
    out, grad, g = _run(
        lambda t: F.binary_cross_entropy_with_logits(t, mg.tensor(y, dtype=dtype)), x, dtype
    )
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    expected = float(np.mean(np.logaddexp(0.0, x64) - x64 * y64))
    _check(out, expected, dtype, scale=max(1.0, abs(expected)))
    sigma = np.exp(-np.logaddexp(0.0, -x64))
    _check(grad, g * (sigma - y64) / x.size, dtype)


# ----------------------------------------------------------------------------------------------
# BCE on probabilities exactly 0 and 1
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_bce_on_probabilities_of_exactly_0_and_1(dtype, data):
    """binary_cross_entropy with p in {0, 1} is finite, with PyTorch's semantics: each log is
    clamped at -100 and the gradient's denominator p(1 - p) at 1e-12."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
    p = data.draw(
        hnp.arrays(
            np.dtype(dtype), shape, elements=st.sampled_from([0.0, 1.0, 0.5, 1e-30, 1 - 2**-20])
        )
    )
    y = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=st.sampled_from([0.0, 1.0])))
    out, grad, g = _run(lambda t: F.binary_cross_entropy(t, mg.tensor(y, dtype=dtype)), p, dtype)
    p64, y64 = p.astype(np.float64), y.astype(np.float64)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p64), -100.0)
        log_1mp = np.maximum(np.log(1.0 - p64), -100.0)
    expected = float(np.mean(-(y64 * log_p + (1.0 - y64) * log_1mp)))
    _check(out, expected, dtype, scale=100.0)
    expected_grad = g * (p64 - y64) / np.maximum(p64 * (1.0 - p64), 1e-12) / p.size
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, expected_grad, rtol=TOL[np.dtype(dtype)][0] * 10, atol=0)


# ----------------------------------------------------------------------------------------------
# LayerNorm on constant rows, variance of one element
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@given(value=st.floats(-1e4, 1e4, width=32), width=st.integers(1, 9), rows=st.integers(1, 3))
def test_layer_norm_of_constant_rows(dtype, value, width, rows):
    """A constant row has no spread: (x - mean) is exactly 0, so LayerNorm outputs exactly its
    bias, gets gradient (ĝ - mean ĝ)/√ε for x, 0 for the weight and Σg for the bias -- all
    finite, whatever the constant (PyTorch gives the same)."""
    layer = mg.nn.LayerNorm(width, dtype=dtype)
    with mg.no_grad():
        layer.bias.array = np.linspace(-1, 1, width).astype(dtype)
        layer.weight.array = np.linspace(0.5, 2, width).astype(dtype)
    x = np.full((rows, width), value, dtype=dtype)
    out, grad, g = _run(layer, x, dtype)
    np.testing.assert_array_equal(out, np.broadcast_to(layer.bias.array, out.shape))
    g_hat = g * layer.weight.array.astype(np.float64)
    expected = (g_hat - g_hat.mean(-1, keepdims=True)) / math.sqrt(1e-5)
    _check(grad, expected, dtype, scale=1 / math.sqrt(1e-5))
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.zeros(width, dtype))
    _check(layer.bias.grad.numpy(), g.sum(0), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, axis", [((1,), None), ((), None), ((3, 1), 1), ((1, 4), 0)])
def test_variance_of_a_single_element_follows_pytorch(dtype, shape, axis):
    """PyTorch's semantics: var with correction=1 over one element divides by n - 1 = 0 and
    is nan, with a nan gradient; with correction=0 it is 0 with gradient 0. (Values written
    out here from torch 2.x, so the test needs no PyTorch.)"""
    x = mg.full(shape, 2.5, dtype=dtype, requires_grad=True)
    v = x.var(axis=axis)
    assert v.dtype == dtype and np.all(np.isnan(v.numpy()))
    v.sum().backward()
    assert np.all(np.isnan(x.grad.numpy()))

    x = mg.full(shape, 2.5, dtype=dtype, requires_grad=True)
    v = x.var(axis=axis, correction=0)
    np.testing.assert_array_equal(v.numpy(), np.zeros(v.shape, dtype))
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(shape, dtype))


def test_variance_of_a_single_element_matches_torch():
    """The same, checked against PyTorch itself where it is installed. (Corrections larger
    than n are left out: PyTorch's own forward and backward disagree there.)"""
    torch = pytest.importorskip("torch")
    for correction in (0, 1):
        for shape in [(1,), (2,), (3, 1)]:
            t = torch.full(shape, 2.5, dtype=torch.float64, requires_grad=True)
            with np.errstate(all="ignore"):
                tv = t.var(dim=-1, correction=correction)
            tv.sum().backward()
            x = mg.full(shape, 2.5, dtype=mg.float64, requires_grad=True)
            v = x.var(axis=-1, correction=correction)
            v.sum().backward()
            np.testing.assert_array_equal(v.numpy(), tv.detach().numpy())
            np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_std_of_constant_data_has_zero_gradient():
    """std = sqrt(var) has an infinite slope at var = 0; PyTorch's std backward masks it so
    that normalising a constant feature gives gradient 0, not nan. (Regression: it was nan.)"""
    x = mg.tensor([2.0, 2.0, 2.0], requires_grad=True)
    s = x.std()
    assert s.item() == 0.0
    s.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))


# ----------------------------------------------------------------------------------------------
# Saturation: sigmoid, tanh, gelu
# ----------------------------------------------------------------------------------------------


def _phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


SATURATION = {
    "sigmoid": (
        lambda t: t.sigmoid(),
        lambda x: math.exp(-np.logaddexp(0.0, -x)),
        lambda x: math.exp(-np.logaddexp(0.0, -x) - np.logaddexp(0.0, x)),
    ),
    "tanh": (lambda t: t.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "gelu": (lambda t: t.gelu(), lambda x: x * _cdf(x), lambda x: _cdf(x) + x * _phi(x)),
}


@pytest.mark.parametrize("name", sorted(SATURATION))
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_saturating_activations(name, dtype, data):
    """sigmoid, tanh and gelu far into saturation (|x| up to 1e4, and around exp's overflow
    points): exact values, derivatives that go to 0 (not nan), no overflow on the way."""
    fn, value, slope = SATURATION[name]
    x = data.draw(logits(dtype))
    out, grad, g = _run(fn, x, dtype)
    x64 = x.astype(np.float64)
    expected = np.vectorize(value)(x64)
    _check(out, expected, dtype, scale=np.abs(expected).max(initial=1.0))
    _check(grad, g * np.vectorize(slope)(x64), dtype)


# ----------------------------------------------------------------------------------------------
# Division near zero
# ----------------------------------------------------------------------------------------------


def _exact(fn, *arrays):
    """fn evaluated exactly with Fractions and rounded once to float64: ±inf where the exact
    value overflows; where the last argument is ±0, the limit from that side (0/0: nan)."""

    def one(*values):
        args = [Fraction(float(v)) for v in values]
        if values[-1] == 0:
            if values[0] == 0:
                return math.nan
            args[-1] = Fraction(math.copysign(1, values[-1])) / 10**400  # signed zero's side
        result = fn(*args)
        try:
            return float(result)
        except OverflowError:
            return math.inf if result > 0 else -math.inf

    return np.vectorize(one, otypes=[np.float64])(*arrays)


def _to_dtype(values, dtype):
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def divisors(dtype):
    tiny = [1e-30, -1e-30, 1e-20, 1e-12] if dtype == mg.float32 else [1e-300, -1e-200, 1e-100]
    return st.one_of(st.sampled_from([0.0, *tiny]), st.floats(-2.0, 2.0, width=32))


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_division_near_zero_is_infinite_only_where_maths_says_so(dtype, data):
    """a / b for b near or at 0: each value, dL/da = 1/b and dL/db = -a/b^2 is the exact result
    rounded to the dtype -- infinite exactly where that result overflows or b is 0, finite
    (and right) everywhere else."""
    shape = data.draw(st.sampled_from([(3,), (2, 3)]))
    a = data.draw(
        hnp.arrays(np.dtype(dtype), shape, elements=st.sampled_from([0.0, 1.0, -3.0, 1e-30, 2.5]))
    )
    b = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=divisors(dtype)))
    assume(np.all((a != 0) | (b != 0)))  # 0/0 is nan by definition; not what this is about
    ta = mg.tensor(a, dtype=dtype, requires_grad=True)
    tb = mg.tensor(b, dtype=dtype, requires_grad=True)
    with np.errstate(divide="ignore", over="ignore"):
        out = ta / tb
        out.backward(mg.ones_like(out))
    expected = _to_dtype(_exact(lambda x, y: x / y, a, b), dtype)
    np.testing.assert_array_equal(np.isinf(out.numpy()), np.isinf(expected))
    np.testing.assert_allclose(out.numpy(), expected, rtol=TOL[np.dtype(dtype)][0], atol=0)
    expected_grad = _to_dtype(_exact(lambda x, y: x / y, np.ones(shape), b), dtype)
    np.testing.assert_array_equal(np.isinf(ta.grad.numpy()), np.isinf(expected_grad))
    np.testing.assert_allclose(ta.grad.numpy(), expected_grad, rtol=TOL[np.dtype(dtype)][0], atol=0)
    expected_grad_b = _to_dtype(_exact(lambda x, y: -x / (y * y), a, b), dtype)
    np.testing.assert_array_equal(np.isinf(tb.grad.numpy()), np.isinf(expected_grad_b))
    np.testing.assert_allclose(
        tb.grad.numpy(), expected_grad_b, rtol=TOL[np.dtype(dtype)][0], atol=0
    )


@pytest.mark.parametrize(
    "dtype, a, b",
    [(mg.float32, 0.0, 1e-25), (mg.float32, 1e-30, 1e-25), (mg.float64, 1e-300, 1e-200)],
)
def test_division_gradient_for_the_divisor_near_zero(dtype, a, b):
    """dL/db = -a/b^2 is finite here (0, -1e20, -1e100), as PyTorch computes it. (Regression:
    -g*a/(b*b) underflowed b*b to 0 and gave nan, -inf, -inf.)"""
    ta = mg.tensor([a], dtype=dtype, requires_grad=True)
    tb = mg.tensor([b], dtype=dtype, requires_grad=True)
    with np.errstate(all="ignore"):
        (ta / tb).sum().backward()
    expected = _to_dtype(_exact(lambda x, y: -x / (y * y), np.array([a]), np.array([b])), dtype)
    assert np.all(np.isfinite(tb.grad.numpy()))
    np.testing.assert_allclose(tb.grad.numpy(), expected, rtol=TOL[np.dtype(dtype)][0])


# ----------------------------------------------------------------------------------------------
# Attention
# ----------------------------------------------------------------------------------------------


def _attention_reference(q, k, v, bias, g, scale):
    """Output and (dQ, dK, dV) of softmax(scale QKᵀ + bias) V in float64; rows whose every
    score is -inf output 0 and send no gradient (minigrad's and PyTorch 2.5's definition)."""
    scores = scale * q @ k.T + bias
    empty = np.all(np.isneginf(scores), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        p = np.where(empty, 0.0, _softmax(np.where(empty, 0.0, scores)))
    dp = g @ v.T
    da = p * (dp - (dp * p).sum(-1, keepdims=True))
    return p @ v, scale * da @ k, scale * da.T @ q, p.T @ g


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_attention_with_huge_scores_and_minus_inf_masks(dtype, data):
    """scaled_dot_product_attention with scores up to ±4e4 (integer-valued, so exact in float32
    too) and a float mask of 0 / -inf: finite outputs and gradients equal to the reference."""
    sdpa = pytest.importorskip("minigrad.nn.attention").scaled_dot_product_attention
    L, S, d = (
        data.draw(st.integers(1, 4)),
        data.draw(st.integers(1, 4)),
        data.draw(st.integers(1, 4)),
    )
    ints = st.integers(-100, 100).map(float)
    q = data.draw(hnp.arrays(np.float64, (L, d), elements=ints))
    k = data.draw(hnp.arrays(np.float64, (S, d), elements=ints))
    bias = data.draw(hnp.arrays(np.float64, (L, S), elements=st.sampled_from([0.0, -np.inf])))
    rng = np.random.default_rng(data.draw(st.integers(0, 100)))
    v, g = rng.standard_normal((S, d)), rng.standard_normal((L, d))
    tq, tk, tv = (mg.tensor(a, dtype=dtype, requires_grad=True) for a in (q, k, v))
    with strict_numpy():
        out = sdpa(tq, tk, tv, attn_mask=mg.tensor(bias, dtype=dtype), scale=1.0)
        out.backward(mg.tensor(g, dtype=dtype))
    ref_out, ref_q, ref_k, ref_v = _attention_reference(
        q, k, v.astype(dtype).astype(np.float64), bias, g.astype(dtype).astype(np.float64), 1.0
    )
    _check(out.numpy(), ref_out, dtype, scale=4)
    _check(tv.grad.numpy(), ref_v, dtype, scale=4)
    _check(tq.grad.numpy(), ref_q, dtype, scale=400)
    _check(tk.grad.numpy(), ref_k, dtype, scale=400)
