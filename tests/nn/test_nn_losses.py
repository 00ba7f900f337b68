"""Losses: closed forms (F1, F2, F3), a NumPy re-derivation of PyTorch's semantics, gradient
property tests, PyTorch cross-checks, numerical stability, and clear errors."""

import math

import numpy as np
import pytest
from helpers_nn import grad_of, leaf, rng, seeds
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

reductions = st.sampled_from(["mean", "sum", "none"])


def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)


# ----------------------------------------------------------------------------------------------
# A NumPy reference for cross_entropy / nll_loss, written from the definitions (not from minigrad)
# ----------------------------------------------------------------------------------------------


def _log_softmax_np(z, axis):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def cross_entropy_np(
    z, y, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0, log_probs=False
):
    """z: (C,), (N, C) or (N, C, d...); y: class indices or probabilities of z's shape."""
    unbatched = z.ndim == 1
    if unbatched:
        z, y = z[None], (y[None] if y.ndim == 1 else np.asarray(y)[None])
    C = z.shape[1]
    logp = z if log_probs else _log_softmax_np(z, axis=1)
    logp = np.moveaxis(logp, 1, -1).reshape(-1, C)  # (M, C)
    w = np.ones(C) if weight is None else weight
    if np.issubdtype(y.dtype, np.floating):  # probabilities
        probs = np.moveaxis(y, 1, -1).reshape(-1, C) * (1 - smoothing) + smoothing / C
        losses = -(probs * w * logp).sum(axis=1)
        denominator = losses.shape[0]
    else:
        t = y.reshape(-1)
        valid = t != ignore_index
        safe = np.where(valid, t, 0)
        w_t = w[safe] * valid
        nll = -logp[np.arange(len(t)), safe] * w_t
        smooth = -(logp * w).sum(axis=1) * valid
        losses = (1 - smoothing) * nll + smoothing / C * smooth
        denominator = w_t.sum()
    if reduction == "mean":
        return losses.sum() / denominator
    if reduction == "sum":
        return losses.sum()
    out_shape = () if unbatched else (z.shape[0],) + z.shape[2:]
    return losses.reshape(out_shape)


# ----------------------------------------------------------------------------------------------
# MSE (F1)
# ----------------------------------------------------------------------------------------------


def test_mse_closed_form_and_gradient_f1():
    pred = leaf([1.0, 2.0, 3.0])
    target = np.array([1.0, 1.0, 1.0])
    assert F.mse_loss(pred, mg.tensor(target), reduction="sum").item() == 5.0
    np.testing.assert_array_equal(
        F.mse_loss(pred, mg.tensor(target), reduction="none").numpy(), [0.0, 1.0, 4.0]
    )
    loss = F.mse_loss(pred, mg.tensor(target))
    assert loss.item() == pytest.approx(5.0 / 3.0, rel=1e-15)
    loss.backward()
    np.testing.assert_allclose(grad_of(pred), 2.0 / 3.0 * (pred.numpy() - target))  # F1


@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
    reduction=reductions,
    seed=seeds,
)
def test_mse_gradients(shape, reduction, seed):
    r = rng(seed)
    a, b = r.standard_normal(shape), r.standard_normal(shape)
    np.testing.assert_allclose(
        F.mse_loss(leaf(a), leaf(b), reduction).numpy(),
        _reduce((a - b) ** 2, reduction),
        rtol=1e-12,
    )
    assert mg.gradcheck(lambda x, y: F.mse_loss(x, y, reduction), (leaf(a), leaf(b)))


def test_mse_gradient_of_0d_tensors():
    assert mg.gradcheck(F.mse_loss, (leaf(np.array(0.5)), leaf(np.array(-1.0))))


def test_mse_refuses_to_broadcast():
    with pytest.raises(
        ValueError,
        match=r"mse_loss: input shape \(3, 1\) and target shape "
        r"\(3,\) differ",
    ):
        F.mse_loss(mg.zeros(3, 1), mg.zeros(3))


# ----------------------------------------------------------------------------------------------
# Cross-entropy (F2)
# ----------------------------------------------------------------------------------------------


def test_cross_entropy_of_known_logits():
    logits = leaf([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    loss = F.cross_entropy(logits, mg.tensor([2, 0]))
    lse = math.log(math.e + math.e**2 + math.e**3)
    expected = ((lse - 3.0) + math.log(3.0)) / 2.0
    assert loss.item() == pytest.approx(expected, rel=1e-14)
    loss.backward()
    # F2: the gradient with respect to the logits is (softmax(z) - y) / N
    p = np.exp(np.array([[1.0, 2.0, 3.0]])) / (math.e + math.e**2 + math.e**3)
    expected_grad = np.vstack([p - [0, 0, 1], np.full((1, 3), 1 / 3) - [1, 0, 0]]) / 2.0
    np.testing.assert_allclose(grad_of(logits), expected_grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = mg.tensor([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]], requires_grad=True)  # float32
    loss = F.cross_entropy(logits, mg.tensor([0, 1]), reduction="none")
    assert loss.dtype == mg.float32
    np.testing.assert_array_equal(loss.numpy(), [0.0, 2e4])
    loss.sum().backward()
    np.testing.assert_array_equal(grad_of(logits), [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]])


def test_cross_entropy_with_a_masked_class_is_finite():
    """A logit of -inf (a masked class) must not turn the loss or gradient into nan."""
    logits = mg.tensor([[0.0, -float("inf"), 0.0]], requires_grad=True)
    loss = F.cross_entropy(logits, mg.tensor([0]))
    assert loss.item() == pytest.approx(math.log(2.0))
    loss.backward()
    np.testing.assert_allclose(grad_of(logits), [[-0.5, 0.0, 0.5]])


def test_cross_entropy_ignore_index_and_weight_closed_form():
    z = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    logp = _log_softmax_np(z, axis=1)
    w = np.array([0.25, 2.0])
    loss = F.cross_entropy(mg.tensor(z), mg.tensor([0, 1, -100]), weight=mg.tensor(w))
    # the third row is ignored; the mean divides by the weights of the remaining targets
    expected = -(0.25 * logp[0, 0] + 2.0 * logp[1, 1]) / (0.25 + 2.0)
    assert loss.item() == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_label_smoothing_closed_form():
    z = np.array([[3.0, 1.0, 0.0, -1.0]])
    logp = _log_softmax_np(z, axis=1)[0]
    eps = 0.2
    target_dist = np.full(4, eps / 4)
    target_dist[0] += 1 - eps
    loss = F.cross_entropy(mg.tensor(z), mg.tensor([0]), label_smoothing=eps)
    assert loss.item() == pytest.approx(-(target_dist * logp).sum(), rel=1e-14)


def test_cross_entropy_with_probability_targets_closed_form():
    z = np.array([[0.5, 1.5], [2.0, -1.0]])
    y = np.array([[0.3, 0.7], [1.0, 0.0]])
    expected = -(y * _log_softmax_np(z, axis=1)).sum() / 2
    assert F.cross_entropy(mg.tensor(z), mg.tensor(y)).item() == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_unbatched_and_spatial_shapes():
    r = rng(4)
    z1 = r.standard_normal(5)
    out = F.cross_entropy(mg.tensor(z1), mg.tensor(3), reduction="none")
    assert out.shape == ()
    assert out.item() == pytest.approx(-_log_softmax_np(z1, 0)[3], rel=1e-14)
    z = r.standard_normal((2, 3, 4, 2))  # (N, C, d1, d2)
    y = r.integers(0, 3, size=(2, 4, 2))
    out = F.cross_entropy(mg.tensor(z), mg.tensor(y), reduction="none")
    assert out.shape == (2, 4, 2)
    expected = -np.take_along_axis(_log_softmax_np(z, 1), y[:, None], axis=1)[:, 0]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@st.composite
def cross_entropy_cases(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    extra = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    case = {
        "shape": (n, c) + extra,
        "probs": draw(st.booleans()),
        "weight": draw(st.booleans()),
        "smoothing": draw(st.sampled_from([0.0, 0.15])),
        "ignore": draw(st.booleans()),
        "reduction": draw(reductions),
        "seed": draw(seeds),
    }
    return case


def _make_case(case):
    r = rng(case["seed"])
    shape = case["shape"]
    c = shape[1]
    z = r.standard_normal(shape) * 2.0
    if case["probs"]:
        y = r.random(shape) + 0.1
        y = y / y.sum(axis=1, keepdims=True)
    else:
        y = r.integers(0, c, size=(shape[0],) + shape[2:])
        if case["ignore"]:
            y.reshape(-1)[1::2] = -100  # every other target ignored; the first one never is
    w = r.random(c) + 0.5 if case["weight"] else None
    return z, y, w


@given(case=cross_entropy_cases())
def test_cross_entropy_forward_and_gradients(case):
    z, y, w = _make_case(case)
    kwargs = {"reduction": case["reduction"], "label_smoothing": case["smoothing"]}
    weight = None if w is None else mg.tensor(w)
    out = F.cross_entropy(leaf(z), mg.tensor(y), weight=weight, **kwargs)
    expected = cross_entropy_np(z, y, w, smoothing=case["smoothing"], reduction=case["reduction"])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-14)
    target = leaf(y) if case["probs"] else mg.tensor(y)  # probability targets get gradients too
    assert mg.gradcheck(
        lambda a, t: F.cross_entropy(a, t, weight=weight, **kwargs), (leaf(z), target)
    )


@given(case=cross_entropy_cases())
def test_nll_loss_forward_and_gradients(case):
    case["probs"], case["smoothing"] = False, 0.0
    z, y, w = _make_case(case)
    logp = _log_softmax_np(z, axis=1)
    weight = None if w is None else mg.tensor(w)
    out = F.nll_loss(leaf(logp), mg.tensor(y), weight=weight, reduction=case["reduction"])
    expected = cross_entropy_np(logp, y, w, reduction=case["reduction"], log_probs=True)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(
        lambda a: F.nll_loss(a, mg.tensor(y), weight, reduction=case["reduction"]), (leaf(logp),)
    )


def test_nll_loss_ignores_minus_infinity_in_other_classes():
    log_probs = mg.tensor([[-0.5, -float("inf")]], requires_grad=True)
    loss = F.nll_loss(log_probs, mg.tensor([0]))
    assert loss.item() == 0.5
    loss.backward()
    np.testing.assert_array_equal(grad_of(log_probs), [[-1.0, 0.0]])


TORCH_CE_CASES = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": True},
    {"ignore": True},
    {"weight": True, "ignore": True, "label_smoothing": 0.1},
    {"weight": True, "ignore": True, "label_smoothing": 0.1, "reduction": "none"},
    {"label_smoothing": 0.3},
    {"spatial": True, "weight": True, "ignore": True},
    {"probs": True},
    {"probs": True, "weight": True, "label_smoothing": 0.2},
]


# nll_loss takes class indices and has no label smoothing: only the cases that fit it.
TORCH_LOSS_CASES = [("cross_entropy", o) for o in TORCH_CE_CASES] + [
    ("nll_loss", o) for o in TORCH_CE_CASES if not (o.get("probs") or o.get("label_smoothing"))
]


@pytest.mark.parametrize("loss_name, options", TORCH_LOSS_CASES, ids=str)
def test_cross_entropy_and_nll_match_pytorch(loss_name, options):
    torch = pytest.importorskip("torch")
    r = rng(5)
    shape = (4, 3, 2) if options.get("spatial") else (6, 3)
    z = r.standard_normal(shape).astype(np.float32)
    if loss_name == "nll_loss":
        z = _log_softmax_np(z, axis=1).astype(np.float32)
    if options.get("probs"):
        y = r.random(shape).astype(np.float32)
        y /= y.sum(axis=1, keepdims=True)
    else:
        y = r.integers(0, 3, size=(shape[0],) + shape[2:])
        if options.get("ignore"):
            y.reshape(-1)[::3] = 2 if loss_name == "nll_loss" else -100
    ignore_index = 2 if (loss_name == "nll_loss" and options.get("ignore")) else -100
    w = np.array([0.5, 2.0, 1.25], dtype=np.float32) if options.get("weight") else None
    kwargs = {"reduction": options.get("reduction", "mean"), "ignore_index": ignore_index}
    if loss_name == "cross_entropy":
        kwargs["label_smoothing"] = options.get("label_smoothing", 0.0)
    ours_fn, theirs_fn = getattr(F, loss_name), getattr(torch.nn.functional, loss_name)
    x, xt = leaf(z), torch.tensor(z, requires_grad=True)
    out = ours_fn(x, mg.tensor(y), weight=None if w is None else mg.tensor(w), **kwargs)
    out_t = theirs_fn(xt, torch.tensor(y), weight=None if w is None else torch.tensor(w), **kwargs)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    upstream = r.standard_normal(out.shape).astype(np.float32)
    out.backward(mg.tensor(upstream))
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(grad_of(x), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cross_entropy_errors_name_the_problem():
    logits = mg.zeros(3, 5)
    with pytest.raises(
        IndexError,
        match=r"cross_entropy: target class index 7 is out of range; "
        r"valid values are 0 to 4 \(or ignore_index=-100\)",
    ):
        F.cross_entropy(logits, mg.tensor([0, 7, 1]))
    with pytest.raises(IndexError, match="target class index -1 is out of range"):
        F.cross_entropy(logits, mg.tensor([0, -1, 1]))
    with pytest.raises(TypeError, match=r"dtype float32; class indices must be integers"):
        F.cross_entropy(logits, mg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"batch sizes differ \(input 3, target 4\)"):
        F.cross_entropy(logits, mg.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"class probabilities of shape \(3, 5\), got \(3, 4\)"):
        F.cross_entropy(logits, mg.zeros(3, 4))
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(5,\)"):
        F.cross_entropy(logits, mg.tensor([0, 1, 2]), weight=mg.ones(4))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(logits, mg.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(TypeError, match="input is float64 but target is float32"):
        F.cross_entropy(mg.zeros(3, 5, dtype=mg.float64), mg.zeros(3, 5))
    with pytest.raises(TypeError, match="input must be a floating-point tensor"):
        F.cross_entropy(mg.tensor([[1, 2]]), mg.tensor([0]))


def test_nll_loss_rejects_probability_targets():
    with pytest.raises(TypeError, match="nll_loss: target must hold integer class indices"):
        F.nll_loss(mg.zeros(2, 3), mg.zeros(2, 3))


# ----------------------------------------------------------------------------------------------
# Binary cross-entropy (F3)
# ----------------------------------------------------------------------------------------------


def test_bce_closed_form():
    p, y = np.array([0.2, 0.9]), np.array([0.0, 1.0])
    loss = F.binary_cross_entropy(mg.tensor(p), mg.tensor(y))
    assert loss.item() == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2, rel=1e-14)


def test_bce_on_probabilities_exactly_zero_and_one_is_finite():
    p = mg.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)  # float32
    y = mg.tensor([0.0, 1.0, 1.0, 0.0])
    with np.errstate(all="raise"):  # not even a warning: log(0) is never evaluated
        loss = F.binary_cross_entropy(p, y, reduction="none")
        np.testing.assert_array_equal(loss.numpy(), [0.0, 0.0, 100.0, 100.0])  # clamp at -100
        loss.sum().backward()
    assert loss.dtype == mg.float32
    assert np.all(np.isfinite(grad_of(p)))


@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple),
    reduction=reductions,
    weighted=st.booleans(),
    seed=seeds,
)
def test_bce_forward_and_gradients(shape, reduction, weighted, seed):
    r = rng(seed)
    p = r.uniform(0.05, 0.95, size=shape)
    y = r.uniform(0.0, 1.0, size=shape)
    w = r.uniform(0.5, 2.0, size=shape[-1:]) if weighted else None
    weight = None if w is None else mg.tensor(w)
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)) * (1.0 if w is None else w)
    out = F.binary_cross_entropy(leaf(p), leaf(y), weight=weight, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), _reduce(expected, reduction), rtol=1e-12)
    assert mg.gradcheck(
        lambda a, b: F.binary_cross_entropy(a, b, weight, reduction), (leaf(p), leaf(y))
    )


@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple),
    reduction=reductions,
    weighted=st.booleans(),
    seed=seeds,
)
def test_bce_with_logits_forward_and_gradients(shape, reduction, weighted, seed):
    r = rng(seed)
    z = r.uniform(-4.0, 4.0, size=shape)
    y = r.uniform(0.0, 1.0, size=shape)
    w = r.uniform(0.5, 2.0, size=shape[-1:]) if weighted else None
    weight = None if w is None else mg.tensor(w)
    p = 1.0 / (1.0 + np.exp(-z))
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)) * (1.0 if w is None else w)
    out = F.binary_cross_entropy_with_logits(leaf(z), leaf(y), weight=weight, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), _reduce(expected, reduction), rtol=1e-10)
    assert mg.gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight, reduction), (leaf(z), leaf(y))
    )


def test_bce_with_logits_is_stable_and_exact_at_zero():
    z = mg.tensor([1e4, -1e4, 1e4, -1e4, 0.0], requires_grad=True)  # float32
    y = mg.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1e4, 1e4, math.log(2.0)], rtol=1e-7)
    loss.sum().backward()
    # ∂L/∂z = σ(z) - y, also at z = 0 exactly, where σ(0) - 1 = -0.5
    np.testing.assert_allclose(grad_of(z), [0.0, 0.0, 1.0, -1.0, -0.5], atol=1e-7)


def test_bce_errors():
    with pytest.raises(
        ValueError,
        match=r"input must hold probabilities in \[0, 1\].*from -0.5 "
        r"to 2.0.*binary_cross_entropy_with_logits",
    ):
        F.binary_cross_entropy(mg.tensor([-0.5, 2.0]), mg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target shape \(2, 1\) and input shape \(2,\) differ"):
        F.binary_cross_entropy_with_logits(mg.zeros(2), mg.zeros(2, 1))


def test_bce_accepts_integer_labels():
    loss = F.binary_cross_entropy_with_logits(mg.tensor([0.0, 0.0]), mg.tensor([0, 1]))
    assert loss.dtype == mg.float32 and loss.item() == pytest.approx(math.log(2.0), rel=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_bce_losses_match_pytorch(weighted):
    torch = pytest.importorskip("torch")
    r = rng(6)
    z = r.uniform(-5, 5, size=(4, 3)).astype(np.float32)
    p = np.concatenate([[[0.0, 1.0, 0.5]], 1 / (1 + np.exp(-z[1:]))]).astype(np.float32)
    y = r.uniform(0, 1, size=(4, 3)).astype(np.float32)
    w = r.uniform(0.5, 2, size=3).astype(np.float32) if weighted else None
    for ours, theirs, x in [
        (F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, p),
        (
            F.binary_cross_entropy_with_logits,
            torch.nn.functional.binary_cross_entropy_with_logits,
            z,
        ),
    ]:
        xm, xt = leaf(x), torch.tensor(x, requires_grad=True)
        out = ours(xm, mg.tensor(y), weight=None if w is None else mg.tensor(w))
        out_t = theirs(xt, torch.tensor(y), weight=None if w is None else torch.tensor(w))
        np.testing.assert_allclose(out.item(), out_t.item(), rtol=1e-5)
        out.backward()
        out_t.backward()
        grads, grads_t = grad_of(xm), xt.grad.numpy()
        if ours is F.binary_cross_entropy:
            grads, grads_t = grads[1:], grads_t[1:]  # p = 0 / 1: both are ±1e12-ish, compare apart
        np.testing.assert_allclose(grads, grads_t, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Loss Modules and devices
# ----------------------------------------------------------------------------------------------


def test_loss_modules_pass_their_options():
    z = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -2.0]])
    logp = _log_softmax_np(z, 1)
    w = np.array([1.0, 2.0, 3.0])
    ce = nn.CrossEntropyLoss(weight=mg.tensor(w), reduction="sum", label_smoothing=0.1)
    assert ce(mg.tensor(z), mg.tensor([2, 1])).item() == pytest.approx(
        cross_entropy_np(z, np.array([2, 1]), w, reduction="sum", smoothing=0.1), rel=1e-13
    )
    nll = nn.NLLLoss(ignore_index=1)
    assert nll(mg.tensor(logp), mg.tensor([2, 1])).item() == pytest.approx(-logp[0, 2])
    mse = nn.MSELoss(reduction="sum")
    assert mse(mg.tensor([1.0, 3.0]), mg.tensor([0.0, 0.0])).item() == 10.0
    bce = nn.BCELoss(reduction="none")
    np.testing.assert_allclose(
        bce(mg.tensor([0.5, 0.25]), mg.tensor([1.0, 0.0])).numpy(),
        [math.log(2.0), -math.log(0.75)],
        rtol=1e-6,
    )
    bcel = nn.BCEWithLogitsLoss(weight=mg.tensor([2.0]))
    assert bcel(mg.tensor([0.0]), mg.tensor([1.0])).item() == pytest.approx(2 * math.log(2.0))


def test_losses_run_on_other_devices_and_agree_with_cpu(other_device):
    r = rng(7)
    z = r.standard_normal((3, 4, 2))
    y_idx = np.array([[0, 3], [-100, 1], [2, 2]])
    y_prob = r.random((3, 4, 2))
    p = r.uniform(0.0, 1.0, size=(3, 4))
    cases = [
        lambda x, d: F.cross_entropy(
            x,
            mg.tensor(y_idx, device=d),
            weight=mg.tensor(np.arange(1.0, 5.0), device=d),
            label_smoothing=0.1,
        ),
        lambda x, d: F.cross_entropy(x, mg.tensor(y_prob, device=d)),
        lambda x, d: F.nll_loss(x.log_softmax(axis=1), mg.tensor(y_idx, device=d)),
        lambda x, d: F.mse_loss(x, mg.tensor(y_prob, device=d)),
        lambda x, d: F.binary_cross_entropy(x[:, 0, :].sigmoid(), mg.tensor(p[:, :2], device=d)),
        lambda x, d: F.binary_cross_entropy_with_logits(x[:, :, 1], mg.tensor(p, device=d)),
    ]
    for make_loss in cases:
        results = []
        for d in ("cpu", other_device):
            x = leaf(z, device=d)
            loss = make_loss(x, d)
            assert loss.device == d
            loss.backward()
            results.append((loss.item(), grad_of(x)))
        assert results[1][0] == pytest.approx(results[0][0], rel=1e-12)
        np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12, atol=1e-15)


FLOAT32_LOSSES = {
    "mse": lambda x, r: F.mse_loss(x, mg.zeros(2, 3), reduction=r),
    "cross_entropy": lambda x, r: F.cross_entropy(
        x, mg.tensor([0, 2]), weight=mg.ones(3), label_smoothing=0.1, reduction=r
    ),
    "cross_entropy_probs": lambda x, r: F.cross_entropy(x, mg.full((2, 3), 1 / 3), reduction=r),
    "nll": lambda x, r: F.nll_loss(x.log_softmax(axis=1), mg.tensor([1, -100]), reduction=r),
    "bce": lambda x, r: F.binary_cross_entropy(
        x.sigmoid(), mg.ones(2, 3), weight=mg.ones(3), reduction=r
    ),
    "bce_logits": lambda x, r: F.binary_cross_entropy_with_logits(x, mg.zeros(2, 3), reduction=r),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_keep_float32(name, reduction):
    """No float64 sneaks in through NumPy scalars: loss and gradient stay float32."""
    x = mg.randn(2, 3, requires_grad=True)
    loss = FLOAT32_LOSSES[name](x, reduction)
    assert loss.dtype == mg.float32
    loss.sum().backward()
    assert x.grad.dtype == np.float32
