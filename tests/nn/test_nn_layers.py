"""Layers: Linear, Embedding, Dropout, LayerNorm, activations, Flatten, Identity, one_hot.

Each layer gets a forward check against a closed form or plain NumPy, a gradient property test
(hypothesis + minigrad.gradcheck in float64, random shapes), and -- when PyTorch is installed --
a cross-check against PyTorch with identical weights.
"""

import math

import numpy as np
import pytest
from helpers_nn import grad_of, leaf, module_gradcheck, rng, seeds, set_params
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

leading_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple)

# ----------------------------------------------------------------------------------------------
# Linear
# ----------------------------------------------------------------------------------------------


@given(
    lead=leading_shapes,
    n_in=st.integers(1, 4),
    n_out=st.integers(1, 4),
    bias=st.booleans(),
    seed=seeds,
)
def test_linear_forward_and_gradients(lead, n_in, n_out, bias, seed):
    r = rng(seed)
    layer = nn.Linear(n_in, n_out, bias=bias, dtype=mg.float64)
    w = r.standard_normal((n_out, n_in))
    b = r.standard_normal(n_out)
    set_params(layer, {"weight": w, "bias": b} if bias else {"weight": w})
    x = r.standard_normal(lead + (n_in,))
    expected = x @ w.T + (b if bias else 0.0)
    np.testing.assert_allclose(layer(leaf(x)).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert module_gradcheck(layer, (leaf(x),))


def test_linear_default_init_is_uniform_within_one_over_sqrt_in():
    layer = nn.Linear(256, 128)
    bound = 1.0 / math.sqrt(256)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert layer.weight.dtype == mg.float32 and layer.bias.dtype == mg.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-b, b) has variance b²/3; 32768 draws pin it to well within 3%.
    assert abs(w.var() / (bound**2 / 3) - 1.0) < 0.03
    assert abs(w.mean()) < 0.03 * bound


def test_linear_init_follows_the_seed():
    mg.manual_seed(7)
    a = nn.Linear(3, 2).weight.numpy()
    mg.manual_seed(7)
    b = nn.Linear(3, 2).weight.numpy()
    c = nn.Linear(3, 2).weight.numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_linear_wrong_last_dimension_is_a_clear_error():
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=4, out_features=3, bias=True\): "
        r"expected input of shape \(\.\.\., 4\), got \(2, 3\)",
    ):
        nn.Linear(4, 3)(mg.zeros(2, 3))


def test_functional_linear_checks_shapes():
    with pytest.raises(ValueError, match=r"linear: expected input of shape \(\.\.\., 4\)"):
        F.linear(mg.zeros(2, 3), mg.zeros(5, 4))


def test_linear_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(5, 3)
    theirs = torch.nn.Linear(5, 3)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng(0).standard_normal((2, 4, 5)).astype(np.float32)
    y = ours(mg.tensor(x))
    y_t = theirs(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    (y * y).sum().backward()
    (y_t * y_t).sum().backward()
    np.testing.assert_allclose(
        grad_of(ours.weight), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-5
    )


def test_identity_returns_its_input():
    x = mg.tensor([1.0, 2.0])
    assert nn.Identity(3, key="ignored")(x) is x


# ----------------------------------------------------------------------------------------------
# Embedding
# ----------------------------------------------------------------------------------------------


@given(
    idx_shape=st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple),
    num=st.integers(1, 5),
    dim=st.integers(1, 3),
    use_padding=st.booleans(),
    seed=seeds,
)
def test_embedding_forward_and_gradients(idx_shape, num, dim, use_padding, seed):
    r = rng(seed)
    padding_idx = int(r.integers(num)) if use_padding else None
    table = r.standard_normal((num, dim))
    idx = r.integers(0, num, size=idx_shape)
    weight = leaf(table)
    out = F.embedding(mg.tensor(idx), weight, padding_idx=padding_idx)
    np.testing.assert_array_equal(out.numpy(), table[idx])
    # Gradient in closed form: every position adds its upstream gradient to its row.
    upstream = r.standard_normal(idx_shape + (dim,))
    out.backward(mg.tensor(upstream))
    expected = np.zeros_like(table)
    np.add.at(expected, idx, upstream)
    if padding_idx is not None:
        expected[padding_idx] = 0.0
    np.testing.assert_allclose(grad_of(weight), expected, rtol=1e-12, atol=1e-12)
    # Without padding the lookup is an ordinary function of the table, so gradcheck applies.
    # (With padding_idx the zero gradient of the padding row is deliberate, not the derivative,
    # and was checked against the closed form above.)
    assert mg.gradcheck(lambda w: F.embedding(mg.tensor(idx), w), (leaf(table),))


def test_embedding_init_and_padding_row():
    emb = nn.Embedding(200, 100, padding_idx=3)
    w = emb.weight.numpy()
    assert emb.weight.dtype == mg.float32
    np.testing.assert_array_equal(w[3], np.zeros(100))
    others = np.delete(w, 3, axis=0)
    assert abs(others.mean()) < 0.02 and abs(others.std() - 1.0) < 0.02  # N(0, 1), 19900 draws


def test_embedding_negative_padding_idx_counts_from_the_end():
    emb = nn.Embedding(4, 2, padding_idx=-1)
    assert emb.padding_idx == 3
    np.testing.assert_array_equal(emb.weight.numpy()[3], [0.0, 0.0])


def test_embedding_errors():
    emb = nn.Embedding(4, 2)
    with pytest.raises(
        IndexError,
        match=r"embedding: index 4 is out of range; valid values are "
        r"0 to 3",
    ):
        emb(mg.tensor([0, 4]))
    with pytest.raises(TypeError, match=r"embedding: input must be integer indices.*float32"):
        emb(mg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx=5"):
        nn.Embedding(4, 2, padding_idx=5)


def test_embedding_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 3, padding_idx=1)
    theirs = torch.nn.Embedding(6, 3, padding_idx=1)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    idx = np.array([[1, 2, 2], [5, 1, 0]])
    upstream = rng(1).standard_normal((2, 3, 3)).astype(np.float32)
    out = ours(mg.tensor(idx))
    out_t = theirs(torch.tensor(idx))
    np.testing.assert_array_equal(out.numpy(), out_t.detach().numpy())
    out.backward(mg.tensor(upstream))
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(grad_of(ours.weight), theirs.weight.grad.numpy(), rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------


def test_dropout_is_the_identity_in_eval_mode_and_for_p_zero():
    x = mg.randn(3, 4)
    layer = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.9, training=False).numpy(), x.numpy())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_one_minus_p_and_scales_by_its_inverse(p):
    x = mg.ones(200_000)
    y = nn.Dropout(p)(x).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    # every survivor is exactly 1/(1-p) in float32 (inverted dropout)
    np.testing.assert_array_equal(y[kept], np.float32(1.0) * np.float32(1.0 / (1.0 - p)))
    # fraction kept: binomial, standard deviation < 0.0012 here; 0.005 is > 4 sigma
    assert abs(kept.mean() - (1.0 - p)) < 0.005


def test_dropout_p_one_drops_everything():
    np.testing.assert_array_equal(F.dropout(mg.ones(5), 1.0).numpy(), np.zeros(5))


def test_dropout_uses_the_global_generator():
    mg.manual_seed(3)
    a = F.dropout(mg.ones(50), 0.5).numpy()
    mg.manual_seed(3)
    b = F.dropout(mg.ones(50), 0.5).numpy()
    c = F.dropout(mg.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_gradient_is_the_same_mask():
    x = leaf(np.linspace(1.0, 2.0, 40))
    y = F.dropout(x, 0.25)
    y.sum().backward()
    mask = y.numpy() / x.numpy()  # 0 or 1/(1-p) at each position, from the forward pass
    assert set(np.round(mask, 12)) == {0.0, round(1.0 / 0.75, 12)}
    np.testing.assert_allclose(grad_of(x), mask, rtol=1e-12)


def test_dropout_rejects_bad_probabilities():
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1, got -0.1"):
        F.dropout(mg.ones(2), -0.1)


# ----------------------------------------------------------------------------------------------
# LayerNorm
# ----------------------------------------------------------------------------------------------


def _layer_norm_numpy(x, k, w, b, eps):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * w + b if w is not None else y


def test_fresh_layer_norm_gives_mean_zero_variance_one():
    x = mg.tensor(rng(0).standard_normal((4, 16)) * 5.0 + 3.0)  # float64 from NumPy
    y = nn.LayerNorm(16, dtype=mg.float64)(x).numpy()
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1.0, rtol=1e-5)  # 1 - ε/σ², σ² ≈ 25


def test_layer_norm_keeps_float32():
    y = nn.LayerNorm(3)(mg.randn(2, 3))
    assert y.dtype == mg.float32


@given(
    lead=leading_shapes,
    norm=st.lists(st.integers(2, 3), min_size=1, max_size=2).map(tuple),
    affine=st.booleans(),
    seed=seeds,
)
def test_layer_norm_forward_and_gradients(lead, norm, affine, seed):
    r = rng(seed)
    layer = nn.LayerNorm(norm, elementwise_affine=affine, dtype=mg.float64)
    w, b = None, None
    if affine:
        w, b = r.standard_normal(norm), r.standard_normal(norm)
        set_params(layer, {"weight": w, "bias": b})
    x = r.standard_normal(lead + norm)
    np.testing.assert_allclose(
        layer(leaf(x)).numpy(), _layer_norm_numpy(x, len(norm), w, b, 1e-5), rtol=1e-10, atol=1e-12
    )
    assert module_gradcheck(layer, (leaf(x),))


def test_layer_norm_wrong_shape_is_a_clear_error():
    with pytest.raises(
        ValueError,
        match=r"layer_norm: expected input of shape \(\.\.\., 4\) "
        r"for normalized_shape=\(4,\), got \(2, 3\)",
    ):
        nn.LayerNorm(4)(mg.zeros(2, 3))


def test_layer_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    r = rng(2)
    ours = nn.LayerNorm((3, 4))
    set_params(ours, {"weight": r.standard_normal((3, 4)), "bias": r.standard_normal((3, 4))})
    theirs = torch.nn.LayerNorm((3, 4))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = r.standard_normal((2, 3, 4)).astype(np.float32)
    upstream = r.standard_normal((2, 3, 4)).astype(np.float32)
    xm, xt = leaf(x), torch.tensor(x, requires_grad=True)
    y, y_t = ours(xm), theirs(xt)
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    y.backward(mg.tensor(upstream))
    y_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(grad_of(xm), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        grad_of(ours.weight), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(grad_of(ours.bias), theirs.bias.grad.numpy(), rtol=1e-5)


# ----------------------------------------------------------------------------------------------
# Activations, Flatten
# ----------------------------------------------------------------------------------------------

X = np.array([-2.0, -0.5, 0.3, 1.5])


def _gelu_exact(v):
    return np.array([t * 0.5 * (1.0 + math.erf(t / math.sqrt(2.0))) for t in v])


def _gelu_tanh(v):
    return 0.5 * v * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v**3)))


@pytest.mark.parametrize(
    "layer, expected",
    [
        (nn.ReLU(), np.maximum(X, 0.0)),
        (nn.ReLU(inplace=True), np.maximum(X, 0.0)),
        (nn.Sigmoid(), 1.0 / (1.0 + np.exp(-X))),
        (nn.Tanh(), np.tanh(X)),
        (nn.GELU(), _gelu_exact(X)),
        (nn.GELU(approximate="tanh"), _gelu_tanh(X)),
        (nn.Softmax(dim=0), np.exp(X) / np.exp(X).sum()),
        (nn.LogSoftmax(dim=0), X - np.log(np.exp(X).sum())),
    ],
    ids=lambda v: repr(v) if isinstance(v, nn.Module) else "",
)
def test_activation_forward_and_gradient(layer, expected):
    x = leaf(X)
    atol = 1e-14
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12, atol=atol)
    assert module_gradcheck(layer, (x,))


@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
    kind=st.sampled_from(
        [
            "relu",
            "sigmoid",
            "tanh",
            "gelu",
            "gelu_tanh",
            "softmax",
            "log_softmax",
            "flatten",
            "identity",
        ]
    ),
    seed=seeds,
)
def test_activation_gradients_on_random_shapes(shape, kind, seed):
    r = rng(seed)
    # magnitudes in [0.1, 2] with random signs: never at ReLU's kink
    x = r.uniform(0.1, 2.0, size=shape) * r.choice([-1.0, 1.0], size=shape)
    dim = int(r.integers(-len(shape), len(shape)))
    layer = {
        "relu": nn.ReLU(),
        "sigmoid": nn.Sigmoid(),
        "tanh": nn.Tanh(),
        "gelu": nn.GELU(),
        "gelu_tanh": nn.GELU("tanh"),
        "softmax": nn.Softmax(dim),
        "log_softmax": nn.LogSoftmax(dim),
        "flatten": nn.Flatten(0, -1),
        "identity": nn.Identity(),
    }[kind]
    assert module_gradcheck(layer, (leaf(x),))


def test_softmax_of_the_documents_worked_example_f9():
    scores = mg.tensor([2.0, 3.0, 1.0, 4.0, 6.0])
    expected = [0.015135, 0.041140, 0.005568, 0.111831, 0.826326]  # seed-formulas F9
    np.testing.assert_allclose(F.softmax(scores, dim=0).numpy(), expected, atol=5e-7)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


def test_gelu_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-4.0, 4.0, 17)
    for approximate in ("none", "tanh"):
        ours = nn.GELU(approximate)(mg.tensor(x)).numpy()
        theirs = torch.nn.GELU(approximate)(torch.tensor(x)).numpy()
        if approximate == "tanh":
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
        else:
            # x · Φ(x) with |erf error| < 1.5e-7 (the engine's erf, see above): error ≤ 0.75e-7 |x|
            assert np.all(np.abs(ours - theirs) <= 0.75e-7 * np.abs(x) + 1e-15)


@pytest.mark.parametrize("slope", [0.01, 0.2, 1.5, 0.0])
def test_leaky_relu_matches_pytorch_values_and_gradients(slope):
    torch = pytest.importorskip("torch")
    x = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, -1e-300, np.nan])
    g = np.array([1.0, 2.0, 3.0, -1.0, 0.5, 4.0, 1.0])
    ours_x = mg.tensor(x, requires_grad=True)
    ours = nn.LeakyReLU(slope)(ours_x)
    ours.backward(mg.tensor(g))
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = torch.nn.LeakyReLU(slope)(theirs_x)
    theirs.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    np.testing.assert_array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy())  # slope at 0
    assert F.leaky_relu(mg.randn(3)).dtype == mg.float32  # the slope does not upcast


def test_leaky_relu_names_its_bad_arguments():
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a number, got str"):
        F.leaky_relu(mg.randn(3), "0.1")
    with pytest.raises(TypeError, match="floating-point tensor, got int64"):
        F.leaky_relu(mg.tensor([1, 2]))
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(nn.ReLU()) == "ReLU()"


def test_flatten():
    x = mg.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    np.testing.assert_array_equal(
        nn.Flatten()(mg.arange(6).reshape(2, 3)).numpy(), [[0, 1, 2], [3, 4, 5]]
    )


# ----------------------------------------------------------------------------------------------
# one_hot
# ----------------------------------------------------------------------------------------------


def test_one_hot():
    out = F.one_hot(mg.tensor([[0, 2], [1, 0]]), 3)
    assert out.dtype == mg.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [1, 0, 0]]])
    np.testing.assert_array_equal(
        F.one_hot(mg.tensor([3, 1])).numpy(), [[0, 0, 0, 1], [0, 1, 0, 0]]
    )
    with pytest.raises(IndexError, match="one_hot: class index 3 is out of range"):
        F.one_hot(mg.tensor([3]), 3)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(mg.tensor([1.0]), 3)


# ----------------------------------------------------------------------------------------------
# Every layer runs on the strict device (no NumPy calls on device arrays) and agrees with "cpu"
# ----------------------------------------------------------------------------------------------


def _layers():
    return {
        "linear": (lambda: nn.Linear(3, 2), lambda: mg.randn(4, 3)),
        "layer_norm": (lambda: nn.LayerNorm(3), lambda: mg.randn(4, 3)),
        "embedding": (lambda: nn.Embedding(5, 3, padding_idx=0), lambda: mg.tensor([[0, 4, 2]])),
        "gelu": (lambda: nn.GELU(), lambda: mg.randn(4, 3)),
        "softmax": (lambda: nn.Softmax(-1), lambda: mg.randn(4, 3)),
        "dropout": (lambda: nn.Dropout(0.3), lambda: mg.randn(4, 3)),
        "flatten": (lambda: nn.Flatten(), lambda: mg.randn(2, 3, 2)),
        "mlp": (
            lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid()),
            lambda: mg.randn(4, 3),
        ),
    }


@pytest.mark.parametrize("kind", sorted(_layers()))
def test_layers_run_on_other_devices_and_agree_with_cpu(kind, other_device):
    make_layer, make_input = _layers()[kind]
    results = {}
    for dev in ("cpu", other_device):
        mg.manual_seed(0)
        layer = make_layer().to(dev)
        x = make_input().to(dev)
        if x.dtype.kind == "f":
            x.requires_grad_()
        out = layer(x)
        assert out.device == dev and out.dtype == (mg.float32 if x.dtype.kind == "f" else out.dtype)
        (out * out).sum().backward()
        grads = [grad_of(p) for p in layer.parameters()]
        if x.requires_grad:
            grads.append(grad_of(x))
        results[dev] = (out.numpy(), grads)
    np.testing.assert_allclose(results[other_device][0], results["cpu"][0], rtol=1e-6)
    for g_dev, g_cpu in zip(results[other_device][1], results["cpu"][1]):
        np.testing.assert_allclose(g_dev, g_cpu, rtol=1e-6)
