"""minigrad against PyTorch: random programs, run by both from the same inputs, must agree.

The programs (tests/engine/helpers_differential.py) chain a few ops with broadcasting, advanced
indexing, reductions over several axes, dtype mixes, empty and 0-d tensors, NaN and ±inf; each
is compared on forward values (NaN in the same places), dtypes, shapes and float64 gradients.
A failure prints the program, one line per value, ready to paste into a repro.

HYPOTHESIS_PROFILE=thorough runs 20 times as many programs (see tests/conftest.py).

Below the random programs: the indexing cases where NumPy's axis order and PyTorch's differ,
one by one, and the known discrepancies that other changes are fixing (strict xfails: remove the
mark when the fix is merged, and the matching `known_*` restriction in the helpers).
"""

import numpy as np
import pytest
import torch
from helpers_differential import Program, Step, check_program, compare, programs, run, values_of
from hypothesis import given, settings

import minigrad as mg
import minigrad.nn.functional as F

# Four times the profile's examples: these tests are the broadest ones of the suite.
MANY = settings(max_examples=4 * settings.default.max_examples)
ALL_DTYPES = ("float32", "float64", "int64", "bool")


@MANY
@given(program=programs())
def test_programs_in_float64(program):
    check_program(program)


@MANY
@given(program=programs(dtypes=ALL_DTYPES))
def test_programs_mixing_dtypes(program):
    """float32, float64, int64 and bool together; float32 meeting float64 must be minigrad's
    TypeError (a deliberate difference), everything else PyTorch's result."""
    check_program(program)


@MANY
@given(program=programs(kinds=("getitem", "setitem", "shape", "binary"), steps=5))
def test_indexing_programs(program):
    check_program(program)


@MANY
@given(program=programs(kinds=("reduction", "softmax", "unary", "binary", "where"), steps=5))
def test_reduction_programs(program):
    check_program(program)


def test_the_comparison_can_fail():
    """A control: the comparison catches a wrong value, a wrong gradient, a missing error."""
    program = Program(
        [Step("input", array=np.array([1.0, 2.0])), Step("getitem", (0,), {"index": (0,)})]
    )
    theirs = run(torch, program)
    compare(program, run(mg, program), theirs)
    wrong_value, wrong_grad = run(mg, program), run(mg, program)
    wrong_value.values[1] = wrong_value.values[1] + 1e-6
    wrong_grad.grads[0][1] = 1e-6
    for mine in (wrong_value, wrong_grad):
        with pytest.raises(AssertionError, match="differ on the program"):
            compare(program, mine, theirs)
    program.steps[1].expect_error = "dtype mismatch"
    with pytest.raises(AssertionError, match="minigrad should raise at v1"):
        compare(program, run(mg, program), theirs)


# ---------------------------------------------------------------------------------------------
# Indexing that mixes integers with index arrays: PyTorch's axis order, not NumPy's
# ---------------------------------------------------------------------------------------------

IDX = [0, -1, 1, 1]  # repeats and a negative
INDEX_CASES = {
    # PyTorch applies the integers first (x[0, :, idx] is x[0][:, idx]): idx's axis stays where
    # it is. NumPy counts the integer as an index array and moves both to the front.
    "x[0, :, idx]": lambda idx: (0, slice(None), idx),
    "x[0, None, idx]": lambda idx: (0, None, idx),
    "x[0, ..., idx]": lambda idx: (0, Ellipsis, idx),
    "x[:, 0, :, idx]": lambda idx: (slice(None), 0, slice(None), idx),
    "x[1, :, 2, idx]": lambda idx: (1, slice(None), 2, idx),
    "x[idx, 1:, 0]": lambda idx: (idx, slice(1, None), 0),
    "x[idx, 0, :, idx]": lambda idx: (idx, 0, slice(None), idx),
    "x[0, idx, :, idx]": lambda idx: (0, idx, slice(None), idx),
    "x[tensor(0), :, idx]": lambda idx: (torch.tensor(0), slice(None), idx),
    "x[0, :, mask]": lambda idx: (0, slice(None), torch.tensor([True, False, True, True])),
    "x[0, :, []]": lambda idx: (0, slice(None), []),
}


def _on(lib, index, device):
    """The index for `lib`: torch tensors become minigrad tensors on `device`."""
    if lib is torch:
        return index
    return tuple(
        mg.tensor(part.numpy(), device=device) if isinstance(part, torch.Tensor) else part
        for part in index
    )


@pytest.mark.parametrize("case", INDEX_CASES)
@pytest.mark.parametrize("idx_kind", ["tensor", "list"])
def test_getitem_mixing_integers_and_arrays_follows_pytorch(case, idx_kind, device):
    idx = torch.tensor(IDX) if idx_kind == "tensor" else list(IDX)
    index = INDEX_CASES[case](idx)
    array = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    x_torch = torch.tensor(array, requires_grad=True)
    x_mine = mg.tensor(array, requires_grad=True, device=device)
    y_torch, y_mine = x_torch[index], x_mine[_on(mg, index, device)]
    assert y_mine.shape == tuple(y_torch.shape)
    np.testing.assert_array_equal(y_mine.numpy(), y_torch.detach().numpy())
    weight = np.random.default_rng(1).standard_normal(tuple(y_torch.shape))
    (y_torch * torch.tensor(weight)).sum().backward()
    (y_mine * mg.tensor(weight, device=device)).sum().backward()
    np.testing.assert_allclose(x_mine.grad.numpy(), x_torch.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("case", INDEX_CASES)
def test_setitem_mixing_integers_and_arrays_follows_pytorch(case, device):
    """x[index] = v writes v's axes in PyTorch's order; gradients reach x and v."""
    index = INDEX_CASES[case](torch.tensor([0, -2, 1]))  # no repeats: their winner is undefined
    rng = np.random.default_rng(2)
    array = rng.standard_normal((2, 3, 4, 5))
    value = rng.standard_normal(tuple(torch.tensor(array)[index].shape))
    weight = rng.standard_normal(array.shape)
    results = {}
    for lib in (torch, mg):
        on = {} if lib is torch else {"device": device}
        x = lib.tensor(array, requires_grad=True, **on)
        v = lib.tensor(value, requires_grad=True, **on)
        y = x * 1.0  # not a leaf, so that it may change in place
        y[_on(lib, index, device)] = v
        (y * lib.tensor(weight, **on)).sum().backward()
        results[lib] = [t.detach().cpu().numpy() if lib is torch else t.numpy()
                        for t in (y, x.grad, v.grad)]  # fmt: skip
    for name, mine, theirs in zip(["y", "x.grad", "v.grad"], results[mg], results[torch]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, err_msg=name)


def test_setitem_mixing_integers_and_arrays_refuses_a_leaf():
    x = mg.zeros(2, 3, 4, dtype=mg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad"):
        x[0, :, [1, 2]] = 1.0


def test_setitem_mixing_integers_and_arrays_counts_a_version():
    x = mg.zeros(2, 3, 4)
    x[0, :, [1, 2]] = mg.ones(3, 2)
    assert x._version == 1
    assert x.numpy()[0, :, 1:3].sum() == 6.0


def test_a_zero_dim_setitem_has_a_gradient():
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    v = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    y = x * 1.0
    y[...] = v
    (y * 3.0).backward()
    assert x.grad.item() == 0.0 and v.grad.item() == 3.0


def test_float32_meeting_float64_is_a_clear_error():
    """The deliberate difference the random programs expect (docs/porting-from-pytorch.md)."""
    with pytest.raises(TypeError, match="dtype mismatch, float32 and float64"):
        mg.ones(2) + mg.ones(2, dtype=mg.float64)


# ---------------------------------------------------------------------------------------------
# Known discrepancies (being fixed elsewhere): what PyTorch does, and a strict xfail each
# ---------------------------------------------------------------------------------------------


def known(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


def _grads(fn, *arrays):
    """fn's value and the float64 gradients of sum(fn(...)) in minigrad and in PyTorch."""
    out = []
    for lib in (mg, torch):
        xs = [lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
        y = fn(lib, *xs)
        y.sum().backward()
        out.append([np.asarray(y.detach().numpy() if lib is torch else y.numpy())]
                   + [x.grad.numpy() for x in xs])  # fmt: skip
    return out


def assert_same(mine, theirs):
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, equal_nan=True)


def test_fixed_pow_gradient_at_base_zero():
    assert_same(*_grads(lambda lib, x, y: x**y, [0.0, 0.0, 0.0], [2.0, 0.5, 0.0]))


def test_fixed_cat_dtype_promotion():
    theirs = torch.stack([torch.tensor(True), torch.tensor(2)])
    mine = mg.stack([mg.tensor(True), mg.tensor(2)])
    assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "")


def test_fixed_softmax_over_an_empty_axis():
    assert mg.zeros(0, 3).softmax(0).shape == (0, 3)


def test_fixed_logsumexp_over_an_empty_axis():
    np.testing.assert_array_equal(mg.zeros(0, 2).logsumexp(0).numpy(), [-np.inf, -np.inf])


def test_fixed_max_gradient_with_nan():
    assert_same(*_grads(lambda lib, x: x.max(), [1.0, np.nan, 3.0]))


def test_fixed_clip_of_an_integer_tensor():
    assert str(mg.tensor([1, 5]).clip(0, 3).dtype) == "int64"


def test_fixed_masked_fill_value_gradient():
    def fill(lib, x, value):
        return x.masked_fill(lib.tensor([True, False, True]), value)

    assert_same(*_grads(fill, [1.0, 2.0, 3.0], 5.0))


def test_fixed_max_dim_gradient_with_ties():
    assert_same(*_grads(lambda lib, x: values_of(x.max(dim=0, keepdim=True)), [[2.0], [2.0]]))


@known("softmax/log_softmax of a slice holding +inf: PyTorch NaN in the whole slice")
def test_known_softmax_with_inf():
    x = [np.inf, 1.0, 2.0]
    np.testing.assert_array_equal(mg.tensor(x).softmax(-1).numpy(), [np.nan] * 3)


@known("gelu(+inf): PyTorch inf; minigrad NaN")
def test_known_gelu_of_inf():
    assert F.gelu(mg.tensor([np.inf], dtype=mg.float64)).item() == np.inf


@known("relu's gradient at NaN: PyTorch passes the gradient on (1); minigrad 0")
def test_known_relu_gradient_at_nan():
    assert_same(*_grads(lambda lib, x: x.relu(), [np.nan, 1.0]))


@known("abs's gradient at NaN: PyTorch 0; minigrad NaN")
def test_known_abs_gradient_at_nan():
    assert_same(*_grads(lambda lib, x: x.abs(), [np.nan, 1.0]))


@known(
    "an integer to a negative integer power: PyTorch 2 ** -1 is 0; minigrad raises NumPy's error"
)
def test_known_integer_to_a_negative_power():
    np.testing.assert_array_equal((2 ** mg.tensor([-1, 2])).numpy(), [0, 4])


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda lib, x: x.clip(None, 0.0), [2.0, -1.0]),
        (lambda lib, x: x.relu(), [0.0, -1.0]),
        (lambda lib, x: lib.minimum(x, lib.tensor(0.0, dtype=lib.float64)), [2.0, -1.0]),
        (lambda lib, x: lib.maximum(x, lib.tensor(0.0, dtype=lib.float64)), [0.0, -1.0]),
        (lambda lib, x: x.max(), [0.0, -1.0]),
        (lambda lib, x: values_of(x.max(dim=0)), [0.0, -1.0]),
    ],
    ids=["clip", "relu", "minimum", "maximum", "max", "max_dim"],
)
def test_fixed_mask_gradient_with_nan_upstream(fn, x):
    """fn(x) holds a 0, where the incoming gradient d(0 / y)/dy is NaN; an x is masked out."""
    assert_same(*_grads(lambda lib, x: 0.0 / fn(lib, x), x))


def test_fixed_logsumexp_dim_keyword():
    assert mg.zeros(2, 3).logsumexp(dim=0).shape == (3,)


@known("ops PyTorch refuses for integers/booleans (mean, var, softmax of int; -, abs, relu, ** "
       "of bool) compute in minigrad (bool ** bool even gives int8)")  # fmt: skip
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.tensor([1, 2]).mean(),
        lambda lib: lib.tensor([1, 2]).var(),
        lambda lib: lib.tensor([1, 2]).softmax(-1),
        lambda lib: lib.tensor([True]) - lib.tensor([1.0]),
        lambda lib: lib.tensor([True]).abs(),
        lambda lib: lib.tensor([True]).relu(),
        lambda lib: lib.tensor([True]) ** lib.tensor([True]),
    ],
    ids=["mean_int", "var_int", "softmax_int", "sub_bool", "abs_bool", "relu_bool", "pow_bool"],
)
def test_known_integer_ops_pytorch_refuses(fn):
    with pytest.raises((RuntimeError, NotImplementedError)):
        fn(torch)
    with pytest.raises((TypeError, RuntimeError, ValueError)):
        fn(mg)
