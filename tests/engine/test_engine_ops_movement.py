"""flip, roll, repeat, tile, expand_as, chunk, unbind, narrow (ops/movement.py) against PyTorch
(values, dtypes, gradients, PyTorch's chunk sizes, views) and central differences."""

import numpy as np
import pytest
from helpers_torch_compare import against_torch, f64, leaf

import minigrad as mg


def torch_module():
    return pytest.importorskip("torch")


# ----------------------------------------------------------------------------------------------
# flip / roll
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [(0,), (1,), (-1,), (0, 2), (-1, -3, 1), ()])
def test_flip_matches_torch(device, dims):
    x = f64(2, 3, 4)
    against_torch(lambda t: t.flip(dims), lambda t: t.flip(dims), [x], device)
    against_torch(lambda t: mg.flip(t, dims), lambda t: torch_module().flip(t, dims), [x], device)
    if dims:
        against_torch(lambda t: t.flip(*dims), lambda t: t.flip(*dims), [x], device)


def test_flip_ints_0d_empty_and_copy(device):
    ints = np.arange(6, dtype=np.int32).reshape(2, 3)
    against_torch(lambda t: t.flip(1), lambda t: t.flip(1), [ints], device)
    against_torch(lambda t: t.flip(0), lambda t: t.flip(0), [np.array(2.5)], device)
    against_torch(lambda t: t.flip(0), lambda t: t.flip(0), [np.zeros((0, 2))], device)
    x = mg.tensor([1.0, 2.0], device=device)
    y = x.flip(0)
    y[0] = 5.0  # a copy, as in PyTorch: x is unchanged
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


@pytest.mark.parametrize(
    "shifts, dims", [(1, 0), (-2, 1), (5, -1), ((1, 2), (0, 1)), ((1, -1), (-1, 0)), (3, None)]
)
def test_roll_matches_torch(device, shifts, dims):
    x = f64(3, 4)
    against_torch(lambda t: t.roll(shifts, dims), lambda t: t.roll(shifts, dims), [x], device)
    against_torch(
        lambda t: mg.roll(t, shifts, dims),
        lambda t: torch_module().roll(t, shifts, dims),
        [np.arange(12, dtype=np.int64).reshape(3, 4)],
        device,
    )


def test_flip_roll_gradcheck(device):
    x = leaf(f64(3, 4), device)
    assert mg.gradcheck(lambda t: t.flip(0, 1) * t, [x])
    assert mg.gradcheck(lambda t: t.roll((1, -3), (0, 1)) * t, [x])
    assert mg.gradcheck(lambda t: t.roll(5), [x])


def test_flip_roll_errors(device):
    x = mg.tensor([[1.0, 2.0]], device=device)
    with pytest.raises(ValueError, match="flip: dims .* name the same dimension"):
        x.flip((0, -2))
    with pytest.raises(IndexError, match="flip"):
        x.flip(2)
    with pytest.raises(ValueError, match="roll: shifts .* and dims .* must have the same length"):
        x.roll((1, 2), 0)
    with pytest.raises(ValueError, match="roll: with dims=None give one shift"):
        x.roll((1, 2))
    with pytest.raises(TypeError, match="roll: shifts must be an int"):
        x.roll(1.5, 0)


# ----------------------------------------------------------------------------------------------
# repeat / tile / expand_as
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [(2, 3), (1, 1), (2, 1, 2), (3, 2, 1, 1), (0, 2)])
def test_repeat_matches_torch(device, sizes):
    x = f64(2, 3)
    against_torch(lambda t: t.repeat(*sizes), lambda t: t.repeat(*sizes), [x], device)
    against_torch(lambda t: t.repeat(sizes), lambda t: t.repeat(sizes), [x], device)


def test_repeat_0d_and_ints_match_torch(device):
    against_torch(lambda t: t.repeat(3), lambda t: t.repeat(3), [np.array(1.5)], device)
    ints = np.arange(3, dtype=np.int64)
    against_torch(lambda t: t.repeat(2, 2), lambda t: t.repeat(2, 2), [ints], device)


@pytest.mark.parametrize("dims", [(2,), (2, 3), (1, 2, 2), ()])
def test_tile_matches_torch(device, dims):
    x = f64(2, 3)
    against_torch(lambda t: t.tile(dims), lambda t: t.tile(dims), [x], device)
    against_torch(lambda t: mg.tile(t, dims), lambda t: torch_module().tile(t, dims), [x], device)


def test_expand_as_matches_torch(device):
    against_torch(
        lambda a, b: a.expand_as(b), lambda a, b: a.expand_as(b), [f64(3, 1), f64(2, 3, 4)], device
    )


def test_repeat_tile_gradcheck(device):
    x = leaf(f64(2, 3), device)
    assert mg.gradcheck(lambda t: t.repeat(2, 3), [x])
    assert mg.gradcheck(lambda t: t.repeat(2, 1, 2), [x])
    assert mg.gradcheck(lambda t: t.tile((2,)), [x])
    other = mg.zeros(4, 2, 3, device=device)
    assert mg.gradcheck(lambda t: t.expand_as(other), [x])


def test_repeat_errors(device):
    x = mg.tensor([[1.0, 2.0]], device=device)
    with pytest.raises(ValueError, match="repeat: give at least one size per dimension"):
        x.repeat(2)
    with pytest.raises(ValueError, match="repeat: sizes must be >= 0"):
        x.repeat(2, -1)


# ----------------------------------------------------------------------------------------------
# chunk / unbind / narrow
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length, chunks", [(5, 3), (6, 4), (6, 3), (2, 5), (7, 1), (0, 3)])
def test_chunk_sizes_match_torch(device, length, chunks):
    x = f64(length, 2)
    against_torch(lambda t: t.chunk(chunks), lambda t: t.chunk(chunks), [x], device)
    against_torch(
        lambda t: mg.chunk(t.T, chunks, dim=-1),
        lambda t: torch_module().chunk(t.T, chunks, dim=-1),
        [x],
        device,
    )


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_matches_torch(device, dim):
    x = f64(2, 3)
    against_torch(lambda t: t.unbind(dim), lambda t: t.unbind(dim), [x], device)
    against_torch(
        lambda t: mg.unbind(t, dim=dim), lambda t: torch_module().unbind(t, dim=dim), [x], device
    )


@pytest.mark.parametrize("dim, start, length", [(0, 1, 2), (1, -3, 2), (-1, 0, 0), (1, 4, 0)])
def test_narrow_matches_torch(device, dim, start, length):
    x = f64(3, 4)
    against_torch(
        lambda t: t.narrow(dim, start, length), lambda t: t.narrow(dim, start, length), [x], device
    )
    against_torch(
        lambda t: mg.narrow(t, dim, start, length),
        lambda t: torch_module().narrow(t, dim, start, length),
        [x],
        device,
    )


def test_chunk_unbind_narrow_are_views(device):
    """As in PyTorch, the pieces share x's memory: a change through one is seen in x."""
    x = mg.zeros(4, 3, device=device)
    x.chunk(2)[1][0, 0] = 1.0
    x.unbind(1)[2][0] = 2.0
    x.narrow(0, 3, 1)[0, 1] = 3.0
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 2], [0, 0, 0], [1, 0, 0], [0, 3, 0]])


def test_chunk_unbind_narrow_gradcheck(device):
    x = leaf(f64(5, 3), device)
    assert mg.gradcheck(lambda t: t.chunk(2), [x])
    assert mg.gradcheck(lambda t: t.unbind(1), [x])
    assert mg.gradcheck(lambda t: t.narrow(0, 1, 3) * 2.0, [x])


def test_chunk_unbind_narrow_errors(device):
    x = mg.tensor([[1.0, 2.0, 3.0]], device=device)
    with pytest.raises(ValueError, match="chunk: chunks must be a positive int"):
        x.chunk(0)
    with pytest.raises(IndexError, match="chunk"):
        x.chunk(2, dim=2)
    with pytest.raises(IndexError, match="unbind: a 0-d tensor"):
        mg.tensor(1.0, device=device).unbind()
    with pytest.raises(ValueError, match=r"narrow: start \(2\) \+ length \(2\) exceeds"):
        x.narrow(1, 2, 2)
    with pytest.raises(IndexError, match="narrow: start -4 is out of range"):
        x.narrow(1, -4, 1)
    with pytest.raises(TypeError, match="narrow: length must be an int"):
        x.narrow(1, 0, 1.5)
