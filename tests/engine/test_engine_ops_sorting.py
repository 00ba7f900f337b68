"""sort, argsort, topk, kthvalue (ops/sorting.py) and cumsum, cumprod (ops/scan.py) against
PyTorch (values, indices, dtypes, named tuples, gradients) and central differences."""

import numpy as np
import pytest
from helpers_torch_compare import against_torch, f64, leaf

import minigrad as mg


def distinct(*shape, seed=0):
    """float64 values with no ties (so every sort order and every gradient is unique)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return (rng.permutation(size) + rng.uniform(0.1, 0.9, size)).reshape(shape) - size / 2


# ----------------------------------------------------------------------------------------------
# sort / argsort
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch(device, dim, descending):
    import_torch()
    against_torch(
        lambda x: x.sort(dim=dim, descending=descending),
        lambda x: x.sort(dim=dim, descending=descending),
        [distinct(3, 4)],
        device,
    )
    against_torch(
        lambda x: mg.sort(x, dim, descending),
        lambda x: torch_module().sort(x, dim, descending),
        [distinct(2, 3, seed=1)],
        device,
    )


@pytest.mark.parametrize("descending", [False, True])
def test_sort_stable_with_ties_matches_torch(device, descending):
    x = np.array([[2.0, 1.0, 2.0, 0.0, 1.0, 2.0], [np.nan, 1.0, np.nan, 3.0, -1.0, 1.0]])
    against_torch(
        lambda t: mg.sort(t, descending=descending, stable=True),
        lambda t: torch_module().sort(t, descending=descending, stable=True),
        [x],
        device,
        grad=False,
    )
    against_torch(
        lambda t: t.argsort(dim=-1, descending=descending, stable=True),
        lambda t: t.argsort(dim=-1, descending=descending, stable=True),
        [x],
        device,
        grad=False,
    )


def test_sort_integer_0d_and_empty_match_torch(device):
    ints = np.array([[3, 1, 2], [0, -5, 7]], dtype=np.int32)
    against_torch(lambda t: t.sort(dim=0), lambda t: t.sort(dim=0), [ints], device)
    against_torch(lambda t: t.sort(), lambda t: t.sort(), [np.array(1.5)], device)
    against_torch(lambda t: t.sort(), lambda t: t.sort(), [np.zeros((2, 0))], device)
    against_torch(lambda t: mg.argsort(t), lambda t: t.argsort(), [np.array(2.0)], device)


def test_sort_float32_stays_float32(device):
    x = mg.tensor(distinct(5).astype(np.float32), device=device, requires_grad=True)
    values, indices = x.sort()
    assert values.dtype == mg.float32 and indices.dtype == mg.int64
    values.sum().backward()
    assert x.grad.dtype == mg.float32
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(5, dtype=np.float32))


def test_sort_gradcheck(device):
    x = leaf(distinct(3, 4), device)
    assert mg.gradcheck(lambda t: t.sort(dim=0).values, [x])
    assert mg.gradcheck(lambda t: t.sort(descending=True).values * t, [x])


def test_sort_errors(device):
    x = mg.tensor([[1.0, 2.0]], device=device)
    with pytest.raises(IndexError, match="sort"):
        x.sort(dim=2)
    with pytest.raises(TypeError, match="dim"):
        x.sort(dim=None)


def test_sort_indices_are_checked_for_in_place_changes():
    x = mg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = x.sort()
    indices += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


# ----------------------------------------------------------------------------------------------
# topk / kthvalue
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 3, 4])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_topk_matches_torch(device, k, largest, dim):
    x = distinct(4, 4, seed=k)
    against_torch(
        lambda t: t.topk(k, dim=dim, largest=largest),
        lambda t: t.topk(k, dim=dim, largest=largest),
        [x],
        device,
    )
    against_torch(
        lambda t: mg.topk(t, k, dim, largest, True),
        lambda t: torch_module().topk(t, k, dim, largest, True),
        [x],
        device,
    )


def test_topk_0d_and_ints_match_torch(device):
    against_torch(lambda t: t.topk(1), lambda t: t.topk(1), [np.array(2.5)], device)
    ints = np.array([5, -2, 9, 0], dtype=np.int64)
    against_torch(lambda t: t.topk(2), lambda t: t.topk(2), [ints], device)


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_matches_torch(device, k, dim, keepdim):
    against_torch(
        lambda t: t.kthvalue(k, dim=dim, keepdim=keepdim),
        lambda t: t.kthvalue(k, dim=dim, keepdim=keepdim),
        [distinct(4, 4, 4, seed=k)],
        device,
    )


def test_kthvalue_0d_matches_torch(device):
    against_torch(lambda t: t.kthvalue(1), lambda t: t.kthvalue(1), [np.array(4.0)], device)
    against_torch(
        lambda t: mg.kthvalue(t, 2, 0, True),
        lambda t: torch_module().kthvalue(t, 2, 0, True),
        [distinct(3, 2)],
        device,
    )


def test_topk_kthvalue_gradcheck(device):
    x = leaf(distinct(3, 5), device)
    assert mg.gradcheck(lambda t: t.topk(2, dim=1).values, [x])
    assert mg.gradcheck(lambda t: t.topk(3, dim=0, largest=False).values, [x])
    assert mg.gradcheck(lambda t: t.kthvalue(2, dim=1).values, [x])
    assert mg.gradcheck(lambda t: t.kthvalue(3, dim=0, keepdim=True).values, [x])


def test_topk_kthvalue_errors(device):
    x = mg.tensor([[1.0, 2.0, 3.0]], device=device)
    with pytest.raises(IndexError, match="topk: k=4"):
        x.topk(4)
    with pytest.raises(IndexError, match="topk: k=-1"):
        x.topk(-1)
    with pytest.raises(TypeError, match="topk: k must be an int"):
        x.topk(1.5)
    with pytest.raises(IndexError, match="kthvalue: k=0"):
        x.kthvalue(0)
    with pytest.raises(IndexError, match="kthvalue: k=2"):
        x.kthvalue(2, dim=0)
    with pytest.raises(IndexError, match="topk"):
        x.topk(1, dim=-3)


# ----------------------------------------------------------------------------------------------
# cumsum / cumprod
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cumsum_cumprod_match_torch(device, dim):
    x = f64(2, 3, 4)
    against_torch(lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), [x], device)
    against_torch(lambda t: mg.cumsum(t, dim=dim), lambda t: t.cumsum(dim=dim), [x], device)
    against_torch(lambda t: t.cumprod(dim), lambda t: t.cumprod(dim), [x], device)
    against_torch(lambda t: mg.cumprod(t, dim), lambda t: t.cumprod(dim), [x], device)


@pytest.mark.parametrize(
    "row",
    [
        [2.0, 0.0, 3.0, 0.0, 5.0],  # two zeros
        [0.0, 1.5, -2.0, 0.5],  # a zero first
        [1.5, -2.0, 0.5, 0.0],  # a zero last
        [0.0, 0.0, 0.0],  # only zeros
        [1.5, 0.0, 2.0, 3.0],  # one zero in the middle
    ],
)
def test_cumprod_gradient_with_zeros_matches_torch(device, row):
    x = np.array([row, np.arange(1.0, len(row) + 1)])
    against_torch(lambda t: t.cumprod(1), lambda t: t.cumprod(1), [x], device)
    against_torch(lambda t: t.T.cumprod(0), lambda t: t.T.cumprod(0), [x], device)
    assert not np.isnan(against_torch_grad(x, device)).any()


def against_torch_grad(x, device):
    t = mg.tensor(x, device=device, requires_grad=True)
    t.cumprod(1).sum().backward()
    return t.grad.numpy()


def test_cumsum_cumprod_dtypes_match_torch(device):
    for dtype in (np.int32, np.int64, np.bool_):
        x = np.array([[1, 0, 1], [1, 1, 0]], dtype=dtype)
        against_torch(lambda t: t.cumsum(1), lambda t: t.cumsum(1), [x], device)
        against_torch(lambda t: t.cumprod(0), lambda t: t.cumprod(0), [x], device)
    x32 = f64(3, 2).astype(np.float32)
    against_torch(lambda t: t.cumsum(0), lambda t: t.cumsum(0), [x32], device, rtol=1e-6)
    against_torch(
        lambda t: t.cumsum(0, dtype=mg.float64),
        lambda t: t.cumsum(0, dtype=torch_module().float64),
        [np.array([1, 2, 3], dtype=np.int64)],
        device,
    )


def test_cumsum_0d_and_empty_match_torch(device):
    against_torch(lambda t: t.cumsum(0), lambda t: t.cumsum(0), [np.array(2.5)], device)
    against_torch(lambda t: t.cumprod(-1), lambda t: t.cumprod(-1), [np.array(2.5)], device)
    against_torch(lambda t: t.cumsum(1), lambda t: t.cumsum(1), [np.zeros((2, 0))], device)


def test_cumsum_cumprod_gradcheck(device):
    x = leaf(f64(3, 4), device)
    assert mg.gradcheck(lambda t: t.cumsum(1), [x])
    assert mg.gradcheck(lambda t: t.cumsum(-2), [x])
    assert mg.gradcheck(lambda t: t.cumprod(1), [x])
    with_zero = leaf([[1.5, 0.0, -2.0, 0.7], [0.0, 0.8, 1.2, -0.9]], device)
    assert mg.gradcheck(lambda t: t.cumprod(1), [with_zero])


def test_scan_errors(device):
    x = mg.tensor([[1.0, 2.0]], device=device)
    with pytest.raises(IndexError, match="cumsum"):
        x.cumsum(2)
    with pytest.raises(TypeError, match="cumprod: dim must be an int"):
        mg.cumprod(x, None)


# ----------------------------------------------------------------------------------------------


def torch_module():
    return pytest.importorskip("torch")


def import_torch():
    torch_module()
