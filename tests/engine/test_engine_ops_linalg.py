"""tril, triu, diag, outer, norm, einsum (ops/linalg.py) against PyTorch (values, dtypes,
gradients, the gradient of norm at 0) and central differences."""

import math

import numpy as np
import pytest
from helpers_torch_compare import against_torch, f64, leaf

import minigrad as mg


def torch_module():
    return pytest.importorskip("torch")


# ----------------------------------------------------------------------------------------------
# tril / triu / diag / outer
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("diagonal", [0, 1, -1, 3, -4])
def test_tril_triu_match_torch(device, diagonal):
    for shape in [(3, 4), (2, 4, 3)]:
        x = f64(*shape)
        against_torch(lambda t: t.tril(diagonal), lambda t: t.tril(diagonal), [x], device)
        against_torch(lambda t: t.triu(diagonal=diagonal), lambda t: t.triu(diagonal), [x], device)
        against_torch(
            lambda t: mg.tril(t, diagonal),
            lambda t: torch_module().tril(t, diagonal),
            [x],
            device,
        )
    ints = np.arange(12, dtype=np.int32).reshape(3, 4)
    against_torch(lambda t: t.triu(diagonal), lambda t: t.triu(diagonal), [ints], device)
    against_torch(lambda t: t.tril(), lambda t: t.tril(), [np.zeros((0, 3))], device)


@pytest.mark.parametrize("diagonal", [0, 1, 2, -1, -2, 5])
def test_diag_matches_torch(device, diagonal):
    against_torch(lambda t: t.diag(diagonal), lambda t: t.diag(diagonal), [f64(3)], device)
    for shape in [(3, 3), (2, 4), (4, 2)]:
        against_torch(
            lambda t: mg.diag(t, diagonal),
            lambda t: torch_module().diag(t, diagonal),
            [f64(*shape)],
            device,
        )
    against_torch(lambda t: t.diag(), lambda t: t.diag(), [np.arange(3, dtype=np.int64)], device)


def test_outer_matches_torch(device):
    against_torch(
        lambda a, b: a.outer(b), lambda a, b: a.outer(b), [f64(3), f64(4, seed=1)], device
    )
    against_torch(
        lambda a, b: mg.outer(a, b),
        lambda a, b: torch_module().outer(a, b),
        [np.arange(3), np.arange(2, dtype=np.int64)],
        device,
    )
    against_torch(lambda a, b: a.outer(b), lambda a, b: a.outer(b), [f64(0), f64(2)], device)


def test_matrix_ops_gradcheck(device):
    m = leaf(f64(3, 4), device)
    v = leaf(f64(3, seed=1), device)
    w = leaf(f64(4, seed=2), device)
    assert mg.gradcheck(lambda t: t.tril(-1), [m])
    assert mg.gradcheck(lambda t: t.triu(1), [m])
    assert mg.gradcheck(lambda t: t.diag(1), [m])
    assert mg.gradcheck(lambda t: t.diag(-2), [v])
    assert mg.gradcheck(lambda a, b: mg.outer(a, b), [v, w])


def test_matrix_op_errors(device):
    v = mg.tensor([1.0, 2.0], device=device)
    with pytest.raises(ValueError, match="tril: input must have at least 2 dimensions"):
        v.tril()
    with pytest.raises(ValueError, match="triu: input must have at least 2 dimensions"):
        v.triu()
    with pytest.raises(TypeError, match="tril: diagonal must be an int"):
        v.reshape(1, 2).tril(0.5)
    with pytest.raises(ValueError, match="diag: input must be 1-D or 2-D"):
        mg.tensor(1.0, device=device).diag()
    with pytest.raises(ValueError, match="outer: vec2 must be 1-D"):
        v.outer(v.reshape(1, 2))
    with pytest.raises(TypeError, match="outer: dtype mismatch"):
        v.outer(mg.tensor([1.0], dtype=mg.float64, device=device))


# ----------------------------------------------------------------------------------------------
# norm
# ----------------------------------------------------------------------------------------------

ORDERS = ["fro", 2, 1, 3, 0.5, math.inf, -math.inf, 0, -1]


@pytest.mark.parametrize("p", ORDERS)
def test_norm_matches_torch(device, p):
    x = f64(3, 4) + np.where(f64(3, 4, seed=1) > 0, 0.5, -0.5)  # away from 0 and from ties
    against_torch(lambda t: t.norm(p), lambda t: t.norm(p), [x], device)
    for dim, keepdim in [(1, False), (-2, True), ((0, 1), False), ((-1, 0), True)]:
        against_torch(
            lambda t, dim=dim, keepdim=keepdim: mg.norm(t, p, dim, keepdim),
            lambda t, dim=dim, keepdim=keepdim: torch_module().norm(t, p, dim, keepdim),
            [x],
            device,
        )


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("p", ORDERS)
def test_norm_gradient_at_zero_matches_torch_without_nan(device, p):
    """A zero row, and zeros among non-zeros: the derivative does not exist there; PyTorch
    gives 0, never NaN. (For p < 0, |0|^p is inf and NumPy warns; the norm is then 0.)"""
    x = np.array([[0.0, 0.0, 0.0], [0.0, 3.0, -4.0], [0.0, 0.0, -2.0]])
    result = against_torch(lambda t: t.norm(p, dim=1), lambda t: t.norm(p, dim=1), [x], device)
    del result
    t = mg.tensor(x, device=device, requires_grad=True)
    t.norm(p).backward()
    assert not np.isnan(t.grad.numpy()).any()
    zero = mg.zeros(3, dtype=mg.float64, device=device, requires_grad=True)
    zero.norm(p).backward()
    np.testing.assert_array_equal(zero.grad.numpy(), np.zeros(3))


def test_norm_ties_and_0d_match_torch(device):
    ties = np.array([[3.0, -3.0, 1.0], [2.0, 2.0, 2.0]])
    against_torch(
        lambda t: t.norm(math.inf, dim=1), lambda t: t.norm(math.inf, dim=1), [ties], device
    )
    against_torch(lambda t: t.norm(), lambda t: t.norm(), [np.array(-2.5)], device)
    x32 = f64(5).astype(np.float32)
    against_torch(lambda t: t.norm(), lambda t: t.norm(), [x32], device, rtol=1e-6)


def test_norm_gradcheck(device):
    x = leaf(f64(3, 4) + np.where(f64(3, 4, seed=1) > 0, 0.5, -0.5), device)
    for p in ["fro", 1, 3, 0.5, math.inf]:
        assert mg.gradcheck(lambda t, p=p: t.norm(p, dim=1), [x])
    assert mg.gradcheck(lambda t: t.norm(keepdim=True, dim=(0, 1)), [x])


def test_norm_errors(device):
    x = mg.tensor([[1.0, 2.0]], device=device)
    with pytest.raises(ValueError, match="norm: p='nuc' is not supported"):
        x.norm("nuc")
    with pytest.raises(TypeError, match="norm: expected a floating-point tensor, not int64"):
        mg.tensor([1, 2], device=device).norm()
    with pytest.raises(TypeError, match="norm: p must be"):
        x.norm([2])
    with pytest.raises(IndexError, match="norm"):
        x.norm(dim=2)


# ----------------------------------------------------------------------------------------------
# einsum
# ----------------------------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),  # matmul
    ("ij,jk", [(3, 4), (4, 2)]),  # matmul, implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),  # batched matmul
    ("ij->ji", [(3, 4)]),  # transpose
    ("ii->", [(3, 3)]),  # trace
    ("ii", [(3, 3)]),  # trace, implicit
    ("ii->i", [(3, 3)]),  # diagonal
    ("ij->", [(3, 4)]),  # sum
    ("ij->i", [(3, 4)]),  # row sums
    ("i,j->ij", [(3,), (4,)]),  # outer
    ("bi,bj->bij", [(2, 3), (2, 4)]),  # batched outer
    ("bi,ij,bj->b", [(2, 3), (3, 4), (2, 4)]),  # bilinear form
    ("i,i->", [(4,), (4,)]),  # dot
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),  # a diagonal and a contraction at once
    ("ij,kl->", [(2, 3), (4, 2)]),  # everything summed, operands unrelated
    (" ij , jk -> ik ", [(3, 4), (4, 2)]),  # spaces
]


@pytest.mark.parametrize("equation, shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_torch(device, equation, shapes):
    arrays = [f64(*shape, seed=k) for k, shape in enumerate(shapes)]
    against_torch(
        lambda *ts: mg.einsum(equation, *ts),
        lambda *ts: torch_module().einsum(equation, *ts),
        arrays,
        device,
        rtol=1e-10,
    )
    # the list form, as torch.einsum("...", [a, b]) allows
    against_torch(
        lambda *ts: mg.einsum(equation, list(ts)),
        lambda *ts: torch_module().einsum(equation, list(ts)),
        arrays,
        device,
        rtol=1e-10,
    )


@pytest.mark.parametrize("equation, shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_gradcheck(device, equation, shapes):
    leaves = [leaf(f64(*shape, seed=k), device) for k, shape in enumerate(shapes)]
    assert mg.gradcheck(lambda *ts: mg.einsum(equation, *ts), leaves)


def test_einsum_integers_and_float32_match_torch(device):
    ints = [np.arange(6).reshape(2, 3), np.arange(3)]
    against_torch(
        lambda a, b: mg.einsum("ij,j->i", a, b),
        lambda a, b: torch_module().einsum("ij,j->i", a, b),
        ints,
        device,
    )
    floats = [f64(2, 3).astype(np.float32), f64(3, seed=1).astype(np.float32)]
    against_torch(
        lambda a, b: mg.einsum("ij,j->i", a, b),
        lambda a, b: torch_module().einsum("ij,j->i", a, b),
        floats,
        device,
        rtol=1e-6,
    )


def test_einsum_errors(device):
    a = mg.tensor(f64(2, 3), device=device)
    b = mg.tensor(f64(3), device=device)
    with pytest.raises(NotImplementedError, match=r"einsum: '\.\.\.'"):
        mg.einsum("...ij->...ji", a)
    with pytest.raises(ValueError, match="einsum: subscript 'j' has size 2 in operand 1 but 3"):
        mg.einsum("ij,j->i", a, b[:2])
    with pytest.raises(ValueError, match="einsum: operand 0 has 2 dimension"):
        mg.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="has 2 operand"):
        mg.einsum("ij,j->i", a)
    with pytest.raises(ValueError, match="output subscript 'k' appears in no operand"):
        mg.einsum("ij->k", a)
    with pytest.raises(ValueError, match="output subscript 'i' appears more than once"):
        mg.einsum("ij->ii", a)
    with pytest.raises(TypeError, match="einsum: the operands have different dtypes"):
        mg.einsum("ij,j->i", a, b.astype(mg.float32))
    with pytest.raises(TypeError, match="einsum: operand 1 must be a Tensor"):
        mg.einsum("ij,j->i", a, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="not a subscript letter"):
        mg.einsum("i1->i", a)
