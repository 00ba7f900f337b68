"""Issue 13: agree with PyTorch under adversarial input.

Each test here is one case where minigrad used to give a silent wrong value (a NaN, a wrong
dtype, a missing gradient, a wrong learning rate) and now gives what PyTorch 2.13 gives: the
expected values are computed by torch itself, on the same numbers. Where minigrad deliberately
raises instead (docs/porting-from-pytorch.md says which and why), the test checks the error.
Skipped when torch is missing.
"""

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.optim import SGD, Adam, lr_scheduler

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def assert_same(ours, theirs, rtol=1e-12, atol=0.0):
    """minigrad Tensor vs torch tensor: same shape, same dtype name, same values (NaN == NaN,
    inf == inf of the same sign)."""
    theirs = theirs.detach()
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------------
# 1. pow at base 0: PyTorch's gradients are 0 where the formula reads 0 * inf
# --------------------------------------------------------------------------------------------

BASES = [0.0, 2.0, 0.5, 3.0, -2.0, 0.0, 0.0]


def test_pow_with_a_constant_exponent_has_torch_gradients_at_base_zero(device):
    """x ** 0 at x = 0: dz/dx = 0 * 0^(-1) = 0 * inf; PyTorch says 0 (z is constant in x)."""
    for exponent in [0.0, 1.0, 2.0, 3.0, 0.5, 1.5, -1.0, -0.5]:
        x = mg.tensor(BASES, dtype=mg.float64, device=device, requires_grad=True)
        tx = torch.tensor(BASES, dtype=torch.float64, requires_grad=True)
        z, tz = x**exponent, tx**exponent
        z.sum().backward()
        tz.sum().backward()
        assert_same(z.cpu(), tz)
        assert_same(x.grad.cpu(), tx.grad)


def test_pow_with_a_tensor_exponent_has_torch_gradients_at_base_zero(device):
    """d(a^b)/db = a^b ln a is 0 * (-inf) at a = 0; PyTorch says 0 for b >= 0 (0^b does not
    change with b) and keeps -inf * sign for b < 0. d/da at b = 0 is 0, as for a constant."""
    exponents = [2.0, 0.0, 0.5, 1.0, -1.0, -0.5, 1.5]
    bases = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0] + BASES
    exponents = exponents + [0.0, 2.0, -1.0, 0.5, 2.0, 3.0, 0.0]
    a = mg.tensor(bases, dtype=mg.float64, device=device, requires_grad=True)
    b = mg.tensor(exponents, dtype=mg.float64, device=device, requires_grad=True)
    ta = torch.tensor(bases, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(exponents, dtype=torch.float64, requires_grad=True)
    z, tz = a**b, ta**tb
    weights = np.linspace(0.5, 2.0, len(bases))
    (z * mg.tensor(weights, device=device)).sum().backward()
    (tz * torch.tensor(weights)).sum().backward()
    assert_same(z.cpu(), tz)
    assert_same(a.grad.cpu(), ta.grad)
    assert_same(b.grad.cpu(), tb.grad)


def test_one_adam_step_through_pow_at_zero_keeps_weights_finite():
    """The user-visible symptom: w ** p with w = 0 somewhere made every later step NaN."""
    w = mg.tensor([0.0, 1.0, 2.0], requires_grad=True)
    p = mg.tensor([2.0, 2.0, 2.0], requires_grad=True)
    opt = Adam([w, p], lr=0.1)
    (w**p).sum().backward()
    opt.step()
    assert np.isfinite(w.numpy()).all() and np.isfinite(p.numpy()).all()


# --------------------------------------------------------------------------------------------
# 2. cat / stack of mixed dtypes: PyTorch's type promotion, never the first tensor's dtype
# --------------------------------------------------------------------------------------------

# (dtypes, values): values chosen so that casting to the first dtype would corrupt them
PROMOTIONS = [
    (("bool", "int64"), ([True, False], [200, -1])),
    (("int64", "bool"), ([7, -3], [True, False])),
    (("uint8", "int32"), ([1, 255], [300, -5])),
    (("int32", "int64"), ([1, -2], [2**40, -(2**35)])),
    (("bool", "uint8"), ([True, False], [200, 3])),
    (("uint8", "bool", "int64"), ([250, 1], [True, False], [-7, 2**33])),
    (("bool", "float32"), ([True, False], [0.25, -1.5])),
    (("int64", "float16"), ([3, 70000], [0.5, 1.5])),
    (("uint8", "float64"), ([255, 0], [0.125, -2.0])),
]


@pytest.mark.parametrize("dtypes, values", PROMOTIONS, ids=lambda v: "-".join(map(str, v)))
def test_cat_and_stack_promote_mixed_dtypes_like_torch(device, dtypes, values):
    ours = [mg.tensor(v, dtype=getattr(mg, d), device=device) for d, v in zip(dtypes, values)]
    theirs = [torch.tensor(v, dtype=getattr(torch, d)) for d, v in zip(dtypes, values)]
    assert_same(mg.cat(ours).cpu(), torch.cat(theirs))
    assert_same(mg.stack(ours, dim=1).cpu(), torch.stack(theirs, dim=1))


def test_cat_of_two_float_dtypes_is_still_an_error():
    """The deliberate difference (docs/porting-from-pytorch.md): float32 with float64 is refused,
    in cat as in +. An integer among them does not hide it."""
    parts = [mg.zeros(2), mg.zeros(2, dtype=mg.int64), mg.zeros(2, dtype=mg.float64)]
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.cat(parts)
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.stack(parts)


def test_cat_gradient_after_promotion_reaches_the_float_input():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    y = mg.cat([mg.tensor([True, False]), x])
    ty = torch.cat([torch.tensor([True, False]), tx])
    (y * mg.arange(4.0)).sum().backward()
    (ty * torch.arange(4.0)).sum().backward()
    assert_same(y, ty)
    assert_same(x.grad, tx.grad)


# --------------------------------------------------------------------------------------------
# 3. float16 activations: computed in float32 and rounded once, as PyTorch does
# --------------------------------------------------------------------------------------------

HALF_INPUTS = np.array(
    [-60000, -100, -12, -8, -5, -3.5, -2, -1, -0.3, 0, 0.3, 1, 2, 3.5, 5, 8, 12, 100, 60000],
    dtype=np.float16,
)
HALF_GRAD = np.linspace(0.5, 1.5, HALF_INPUTS.size).astype(np.float16)
ONE_HALF_ULP = 2.0**-10  # relative spacing of float16 numbers: one rounding apart
SMALLEST_HALF = 2.0**-24  # the smallest float16 subnormal


def _half_case(ours_fn, theirs_fn, values, grad_out, atol=SMALLEST_HALF):
    x = mg.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    y, ty = ours_fn(x), theirs_fn(tx)
    y.backward(mg.tensor(grad_out))
    ty.backward(torch.tensor(grad_out))
    # One float16 rounding apart at most (minigrad's float32 erf and exp are not torch's).
    assert_same(y, ty, rtol=ONE_HALF_ULP, atol=atol)
    assert_same(x.grad, tx.grad, rtol=ONE_HALF_ULP, atol=atol)


# Exact GELU: both compute Phi(x) = (1 + erf(x / sqrt 2)) / 2 in float32, which cancels for
# x << 0: at x = -5, 1 + erf = 5.7e-7 is known to about the float32 spacing of 1 (6e-8) plus
# each erf's own error (minigrad's < 5e-7), times |x| / 2: the outputs near -1.4e-6 may differ
# by 2e-6 at most. Everywhere else the tolerance is one float16 rounding.
GELU_TAIL = 2e-6
HALF_ACTIVATIONS = {
    "gelu": (lambda x: F.gelu(x), lambda t: TF.gelu(t), GELU_TAIL),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda t: TF.gelu(t, approximate="tanh"),
        SMALLEST_HALF,
    ),
    "sigmoid": (mg.sigmoid, torch.sigmoid, SMALLEST_HALF),
}


@pytest.mark.parametrize("name", sorted(HALF_ACTIVATIONS))
def test_float16_activations_match_torch(name):
    ours_fn, theirs_fn, atol = HALF_ACTIVATIONS[name]
    _half_case(ours_fn, theirs_fn, HALF_INPUTS, HALF_GRAD, atol)


def _long_half_rows():
    r = np.random.default_rng(0)
    logits = (r.standard_normal((3, 4096)) * 3).astype(np.float16)
    grad_out = r.standard_normal((3, 4096)).astype(np.float16)
    return logits, grad_out


def test_float16_softmax_matches_torch():
    """A long row of moderate logits: a float16 sum of its exponentials loses the small terms
    (and past 65504 overflows); PyTorch sums in float32."""
    logits, grad_out = _long_half_rows()
    _half_case(lambda x: mg.softmax(x, dim=1), lambda t: torch.softmax(t, dim=1), logits, grad_out)


def test_float16_log_softmax_matches_torch():
    """As above. The gradient g - softmax * Σg cancels: a one-rounding difference in the
    output y (PyTorch rounds its log Σ e^x to float16 first, minigrad does not) moves
    softmax = e^y by |Δy| relative, so the bound is |softmax · Σg| · spacing(y), plus one
    rounding of the result."""
    logits, grad_out = _long_half_rows()
    x, tx = mg.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    y, ty = mg.log_softmax(x, dim=1), torch.log_softmax(tx, dim=1)
    y.backward(mg.tensor(grad_out))
    ty.backward(torch.tensor(grad_out))
    assert_same(y, ty, rtol=ONE_HALF_ULP, atol=SMALLEST_HALF)
    theirs_y, theirs_grad = ty.detach().numpy(), tx.grad.numpy()
    p_times_sum = np.exp(theirs_y.astype(np.float64)) * grad_out.astype(np.float64).sum(1)[:, None]
    bound = np.abs(p_times_sum) * np.spacing(np.abs(theirs_y)) + np.spacing(np.abs(theirs_grad))
    assert x.grad.dtype == mg.float16
    assert np.all(np.abs(x.grad.numpy().astype(np.float64) - theirs_grad) <= bound)


def test_float16_softmax_of_a_row_longer_than_the_float16_range():
    """70000 equal logits: each probability is 1/70000 (a float16 subnormal), not 0."""
    zeros = np.zeros((1, 70000), dtype=np.float16)
    assert_same(mg.softmax(mg.tensor(zeros), dim=1), torch.softmax(torch.tensor(zeros), dim=1))


# --------------------------------------------------------------------------------------------
# 4. cross_entropy / nll_loss with every target ignored (a padding-only batch)
# --------------------------------------------------------------------------------------------

ALL_IGNORED = [
    ("cross_entropy", {}),
    ("cross_entropy", {"reduction": "sum"}),
    ("cross_entropy", {"weight": True}),
    ("cross_entropy", {"label_smoothing": 0.1}),
    ("cross_entropy", {"weight": True, "label_smoothing": 0.2}),
    ("cross_entropy", {"spatial": True}),
    ("nll_loss", {}),
    ("nll_loss", {"weight": True}),
    ("nll_loss", {"reduction": "sum"}),
]


@pytest.mark.parametrize("name, options", ALL_IGNORED, ids=str)
def test_all_targets_ignored_gives_torch_loss_and_zero_gradients(device, name, options):
    """PyTorch: 'mean' is 0/0 = nan (the loss of nothing), but the gradient is 0: no row
    contributes. minigrad used to send inf into the ignored rows (1/0 times 0 = nan)."""
    r = np.random.default_rng(1)
    shape = (2, 4, 3) if options.get("spatial") else (5, 4)
    z = r.standard_normal(shape)
    if name == "nll_loss":
        z = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    target = np.full((shape[0],) + shape[2:], -100)
    kwargs = {"reduction": options.get("reduction", "mean")}
    if "label_smoothing" in options:
        kwargs["label_smoothing"] = options["label_smoothing"]
    weight = np.array([0.5, 2.0, 1.0, 3.0]) if options.get("weight") else None

    x = mg.tensor(z, dtype=mg.float64, device=device, requires_grad=True)
    tx = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    loss = getattr(F, name)(
        x,
        mg.tensor(target, device=device),
        weight=None if weight is None else mg.tensor(weight, dtype=mg.float64, device=device),
        **kwargs,
    )
    tloss = getattr(TF, name)(
        tx, torch.tensor(target), weight=None if weight is None else torch.tensor(weight), **kwargs
    )
    loss.backward()
    tloss.backward()
    assert_same(loss.cpu(), tloss)
    assert_same(x.grad.cpu(), tx.grad)
    assert not tx.grad.abs().sum()  # the point: PyTorch's gradient is exactly zero


def test_padding_only_batch_leaves_weights_finite_after_adam():
    """The symptom of the bug: one padding-only batch, one Adam step, every weight NaN."""
    model = mg.nn.Linear(3, 4)
    opt = Adam(model.parameters(), lr=1e-3)
    loss = F.cross_entropy(model(mg.randn(6, 3)), mg.full((6,), -100, dtype=mg.int64))
    assert math.isnan(loss.item())  # as PyTorch: the mean over no targets
    loss.backward()
    opt.step()
    for p in model.parameters():
        assert np.isfinite(p.numpy()).all()


def test_partly_ignored_batch_still_matches_torch():
    """The fix must not change the ordinary case: some rows ignored, others not."""
    r = np.random.default_rng(2)
    z, target = r.standard_normal((6, 4)), np.array([1, -100, 3, -100, 0, 2])
    weight = np.array([0.5, 2.0, 1.0, 3.0])
    for kwargs in [{}, {"weight": weight}, {"label_smoothing": 0.1}]:
        x = mg.tensor(z, dtype=mg.float64, requires_grad=True)
        tx = torch.tensor(z, requires_grad=True)
        ours = {k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        theirs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        loss = F.cross_entropy(x, mg.tensor(target), **ours)
        tloss = TF.cross_entropy(tx, torch.tensor(target), **theirs)
        loss.backward()
        tloss.backward()
        assert_same(loss, tloss, rtol=1e-12)
        assert_same(x.grad, tx.grad, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------------------
# 5. binary_cross_entropy with a NaN probability or a target outside [0, 1]
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "p, y, what",
    [
        ([0.3, float("nan"), 0.6], [1.0, 0.0, 1.0], "input"),
        ([0.3, 0.5, 0.6], [1.0, float("nan"), 1.0], "target"),
    ],
)
def test_binary_cross_entropy_refuses_nan_like_torch(p, y, what):
    """PyTorch raises 'all elements of {input,target} should be between 0 and 1'; minigrad
    used to return a finite loss for a NaN probability (its log was clamped to -100).
    (A target outside [0, 1] stays allowed: docs/porting-from-pytorch.md says why.)"""
    with pytest.raises(RuntimeError, match=f"{what} should be between 0 and 1"):
        TF.binary_cross_entropy(torch.tensor(p), torch.tensor(y))
    with pytest.raises(ValueError, match=f"{what} must hold"):
        F.binary_cross_entropy(mg.tensor(p), mg.tensor(y))


# --------------------------------------------------------------------------------------------
# 6. learning-rate schedulers: chained on one optimizer, as PyTorch's chainable form
# --------------------------------------------------------------------------------------------

SCHEDULES = {
    "StepLR": {"step_size": 3, "gamma": 0.5},
    "ExponentialLR": {"gamma": 0.9},
    "CosineAnnealingLR": {"T_max": 7, "eta_min": 0.001},
    "CosineAnnealingLR-no-eta": {"T_max": 5},
    "LinearLR": {"start_factor": 0.1, "total_iters": 6},
    "LinearLR-decay": {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 4},
    "LambdaLR": {"lr_lambda": lambda epoch: 0.97**epoch},
}
CHAINS = [
    ("StepLR", "ExponentialLR"),
    ("ExponentialLR", "StepLR"),
    ("LinearLR", "CosineAnnealingLR"),
    ("LinearLR", "StepLR"),
    ("CosineAnnealingLR", "ExponentialLR"),
    ("CosineAnnealingLR-no-eta", "LinearLR-decay"),
    ("LinearLR", "ExponentialLR", "CosineAnnealingLR"),
    ("LambdaLR", "StepLR"),
    ("StepLR", "LambdaLR"),
    ("StepLR",),
    ("ExponentialLR",),
    ("CosineAnnealingLR",),
    ("CosineAnnealingLR-no-eta",),
    ("LinearLR",),
    ("LinearLR-decay",),
    ("LambdaLR",),
]


def _two_group_optimizers():
    ours = SGD(
        [
            {"params": [mg.zeros(2, requires_grad=True)]},
            {"params": [mg.zeros(1, requires_grad=True)], "lr": 0.5},
        ],
        lr=0.1,
    )
    theirs = torch.optim.SGD(
        [
            {"params": [torch.zeros(2, requires_grad=True)]},
            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5},
        ],
        lr=0.1,
    )
    return ours, theirs


@pytest.mark.parametrize("chain", CHAINS, ids="+".join)
def test_chained_schedulers_give_torch_rates(chain):
    """Each scheduler multiplies the group's current lr by its own ratio (PyTorch's chainable
    form), so two schedulers stepped each epoch compose; alone, each gives its closed form.
    Written in PyTorch's order of operations, the rates are equal to the last bit."""
    ours_opt, theirs_opt = _two_group_optimizers()
    ours, theirs = [], []
    for key in chain:
        name = key.split("-")[0]
        ours.append(getattr(lr_scheduler, name)(ours_opt, **SCHEDULES[key]))
        theirs.append(getattr(torch.optim.lr_scheduler, name)(theirs_opt, **SCHEDULES[key]))
    for epoch in range(40):  # past every T_max and total_iters, through a cosine restart
        expected = [group["lr"] for group in theirs_opt.param_groups]
        got = [group["lr"] for group in ours_opt.param_groups]
        assert got == expected, f"epoch {epoch}"
        for a, b in zip(ours, theirs):
            assert a.get_last_lr() == b.get_last_lr()
        ours_opt.step()
        theirs_opt.step()
        for a, b in zip(ours, theirs):
            a.step()
            b.step()


# --------------------------------------------------------------------------------------------
# 7. masked_fill with a 0-d tensor value that requires grad
# --------------------------------------------------------------------------------------------


def test_masked_fill_value_tensor_gets_the_sum_of_the_filled_gradients(device):
    x0 = np.arange(6.0).reshape(2, 3)
    mask = np.array([True, False, True])  # broadcast over the rows
    g = np.arange(1.0, 7.0).reshape(2, 3)
    x = mg.tensor(x0, dtype=mg.float64, device=device, requires_grad=True)
    v = mg.tensor(-2.5, dtype=mg.float64, device=device, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)
    tv = torch.tensor(-2.5, dtype=torch.float64, requires_grad=True)
    y = x.masked_fill(mg.tensor(mask, device=device), v)
    ty = tx.masked_fill(torch.tensor(mask), tv)
    (y * mg.tensor(g, device=device)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    assert_same(y.cpu(), ty)
    assert_same(x.grad.cpu(), tx.grad)
    assert_same(v.grad.cpu(), tv.grad)  # 1 + 3 + 4 + 6 = 14


def test_masked_fill_value_tensor_must_be_0d_like_torch():
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        torch.zeros(3).masked_fill(torch.tensor([True, False, True]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="0-dimensional"):
        mg.zeros(3).masked_fill(mg.tensor([True, False, True]), mg.tensor([1.0]))
    # PyTorch casts a float64 value into a float32 tensor; minigrad's float rule refuses it
    # (docs/porting-from-pytorch.md). Integer values take the tensor's dtype, as in PyTorch.
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.zeros(3).masked_fill(mg.tensor([True, False, True]), mg.tensor(1.0, dtype=mg.float64))
    filled = mg.zeros(3).masked_fill(mg.tensor([True, False, True]), mg.tensor(7))
    assert_same(
        filled, torch.zeros(3).masked_fill(torch.tensor([True, False, True]), torch.tensor(7))
    )


# --------------------------------------------------------------------------------------------
# 8. softmax / log_softmax / logsumexp over an axis of length 0
# --------------------------------------------------------------------------------------------

EMPTY = [
    ("softmax", (3, 0), {"dim": -1}),
    ("softmax", (0,), {"dim": 0}),
    ("log_softmax", (3, 0), {"dim": 1}),
    ("log_softmax", (0, 2, 0), {"dim": 0}),
    ("logsumexp", (3, 0), {"dim": -1}),
    ("logsumexp", (3, 0), {"dim": 1, "keepdim": True}),
    ("logsumexp", (0, 4), {"dim": 0}),
    ("logsumexp", (0,), {"dim": 0}),
    ("logsumexp", (2, 0, 3), {"dim": (1, 2)}),
]


@pytest.mark.parametrize("name, shape, kwargs", EMPTY, ids=str)
def test_softmax_family_over_an_empty_axis_matches_torch(device, name, shape, kwargs):
    """PyTorch: an empty result for softmax / log_softmax, -inf (the log of an empty sum) for
    logsumexp, and a gradient of the input's (empty) shape. NumPy's max of nothing raised."""
    x = mg.zeros(shape, device=device, requires_grad=True)
    tx = torch.zeros(shape, requires_grad=True)
    y = getattr(mg, name)(x, **kwargs)
    ty = getattr(torch, name)(tx, **kwargs)
    y.sum().backward()
    ty.sum().backward()
    assert_same(y.cpu(), ty)
    assert_same(x.grad.cpu(), tx.grad)
