"""Convolution, pooling and batch normalisation against PyTorch (float64): forward values and
gradients of every op and layer over many shapes, strides, paddings, dilations and groups, and
a PyTorch CNN's state_dict loaded into the same minigrad model gives the same outputs.

Skipped as a whole when PyTorch is not installed (the gradient property tests of the ops in
tests/engine/ run without it).
"""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch", reason="the PyTorch comparisons need torch (CPU) installed")
TF = torch.nn.functional

TOL = {"rtol": 1e-10, "atol": 1e-12}


def _pair(rng, shape):
    """The same float64 values as a minigrad leaf and a torch leaf."""
    a = rng.standard_normal(shape)
    return mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _compare(mg_out, torch_out, pairs, rng):
    """Same forward; after a random upstream gradient, the same gradient for every pair."""
    np.testing.assert_allclose(mg_out.numpy(), torch_out.detach().numpy(), **TOL)
    upstream = rng.standard_normal(tuple(torch_out.shape))
    mg_out.backward(mg.tensor(upstream))
    torch_out.backward(torch.tensor(upstream))
    for m, t in pairs:
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), **TOL)


# ----------------------------------------------------------------------------------------------
# conv1d / conv2d
# ----------------------------------------------------------------------------------------------

# (N, C, O, input size, kernel, stride, padding, dilation, groups, bias)
CONV2D_CASES = [
    (2, 3, 4, (7, 6), 3, 1, 0, 1, 1, True),
    (1, 2, 5, (5, 5), 1, 1, 0, 1, 1, False),
    (2, 4, 6, (8, 7), 3, 2, 1, 1, 2, True),
    (3, 4, 4, (9, 9), (3, 2), (2, 1), (1, 0), (2, 1), 4, True),  # depthwise
    (1, 6, 3, (10, 7), (5, 3), 3, (2, 1), 1, 3, False),
    (2, 2, 4, (6, 6), 3, 1, "same", 2, 2, True),
    (2, 2, 4, (6, 5), (2, 4), 1, "same", 1, 1, True),  # even kernel: asymmetric padding
    (2, 3, 2, (6, 6), 3, 1, "valid", 1, 1, True),
    (1, 1, 1, (3, 3), 3, 5, 0, 1, 1, True),  # stride larger than the output
    (2, 2, 2, (4, 11), (1, 4), (1, 3), (0, 2), (1, 3), 1, True),
]


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_matches_torch(case):
    n, c, o, size, k, stride, padding, dilation, groups, bias = case
    rng = np.random.default_rng(0)
    kernel = k if isinstance(k, tuple) else (k, k)
    x, tx = _pair(rng, (n, c, *size))
    w, tw = _pair(rng, (o, c // groups, *kernel))
    pairs = [(x, tx), (w, tw)]
    b = tb = None
    if bias:
        b, tb = _pair(rng, (o,))
        pairs.append((b, tb))
    out = F.conv2d(x, w, b, stride, padding, dilation, groups)
    expected = TF.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    _compare(out, expected, pairs, rng)


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv1d_matches_torch(case):
    n, c, o, size, k, stride, padding, dilation, groups, bias = case
    first = lambda v: v[-1] if isinstance(v, tuple) else v  # noqa: E731 - one width per 1-D case
    rng = np.random.default_rng(1)
    x, tx = _pair(rng, (n, c, size[1]))
    w, tw = _pair(rng, (o, c // groups, first(k)))
    b, tb = _pair(rng, (o,))
    pairs = [(x, tx), (w, tw), (b, tb)] if bias else [(x, tx), (w, tw)]
    args = (first(stride), first(padding), first(dilation), groups)
    out = F.conv1d(x, w, b if bias else None, *args)
    expected = TF.conv1d(tx, tw, tb if bias else None, *args)
    _compare(out, expected, pairs, rng)


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_conv_keeps_the_dtype(dtype):
    x = mg.randn(2, 3, 5, 5, dtype=dtype, requires_grad=True)
    w = mg.randn(4, 3, 3, 3, dtype=dtype, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype and w.grad.dtype == dtype


# ----------------------------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------------------------

# (input size, kernel, stride, padding, dilation)
POOL2D_CASES = [
    ((6, 6), 2, None, 0, 1),
    ((7, 5), 3, 2, 1, 1),
    ((9, 8), (3, 2), (2, 1), (1, 1), (2, 1)),
    ((5, 5), 3, 1, 0, 2),
    ((4, 7), (1, 3), (1, 2), (0, 1), 1),
]


@pytest.mark.parametrize("case", POOL2D_CASES)
def test_max_pool2d_matches_torch(case):
    size, k, stride, padding, dilation = case
    rng = np.random.default_rng(2)
    x, tx = _pair(rng, (2, 3, *size))  # continuous values: no ties
    out, index = F.max_pool2d(x, k, stride, padding, dilation, return_indices=True)
    expected, t_index = TF.max_pool2d(tx, k, stride, padding, dilation, return_indices=True)
    np.testing.assert_array_equal(index.numpy(), t_index.numpy())
    assert index.dtype == mg.int64
    _compare(out, expected, [(x, tx)], rng)


@pytest.mark.parametrize("case", POOL2D_CASES)
def test_max_pool1d_matches_torch(case):
    size, k, stride, padding, dilation = case
    last = lambda v: v[-1] if isinstance(v, tuple) else v  # noqa: E731
    rng = np.random.default_rng(3)
    x, tx = _pair(rng, (2, 3, size[1]))
    args = (last(k), last(stride) if stride else None, last(padding), last(dilation))
    out, index = F.max_pool1d(x, *args, return_indices=True)
    expected, t_index = TF.max_pool1d(tx, *args, return_indices=True)
    np.testing.assert_array_equal(index.numpy(), t_index.numpy())
    _compare(out, expected, [(x, tx)], rng)


def test_max_pool_tie_sends_the_gradient_to_one_position():
    """A window of equal values: PyTorch gives the whole gradient to the first; so do we."""
    x = mg.ones(1, 1, 2, 2, dtype=mg.float64, requires_grad=True)
    tx = torch.ones(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    TF.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", POOL2D_CASES)
def test_avg_pool_matches_torch(case, count_include_pad):
    size, k, stride, padding, _ = case
    rng = np.random.default_rng(4)
    x, tx = _pair(rng, (2, 3, *size))
    kw = {"count_include_pad": count_include_pad}
    _compare(
        F.avg_pool2d(x, k, stride, padding, **kw),
        TF.avg_pool2d(tx, k, stride, padding, **kw),
        [(x, tx)],
        rng,
    )
    last = lambda v: v[-1] if isinstance(v, tuple) else v  # noqa: E731
    x1, tx1 = _pair(rng, (2, 3, size[1]))
    args = (last(k), last(stride) if stride else None, last(padding))
    _compare(F.avg_pool1d(x1, *args, **kw), TF.avg_pool1d(tx1, *args, **kw), [(x1, tx1)], rng)


@pytest.mark.parametrize(
    "size, output_size",
    [
        ((6, 6), 1),
        ((7, 5), (3, 2)),
        ((5, 9), (5, 4)),
        ((3, 4), (5, 7)),
        ((6, 7), (None, 3)),
    ],  # fmt: skip
)
def test_adaptive_avg_pool_matches_torch(size, output_size):
    rng = np.random.default_rng(5)
    x, tx = _pair(rng, (2, 3, *size))
    _compare(
        F.adaptive_avg_pool2d(x, output_size),
        TF.adaptive_avg_pool2d(tx, output_size),
        [(x, tx)],
        rng,
    )
    length = output_size if isinstance(output_size, int) else output_size[1]
    x1, tx1 = _pair(rng, (2, 3, size[1]))
    _compare(
        F.adaptive_avg_pool1d(x1, length), TF.adaptive_avg_pool1d(tx1, length), [(x1, tx1)], rng
    )


# ----------------------------------------------------------------------------------------------
# batch normalisation
# ----------------------------------------------------------------------------------------------


def _copy_state(torch_module, module):
    """torch state_dict -> minigrad module (NumPy arrays, as from a checkpoint)."""
    module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


@pytest.mark.parametrize(
    "layer, shape",
    [("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 6)), ("BatchNorm2d", (3, 2, 4, 5))],
)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"momentum": None},
        {"momentum": 0.3, "eps": 1e-3},
        {"affine": False},
        {"track_running_stats": False},
    ],  # fmt: skip
)
def test_batchnorm_layers_match_torch(layer, shape, kwargs):
    """Three training steps (outputs, gradients, running statistics), then eval."""
    rng = np.random.default_rng(6)
    t_bn = getattr(torch.nn, layer)(shape[1], **kwargs).double()
    bn = getattr(nn, layer)(shape[1], **kwargs).double()
    if bn.weight is not None:  # not the trivial init: random γ, β
        with torch.no_grad():
            t_bn.weight.copy_(torch.tensor(rng.uniform(0.5, 2, shape[1])))
            t_bn.bias.copy_(torch.tensor(rng.standard_normal(shape[1])))
    _copy_state(t_bn, bn)
    for _ in range(3):
        x, tx = _pair(rng, shape)
        pairs = [(x, tx)]
        if bn.weight is not None:
            bn.weight.grad, t_bn.weight.grad = None, None
            bn.bias.grad, t_bn.bias.grad = None, None
            pairs += [(bn.weight, t_bn.weight), (bn.bias, t_bn.bias)]
        _compare(bn(x), t_bn(tx), pairs, rng)
    assert list(bn.state_dict()) == list(t_bn.state_dict())
    for key, value in t_bn.state_dict().items():
        np.testing.assert_allclose(bn.state_dict()[key], value.numpy(), **TOL)
    bn.eval(), t_bn.eval()
    x, tx = _pair(rng, shape)
    _compare(bn(x), t_bn(tx), [(x, tx)], rng)


def test_batch_norm_functional_matches_torch():
    rng = np.random.default_rng(7)
    x, tx = _pair(rng, (4, 3, 5))
    w, tw = _pair(rng, (3,))
    b, tb = _pair(rng, (3,))
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    rm, rv = mg.tensor(mean), mg.tensor(var)
    trm, trv = torch.tensor(mean), torch.tensor(var)
    out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2)
    expected = TF.batch_norm(tx, trm, trv, tw, tb, training=True, momentum=0.2)
    _compare(out, expected, [(x, tx), (w, tw), (b, tb)], rng)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), **TOL)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), **TOL)


def test_batchnorm_train_and_eval_differ():
    """In training an example's output depends on its batch; in eval it does not."""
    bn = nn.BatchNorm1d(2)
    x = mg.randn(8, 2)
    first_row_in_batch = bn(x)[0].numpy()
    first_row_alone_pair = bn(x[:2])[0].numpy()
    assert not np.allclose(first_row_in_batch, first_row_alone_pair)
    bn.eval()
    np.testing.assert_allclose(bn(x)[0].numpy(), bn(x[:2])[0].numpy(), rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# layers: PyTorch's parameter names, shapes, init; a whole CNN's state_dict
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Conv1d(4, 6, 3, groups=2),
        lambda m: m.Conv2d(3, 8, (3, 5), bias=False),
        lambda m: m.BatchNorm2d(5),
        lambda m: m.BatchNorm1d(3, affine=False),
    ],  # fmt: skip
)
def test_layers_have_torch_names_and_shapes(make):
    ours, theirs = make(nn), make(torch.nn)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_conv_default_init_is_torch_bound():
    """weight and bias ~ U(-1/√fan_in, 1/√fan_in), fan_in = in/groups · kh · kw = 2·3·3 = 18."""
    conv = nn.Conv2d(4, 64, 3, groups=2)
    bound = 1 / np.sqrt(18)
    w = conv.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound


def _torch_cnn(tnn):
    return tnn.Sequential(
        tnn.Conv2d(1, 4, 3, padding=1),
        tnn.BatchNorm2d(4),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(4, 6, 3, stride=2, padding="valid", groups=2),
        tnn.ReLU(),
        tnn.AdaptiveAvgPool2d(1),
        tnn.Flatten(),
        tnn.Linear(6, 3),
    )


def _cnn1d(tnn):
    return tnn.Sequential(
        tnn.Conv1d(2, 4, 5, padding="same"),
        tnn.BatchNorm1d(4),
        tnn.ReLU(),
        tnn.AvgPool1d(2),
        tnn.Conv1d(4, 4, 3, dilation=2),
        tnn.MaxPool1d(2),
        tnn.AdaptiveAvgPool1d(2),
        tnn.Flatten(),
        tnn.Linear(8, 3),
    )


@pytest.mark.parametrize("build, shape", [(_torch_cnn, (5, 1, 10, 10)), (_cnn1d, (5, 2, 20))])
def test_torch_state_dict_loads_and_gives_the_same_outputs(build, shape):
    """A PyTorch CNN, trained a step so that its running statistics are not the defaults: its
    state_dict loads into the same minigrad model, which then gives the same outputs (eval and
    train) and the same parameter gradients."""
    torch.manual_seed(0)
    theirs = build(torch.nn).double()
    theirs(torch.randn(*shape, dtype=torch.float64))  # updates the running statistics
    ours = build(nn).double()
    _copy_state(theirs, ours)
    rng = np.random.default_rng(8)
    x, tx = _pair(rng, shape)
    theirs.eval(), ours.eval()
    np.testing.assert_allclose(ours(x).numpy(), theirs(tx).detach().numpy(), **TOL)
    theirs.train(), ours.train()
    _compare(ours(x), theirs(tx), list(zip(ours.parameters(), theirs.parameters())), rng)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), **TOL)


def test_dropout2d_zeroes_whole_channels():
    mg.manual_seed(0)
    x = mg.ones(8, 16, 3, 3)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    layer = nn.Dropout2d(0.5).eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
