"""Forward results: every op agrees with NumPy, keeps float32 as float32, and the numerically
delicate ops (softmax, log_softmax, logsumexp, var) obey their algebraic identities."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from helpers_engine import (
    SPECS,
    call,
    draw_case,
    grad_numpy,
    np_log_softmax,
    np_logsumexp,
    np_softmax,
    reference,
    shapes_1,
)
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

# ----------------------------------------------------------------------------------------------
# Every op against NumPy
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", sorted(SPECS))
@given(data=st.data())
def test_forward_matches_numpy_float64(op, device, data):
    """In float64 each op returns what NumPy returns on the same inputs (shape, dtype, values)."""
    spec = SPECS[op]
    case = draw_case(spec, data)
    outs = call(spec, case, case.tensors(device, requires_grad=False), device)
    expected = reference(spec, case)
    assert len(outs) == len(expected)
    for out, exp in zip(outs, expected, strict=True):
        assert out.device == device
        assert out.shape == exp.shape
        assert out.dtype == mg.float64
        np.testing.assert_allclose(out.numpy(), exp, rtol=1e-10, atol=spec.forward_atol)


@pytest.mark.parametrize("op", sorted(SPECS))
@given(data=st.data())
def test_float32_in_float32_out(op, data):
    """float32 inputs give float32 outputs AND float32 gradients: no float64 sneaks in, not even
    from Python float scalars (clip bounds, fill values, ``2.0 - x`` ...)."""
    spec = SPECS[op]
    case = draw_case(spec, data)
    tensors = case.tensors("cpu", dtype=mg.float32)
    outs = call(spec, case, tensors, "cpu")
    for out, exp in zip(outs, reference(spec, case), strict=True):
        assert out.dtype == mg.float32, f"{op} turned float32 into {out.dtype}"
        np.testing.assert_allclose(out.numpy(), exp, rtol=1e-4, atol=1e-5)
    mg.autograd.backward(list(outs), [mg.ones_like(o) for o in outs])
    for t in tensors:
        assert grad_numpy(t).dtype == np.float32, f"{op}: float32 input got a non-float32 grad"


SCALAR_EXPRESSIONS = {
    "x + 1.5": lambda x: x + 1.5,
    "1.5 + x": lambda x: 1.5 + x,
    "x - 2.0": lambda x: x - 2.0,
    "2.0 - x": lambda x: 2.0 - x,
    "x * 3.0": lambda x: x * 3.0,
    "3.0 * x": lambda x: 3.0 * x,
    "x / 2.0": lambda x: x / 2.0,
    "2.0 / x": lambda x: 2.0 / x,
    "x ** 2.0": lambda x: x**2.0,
    "2.0 ** x": lambda x: 2.0**x,
    "x * 2": lambda x: x * 2,
    "x + True": lambda x: x + True,
    "maximum(x, 0.5)": lambda x: mg.maximum(x, 0.5),
    "clip(x, -0.5, 0.5)": lambda x: x.clip(-0.5, 0.5),
    "masked_fill(x > 1, 1e-3)": lambda x: x.masked_fill(x > 1, 1e-3),
}


@pytest.mark.parametrize("expr", sorted(SCALAR_EXPRESSIONS))
def test_python_scalars_are_weak(expr):
    """A Python number takes the tensor's dtype (PyTorch's rule): float32 stays float32."""
    x = mg.tensor([0.5, 1.0, 2.0], dtype=mg.float32)
    out = SCALAR_EXPRESSIONS[expr](x)
    assert out.dtype == mg.float32
    assert out.numpy().dtype == np.float32


def test_default_dtypes():
    """Python floats -> float32, ints -> int64, bools -> bool; NumPy arrays keep their dtype."""
    assert mg.tensor([1.0]).dtype == mg.float32
    assert mg.tensor(1.0).dtype == mg.float32
    assert mg.tensor([1.0]).numpy().dtype == np.float32
    assert mg.tensor([1, 2]).dtype == mg.int64
    assert mg.tensor([True, False]).dtype == mg.bool
    assert mg.tensor(np.zeros(2, dtype=np.float64)).dtype == mg.float64
    assert mg.tensor(np.zeros(2, dtype=np.int32)).dtype == mg.int32
    for made in (mg.zeros(2, 3), mg.ones((2,)), mg.randn(2), mg.rand(2), mg.full((2,), 1.5)):
        assert made.dtype == mg.float32
    assert mg.zeros(2, 3).shape == mg.zeros((2, 3)).shape == (2, 3)


# Regression test: NumPy scalars (np.float64(1.5), or 0-d + 0-d arrays) once became float32,
# which broke gradcheck on 0-d inputs.
def test_numpy_scalars_keep_their_dtype():
    """mg.tensor(np.float64(x)) is float64 and mg.tensor(np.int32(x)) is int32, like arrays."""
    assert mg.tensor(np.float64(1.5)).dtype == mg.float64
    assert mg.tensor(np.array(1.5) + np.array(1.0)).dtype == mg.float64
    assert mg.tensor(np.int32(3)).dtype == mg.int32
    assert mg.tensor(np.float32(1.5)).dtype == mg.float32


# ENGINE BUG: integer tensors in ops that produce fractions come out float64 (NumPy's rule),
# where PyTorch gives the default float dtype; the float64 then collides with float32 weights
# ("dtype mismatch") far from its origin. Repro:
#     (mg.arange(4) / 4).dtype        # float64, torch: float32
#     mg.exp(mg.tensor([1, 2])).dtype   # float64, torch: float32
def test_integer_inputs_give_the_default_float_dtype():
    """int / int, and exp/sqrt/sigmoid/mean of an int tensor, give the default float dtype."""
    i = mg.tensor([1, 2, 4])
    for name, out in [
        ("i / 2", i / 2),
        ("i / i", i / i),
        ("exp", mg.exp(i)),
        ("sqrt", mg.sqrt(i)),
        ("sigmoid", mg.sigmoid(i)),
        ("mean", i.mean()),
    ]:
        assert out.dtype == mg.float32, f"{name}: {out.dtype}"


def test_set_default_dtype_float64():
    """After set_default_dtype(float64), Python floats become float64 (the fixture resets it)."""
    mg.set_default_dtype(mg.float64)
    assert mg.get_default_dtype() == mg.float64
    assert mg.tensor([1.0]).dtype == mg.float64
    assert mg.zeros(2).dtype == mg.float64


# ----------------------------------------------------------------------------------------------
# softmax, log_softmax, logsumexp
# ----------------------------------------------------------------------------------------------


@st.composite
def logits_and_axis(draw, lo=-10.0, hi=10.0):
    """float64 logits (at least 1-D) and an axis to normalise over."""
    (shape,) = draw(shapes_1(min_dims=1))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi)))
    return x, draw(st.integers(-len(shape), len(shape) - 1))


@given(case=logits_and_axis())
def test_softmax_sums_to_one_and_is_shift_invariant(device, case):
    """softmax(x) sums to 1 along the axis, and adding a constant per row changes nothing."""
    x, axis = case
    p = mg.softmax(mg.tensor(x, device=device), axis=axis).numpy()
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)
    assert np.all(p >= 0)
    shift = np.random.default_rng(0).uniform(
        -50, 50, size=np.sum(x, axis=axis, keepdims=True).shape
    )
    q = mg.softmax(mg.tensor(x + shift, device=device), axis=axis).numpy()
    np.testing.assert_allclose(q, p, rtol=1e-9, atol=1e-15)


@given(case=logits_and_axis(lo=-800.0, hi=800.0))
def test_log_softmax_is_log_of_softmax(case):
    """log_softmax(x) == log(softmax(x)) wherever softmax(x) is a normal (non-underflowed) float,
    and log_softmax stays finite even where softmax underflows to 0."""
    x, axis = case
    t = mg.tensor(x)
    log_p = mg.log_softmax(t, axis=axis).numpy()
    p = mg.softmax(t, axis=axis).numpy()
    assert np.all(np.isfinite(log_p))
    ok = p > 1e-300
    np.testing.assert_allclose(log_p[ok], np.log(p[ok]), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(log_p, np_log_softmax(x, axis), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_extreme_logits_stay_finite(device, dtype):
    """Logits of ±1e4 overflow a naive exp; the ops must still be finite and exact."""
    x = mg.tensor(
        [[1e4, -1e4, 0.0], [1e4, 1e4, -1e4]], dtype=dtype, device=device, requires_grad=True
    )
    p = mg.softmax(x, axis=-1)
    log_p = mg.log_softmax(x, axis=-1)
    lse = mg.logsumexp(x, axis=-1)
    np.testing.assert_allclose(p.numpy(), [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-7)
    np.testing.assert_allclose(
        log_p.numpy(),
        [[0, -2e4, -1e4], [-math.log(2), -math.log(2), -2e4 - math.log(2)]],
        rtol=1e-6,
    )
    np.testing.assert_allclose(lse.numpy(), [1e4, 1e4 + math.log(2)], rtol=1e-7)
    (lse.sum() + log_p.sum() + p.sum()).backward()
    assert np.all(np.isfinite(grad_numpy(x)))


@given(case=logits_and_axis(lo=-300.0, hi=300.0), keepdims=st.booleans())
def test_logsumexp_matches_stable_numpy(case, keepdims):
    """logsumexp equals max + log(sum(exp(x - max))) computed in NumPy."""
    x, axis = case
    out = mg.logsumexp(mg.tensor(x), axis=axis, keepdims=keepdims).numpy()
    np.testing.assert_allclose(out, np_logsumexp(x, axis, keepdims), rtol=1e-12)


def test_softmax_worked_example_f9():
    """seed-formulas F9: softmax(2, 3, 1, 4, 6) = 0.015135 0.041140 0.005568 0.111831 0.826326."""
    p = mg.softmax(mg.tensor([2.0, 3.0, 1.0, 4.0, 6.0], dtype=mg.float64)).numpy()
    np.testing.assert_allclose(p, [0.015135, 0.041140, 0.005568, 0.111831, 0.826326], atol=5e-7)
    np.testing.assert_allclose(p, np_softmax(np.array([2.0, 3.0, 1.0, 4.0, 6.0])), rtol=1e-12)


def test_attention_worked_example_f10():
    """seed-formulas F10: with q1 = 1, K = [5..1], V = [9, 8, 7, 6, 10], context_1 = 8.510223."""
    q = mg.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=mg.float64)
    k = mg.tensor([5.0, 4.0, 3.0, 2.0, 1.0], dtype=mg.float64)
    v = mg.tensor([9.0, 8.0, 7.0, 6.0, 10.0], dtype=mg.float64)
    scores = q.reshape(5, 1) @ k.reshape(1, 5)  # score_ij = q_i k_j
    context = mg.softmax(scores, axis=-1) @ v
    np.testing.assert_allclose(
        context.numpy(), [8.510223, 8.845160, 8.947635, 8.981343, 8.993216], atol=5e-7
    )


# ----------------------------------------------------------------------------------------------
# Reductions
# ----------------------------------------------------------------------------------------------


@st.composite
def array_and_axis(draw, min_side=1, integers=False):
    (shape,) = draw(shapes_1(min_dims=1, min_side=min_side))
    elements = st.integers(-3, 3).map(float) if integers else st.floats(-5, 5)
    x = draw(hnp.arrays(np.float64, shape, elements=elements))
    axis = draw(
        st.none()
        | st.integers(-len(shape), len(shape) - 1)
        | hnp.valid_tuple_axes(len(shape), min_size=1)
    )
    return x, axis


@given(case=array_and_axis(min_side=2), correction=st.sampled_from([0, 1]), keepdims=st.booleans())
def test_var_matches_numpy(case, correction, keepdims):
    """var(axis, correction) == np.var(axis, ddof=correction), also with PyTorch's dim/keepdim."""
    x, axis = case
    t = mg.tensor(x)
    expected = np.var(x, axis=axis, ddof=correction, keepdims=keepdims)
    np.testing.assert_allclose(
        t.var(axis=axis, correction=correction, keepdims=keepdims).numpy(),
        expected,
        rtol=1e-10,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        t.var(dim=axis, correction=correction, keepdim=keepdims).numpy(),
        expected,
        rtol=1e-10,
        atol=1e-12,
    )


def test_var_default_is_unbiased():
    """var() divides by N - 1 by default (correction=1), like torch.var."""
    np.testing.assert_allclose(mg.tensor([1.0, 2.0, 3.0, 4.0]).var().item(), 5.0 / 3.0, rtol=1e-6)


@pytest.mark.parametrize("name", ["amax", "amin", "sum", "mean"])
@given(case=array_and_axis(integers=True), keepdims=st.booleans())
def test_reductions_match_numpy_with_ties(name, case, keepdims):
    """amax/amin/sum/mean along axes return NumPy's values (ties fine)."""
    x, axis = case
    out = getattr(mg.tensor(x), name)(axis=axis, keepdims=keepdims)
    assert isinstance(out, mg.Tensor)
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@given(case=array_and_axis(integers=True))
def test_argmax_argmin_match_numpy(case):
    """argmax/argmin with an int axis (or None) pick NumPy's (first) index, with no gradient."""
    x, axis = case
    if isinstance(axis, tuple):
        axis = axis[0]
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(t.argmax(axis=axis).numpy(), np.argmax(x, axis=axis))
    np.testing.assert_array_equal(t.argmin(axis=axis).numpy(), np.argmin(x, axis=axis))
    assert not t.argmax(axis=axis).requires_grad


# ----------------------------------------------------------------------------------------------
# matmul and comparisons
# ----------------------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)),  # dot product -> 0-d
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3,)),  # matrix @ vector
    ((2, 3), (3, 4)),
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dims
    ((4,), (2, 4, 3)),  # vector @ batch
    ((2, 3, 4), (4,)),  # batch @ vector
]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES)
def test_matmul_matches_numpy(device, sa, sb):
    """a @ b and mg.matmul(a, b) equal np.matmul, including 1-D operands and batch broadcast."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    expected = np.matmul(a, b)
    ta, tb = mg.tensor(a, device=device), mg.tensor(b, device=device)
    for out in (ta @ tb, mg.matmul(ta, tb)):
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_comparisons_are_elementwise_bool_tensors():
    """==, <, >= ... compare elementwise, return bool tensors and never require grad."""
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = mg.tensor([3.0, 2.0, 1.0])
    for result, expected in [
        (x == y, [0, 1, 0]),
        (x < y, [1, 0, 0]),
        (x >= y, [0, 1, 1]),
        (x > 2.0, [0, 0, 1]),
        (x != y, [1, 0, 1]),
    ]:
        assert isinstance(result, mg.Tensor)
        assert result.dtype == mg.bool
        assert not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), np.array(expected, dtype=bool))
