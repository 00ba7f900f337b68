"""F.pad and F.one_hot against PyTorch: values, dtypes, gradients (float64), errors."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pad_both(shape, pad, **kwargs):
    x = np.random.default_rng(len(pad) + len(shape)).standard_normal(shape)
    ours_x = mg.tensor(x, requires_grad=True)
    theirs_x = torch.tensor(x, requires_grad=True)
    ours, theirs = F.pad(ours_x, pad, **kwargs), TF.pad(theirs_x, pad, **kwargs)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == mg.float64
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    weights = np.cos(np.arange(theirs.numel())).reshape(theirs.shape)
    (ours * mg.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "shape, pad, kwargs",
    [
        ((3,), (1, 2), {}),
        ((2, 3), (0, 1, 2, 0), {"value": -1.5}),
        ((2, 3, 4), (1, 1), {"mode": "constant", "value": 2.0}),
        ((2, 3, 4), (1, 1, 1, 1, 1, 1), {}),
        ((2, 5), (-1, 2), {}),  # a negative width crops
        ((4, 5), (-2, -1, 1, -3), {"value": 3.0}),
        ((2, 3, 5), (2, 3), {"mode": "replicate"}),
        ((1, 2, 4, 5), (1, 2, 3, 0), {"mode": "replicate"}),
        ((2, 3, 5), (4, 2), {"mode": "reflect"}),
        ((1, 2, 4, 5), (1, 2, 3, 1), {"mode": "reflect"}),
        ((2, 3, 5), (5, 2), {"mode": "circular"}),
        ((1, 2, 4, 5), (1, 2, 3, 1), {"mode": "circular"}),
    ],
)
def test_pad_matches_pytorch(shape, pad, kwargs):
    _pad_both(shape, pad, **kwargs)


def test_pad_keeps_float32_and_integer_dtypes():
    assert F.pad(mg.ones(2, 2), (1, 1), value=0.5).dtype == mg.float32
    ints = F.pad(mg.tensor([[1, 2]]), (1, 0), value=7)
    np.testing.assert_array_equal(ints.numpy(), TF.pad(torch.tensor([[1, 2]]), (1, 0), value=7))
    assert ints.dtype == mg.int64


def test_pad_errors_name_the_problem():
    x = mg.ones(2, 3)
    with pytest.raises(ValueError, match="even number of widths.*got 3 for a 2-d input"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="got 6 for a 2-d input"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(TypeError, match="pad must be a tuple of ints"):
        F.pad(x, (1.5, 1))
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match="mode 'reflect' pads axis 1 of size 3 by at most 2"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode 'replicate' takes no value"):
        F.pad(x, (1, 1), mode="replicate", value=2.0)
    with pytest.raises(ValueError, match=r"widths \(-2, -2\) crop axis 1 of size 3 below zero"):
        F.pad(x, (-2, -2))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.pad(np.ones(3), (1, 1))


def test_one_hot_matches_pytorch():
    for values, num_classes in [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([4], -1), (3, 4)]:
        ours = F.one_hot(mg.tensor(values), num_classes)
        theirs = TF.one_hot(torch.tensor(values), num_classes)
        assert ours.dtype == mg.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours = F.one_hot(mg.tensor([1, 0]))  # the default num_classes=-1
    np.testing.assert_array_equal(ours.numpy(), [[0, 1], [1, 0]])
    with pytest.raises(IndexError, match="class index 3 is out of range"):
        F.one_hot(mg.tensor([0, 3]), 3)
    with pytest.raises(TypeError):
        F.one_hot(mg.tensor([0.0, 1.0]))
