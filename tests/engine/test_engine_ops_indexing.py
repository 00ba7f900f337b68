"""gather, scatter, scatter_add, index_select, masked_select, take_along_dim (ops/indexing.py)
against PyTorch (values, dtypes, gradients with repeated indices) and central differences."""

import numpy as np
import pytest
from helpers_torch_compare import against_torch, f64, leaf

import minigrad as mg


def torch_module():
    return pytest.importorskip("torch")


def ints(*values):
    return np.array(values, dtype=np.int64)


# A (3, 4) index for dim 1 of a (3, 5) tensor, with repeats in every row (gradients must add up).
REPEATED = np.array([[0, 0, 4, 1], [2, 2, 2, 2], [4, 3, 0, 4]], dtype=np.int64)


# ----------------------------------------------------------------------------------------------
# gather / take_along_dim
# ----------------------------------------------------------------------------------------------


def test_gather_repeated_indices_matches_torch(device):
    x = f64(3, 5)
    against_torch(lambda t, i: t.gather(1, i), lambda t, i: t.gather(1, i), [x, REPEATED], device)
    against_torch(
        lambda t, i: mg.gather(t, -1, i),
        lambda t, i: torch_module().gather(t, -1, i),
        [x, REPEATED],
        device,
    )


def test_gather_dim0_smaller_index_and_int_input_match_torch(device):
    index = np.array([[2, 0], [1, 1]], dtype=np.int64)  # smaller than x in dimension 1
    against_torch(
        lambda t, i: t.gather(0, i), lambda t, i: t.gather(0, i), [f64(3, 4), index], device
    )
    against_torch(
        lambda t, i: t.gather(-2, i), lambda t, i: t.gather(-2, i), [f64(3, 4), index], device
    )
    x_int = np.arange(12, dtype=np.int32).reshape(3, 4)
    against_torch(lambda t, i: t.gather(0, i), lambda t, i: t.gather(0, i), [x_int, index], device)
    index32 = index.astype(np.int32)
    against_torch(
        lambda t, i: t.gather(0, i), lambda t, i: t.gather(0, i), [f64(3, 4), index32], device
    )


def test_gather_0d_and_empty_match_torch(device):
    against_torch(
        lambda t, i: t.gather(0, i),
        lambda t, i: t.gather(0, i),
        [np.array(2.5), np.array(0)],
        device,
    )
    empty = np.zeros((3, 0), dtype=np.int64)
    against_torch(
        lambda t, i: t.gather(1, i), lambda t, i: t.gather(1, i), [f64(3, 4), empty], device
    )


def test_gather_gradcheck(device):
    x = leaf(f64(3, 5), device)
    index = mg.tensor(REPEATED, device=device)
    assert mg.gradcheck(lambda t: t.gather(1, index), [x])
    assert mg.gradcheck(lambda t: t.gather(0, mg.tensor(REPEATED[:, :3] % 3, device=device)), [x])


def test_gather_errors(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    with pytest.raises(IndexError, match="gather: index 2 is out of bounds for dimension 1"):
        x.gather(1, mg.tensor([[2]], device=device))
    with pytest.raises(IndexError, match="gather: index -1 is out of bounds"):
        x.gather(1, mg.tensor([[-1]], device=device))
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(1, mg.tensor([[0.0]], device=device))
    with pytest.raises(ValueError, match="gather: index has 1 dimensions but the tensor has 2"):
        x.gather(1, mg.tensor([0], device=device))
    with pytest.raises(ValueError, match="larger than the tensor"):
        x.gather(1, mg.tensor([[0], [0], [0]], device=device))
    with pytest.raises(TypeError, match="gather: dim must be an int"):
        x.gather(None, mg.tensor([[0]], device=device))
    with pytest.raises(IndexError, match="gather"):
        x.gather(2, mg.tensor([[0]], device=device))


def test_take_along_dim_matches_torch(device):
    x = f64(3, 4)
    order = np.argsort(x, axis=1)
    against_torch(
        lambda t, i: mg.take_along_dim(t, i, dim=1),
        lambda t, i: torch_module().take_along_dim(t, i, dim=1),
        [x, order],
        device,
    )
    against_torch(
        lambda t, i: t.take_along_dim(i),
        lambda t, i: t.take_along_dim(i),
        [x, ints(11, 0, 0, 5)],
        device,
    )
    # broadcasting in the other dimensions: a (1, 2) index for a (3, 4) tensor
    against_torch(
        lambda t, i: t.take_along_dim(i, dim=1),
        lambda t, i: t.take_along_dim(i, dim=1),
        [x, np.array([[3, 3]], dtype=np.int64)],
        device,
    )


# ----------------------------------------------------------------------------------------------
# scatter / scatter_add
# ----------------------------------------------------------------------------------------------

DISTINCT = np.array([[1, 0, 4], [3, 2, 0], [0, 4, 2]], dtype=np.int64)  # no repeats per row


def test_scatter_matches_torch(device):
    x, src = f64(3, 5), f64(3, 3, seed=1)
    against_torch(
        lambda t, i, s: t.scatter(1, i, s),
        lambda t, i, s: t.scatter(1, i, s),
        [x, DISTINCT, src],
        device,
    )
    against_torch(
        lambda t, i, s: mg.scatter(t, 0, i, s),
        lambda t, i, s: torch_module().scatter(t, 0, i, s),
        [x, DISTINCT[:1] % 3, f64(1, 3, seed=2)],
        device,
    )


def test_scatter_value_matches_torch(device):
    x = f64(3, 5)
    against_torch(
        lambda t, i: t.scatter(1, i, 2.5), lambda t, i: t.scatter(1, i, 2.5), [x, DISTINCT], device
    )
    against_torch(
        lambda t, i: mg.scatter(t, -1, i, value=-1.0),
        lambda t, i: torch_module().scatter(t, -1, i, value=-1.0),
        [x, DISTINCT],
        device,
    )
    x_int = np.arange(15, dtype=np.int64).reshape(3, 5)
    against_torch(
        lambda t, i: t.scatter(1, i, 7), lambda t, i: t.scatter(1, i, 7), [x_int, DISTINCT], device
    )


def test_scatter_add_repeated_indices_matches_torch(device):
    x, src = f64(3, 5), f64(3, 4, seed=1)  # src shaped like index (PyTorch's backward needs it)
    against_torch(
        lambda t, i, s: t.scatter_add(1, i, s),
        lambda t, i, s: t.scatter_add(1, i, s),
        [x, REPEATED, src],
        device,
    )
    against_torch(
        lambda t, i, s: mg.scatter_add(t, 0, i, s),
        lambda t, i, s: torch_module().scatter_add(t, 0, i, s),
        [f64(4, 2), np.array([[0, 3], [0, 3], [1, 0]], dtype=np.int64), f64(3, 2, seed=2)],
        device,
    )


def test_scatter_gradcheck(device):
    x, src = leaf(f64(3, 5), device), leaf(f64(3, 4, seed=1), device)
    distinct = mg.tensor(DISTINCT, device=device)
    repeated = mg.tensor(REPEATED, device=device)
    # src larger than index: only src[:, :3] is written; the rest gets gradient 0. (PyTorch's
    # own backward refuses this case, so it is checked by finite differences only.)
    assert mg.gradcheck(lambda t, s: t.scatter(1, distinct, s), [x, src])
    assert mg.gradcheck(lambda t, s: t.scatter_add(1, repeated, s), [x, src])
    assert mg.gradcheck(lambda t: t.scatter(1, distinct, 0.5), [x])


def test_scatter_errors(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    index = mg.tensor([[1]], device=device)
    with pytest.raises(TypeError, match="scatter: src is float64 but the tensor is float32"):
        x.scatter(1, index, mg.tensor([[1.0]], dtype=mg.float64, device=device))
    with pytest.raises(IndexError, match="scatter_add: index 5 is out of bounds"):
        x.scatter_add(1, mg.tensor([[5]], device=device), mg.tensor([[1.0]], device=device))
    with pytest.raises(ValueError, match="larger than src"):
        x.scatter(1, mg.tensor([[0, 1]], device=device), mg.tensor([[1.0]], device=device))
    with pytest.raises(TypeError, match="scatter: give exactly one of src"):
        mg.scatter(x, 1, index)
    with pytest.raises(TypeError, match="scatter: value must be a number"):
        mg.scatter(x, 1, index, value="a")
    with pytest.raises(NotImplementedError, match="reduce"):
        x.scatter(1, index, 1.0, reduce="add")


# ----------------------------------------------------------------------------------------------
# index_select / masked_select
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1, -3])
def test_index_select_repeated_matches_torch(device, dim):
    x = f64(3, 4, 3)
    index = ints(2, 0, 2, 2)[: x.shape[dim] + 1]
    against_torch(
        lambda t, i: t.index_select(dim, i), lambda t, i: t.index_select(dim, i), [x, index], device
    )
    against_torch(
        lambda t, i: mg.index_select(t, dim, i),
        lambda t, i: torch_module().index_select(t, dim, i),
        [x, index.astype(np.int32)],
        device,
    )


def test_index_select_0d_and_empty_match_torch(device):
    against_torch(
        lambda t, i: t.index_select(0, i),
        lambda t, i: t.index_select(0, i),
        [np.array(2.5), ints(0)],
        device,
    )
    against_torch(
        lambda t, i: t.index_select(1, i),
        lambda t, i: t.index_select(1, i),
        [f64(2, 3), np.array(1)],
        device,
    )
    against_torch(
        lambda t, i: t.index_select(1, i),
        lambda t, i: t.index_select(1, i),
        [f64(2, 3), ints()],
        device,
    )


def test_index_select_gradcheck(device):
    x = leaf(f64(3, 4), device)
    assert mg.gradcheck(lambda t: t.index_select(1, mg.tensor([3, 0, 3], device=device)), [x])


def test_index_select_errors(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    with pytest.raises(IndexError, match="index_select: index -1 is out of bounds"):
        x.index_select(0, mg.tensor([-1], device=device))
    with pytest.raises(ValueError, match="index_select: index must be 1-D"):
        x.index_select(0, mg.tensor([[0]], device=device))
    with pytest.raises(TypeError, match="index_select: index must be an integer tensor"):
        x.index_select(0, mg.tensor([True], device=device))


def test_masked_select_matches_torch(device):
    x = f64(3, 4)
    mask = np.random.default_rng(3).random((3, 4)) > 0.4
    against_torch(
        lambda t, m: t.masked_select(m), lambda t, m: t.masked_select(m), [x, mask], device
    )
    # broadcasting both ways: a (4,) input against a (3, 4) mask, a (3, 1) mask against x
    against_torch(
        lambda t, m: mg.masked_select(t, m),
        lambda t, m: torch_module().masked_select(t, m),
        [f64(4), mask],
        device,
    )
    against_torch(
        lambda t, m: t.masked_select(m), lambda t, m: t.masked_select(m), [x, mask[:, :1]], device
    )
    against_torch(
        lambda t, m: t.masked_select(m),
        lambda t, m: t.masked_select(m),
        [np.array(1.5), np.array(True)],
        device,
    )


def test_masked_select_gradcheck_and_errors(device):
    x = leaf(f64(3, 4), device)
    mask = mg.tensor(np.random.default_rng(3).random((3, 4)) > 0.4, device=device)
    assert mg.gradcheck(lambda t: t.masked_select(mask), [x])
    assert mg.gradcheck(lambda t: t[0].masked_select(mask), [x])
    with pytest.raises(TypeError, match="masked_select: the mask/condition must be a boolean"):
        x.masked_select(mg.tensor([1, 0, 1, 0], device=device))
    with pytest.raises(ValueError, match="masked_select: shapes"):
        x.masked_select(mg.tensor([True, False], device=device))


def test_in_place_scatter_matches_torch(device):
    def ours_and_theirs(t, i, s, rows):  # the same code runs on both libraries
        y = t * 1.0
        y.scatter_(1, i, s)
        return y.scatter_add_(0, rows, s[:1] * 2.0)

    inputs = [f64(3, 5), DISTINCT, f64(3, 3, seed=1), DISTINCT[:1] % 3]
    against_torch(ours_and_theirs, ours_and_theirs, inputs, device)


def test_in_place_scatter_follows_the_in_place_rules(device):
    x = mg.tensor(f64(3, 5), device=device, requires_grad=True)
    index = mg.tensor(DISTINCT, device=device)
    with pytest.raises(RuntimeError, match="scatter_"):
        x.scatter_(1, index, 0.0)  # a leaf that requires grad
    y = x * 1.0
    version = y._version
    assert y.scatter_add_(1, index, mg.ones(3, 3, dtype=mg.float64, device=device)) is y
    assert y._version == version + 1
