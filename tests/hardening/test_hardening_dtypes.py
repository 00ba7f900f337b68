"""Dtype and device discipline.

NumPy silently promotes float32 to float64 as soon as a float64 array or NumPy float64 scalar
takes part. In a deep-learning framework that doubles memory and hides bugs, so minigrad keeps
float32 float32 -- through every op of the registry, every layer and loss, and every optimizer
step (weights, gradients and optimizer state) -- and float64 float64, also when hyperparameters
arrive as Python floats or NumPy float64 scalars. Integer and boolean tensors cannot require
grad, and tensors on different devices never meet silently.
"""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.ops.inplace import IndexPut
from minigrad.ops.views import View, ViewUpdate

FLOATS = [mg.float32, mg.float64]
HYPER = {"python": float, "numpy64": np.float64}


def _other(dtype):
    return mg.float64 if dtype == mg.float32 else mg.float32


# Every op of the registry, called in the ways a program calls it: with a second tensor of the
# same dtype (y) and with a scalar s (a Python float or a NumPy float64). x, y > 0, s in [0.5, 2].
def _transpose(a):
    return a.T


def _first_column(a):
    return a[:, :1]


def _zeros_int(x):
    return mg.zeros(x.shape[0], dtype=mg.int64, device=x.device)


def _put_through_setitem(x, y, s):
    out = x * 1.0
    out[0] = y[0] * s  # the in-place path records an IndexPut
    return out


OP_CALLS = {
    "add": [lambda x, y, s: x + y, lambda x, y, s: x + s, lambda x, y, s: s + x],
    "sub": [lambda x, y, s: x - y, lambda x, y, s: x - s, lambda x, y, s: s - x],
    "mul": [lambda x, y, s: x * y, lambda x, y, s: x * s, lambda x, y, s: s * x],
    "div": [lambda x, y, s: x / y, lambda x, y, s: x / s, lambda x, y, s: s / x],
    "pow": [lambda x, y, s: x**y, lambda x, y, s: x**s, lambda x, y, s: s**x],
    "neg": [lambda x, y, s: -x],
    "maximum": [lambda x, y, s: mg.maximum(x, y), lambda x, y, s: mg.maximum(x, s)],
    "minimum": [lambda x, y, s: mg.minimum(x, y), lambda x, y, s: mg.minimum(s, x)],
    "exp": [lambda x, y, s: x.exp()],
    "log": [lambda x, y, s: x.log()],
    "sqrt": [lambda x, y, s: x.sqrt()],
    "abs": [lambda x, y, s: (x - s).abs()],
    "tanh": [lambda x, y, s: x.tanh()],
    "sigmoid": [lambda x, y, s: x.sigmoid()],
    "relu": [lambda x, y, s: (x - s).relu()],
    "leaky_relu": [lambda x, y, s: F.leaky_relu(x - s, 0.2)],
    "gelu": [lambda x, y, s: x.gelu(), lambda x, y, s: x.gelu("tanh")],
    "clip": [lambda x, y, s: x.clip(s, None), lambda x, y, s: x.clip(0.25, s)],
    "sum": [lambda x, y, s: x.sum(), lambda x, y, s: x.sum(1, keepdims=True)],
    "mean": [lambda x, y, s: x.mean(), lambda x, y, s: x.mean(0)],
    "var": [lambda x, y, s: x.var(), lambda x, y, s: x.var(0, correction=0)],
    "std": [lambda x, y, s: x.std(), lambda x, y, s: x.std(1, correction=0, keepdims=True)],
    "max": [lambda x, y, s: x.max(1).values, lambda x, y, s: (x * s).max(0, keepdim=True)[0]],
    "min": [lambda x, y, s: x.min(1).values, lambda x, y, s: (x * s).min(0, keepdim=True)[0]],
    "amax": [lambda x, y, s: x.max(), lambda x, y, s: x.amax(1), lambda x, y, s: (x * s).amax()],
    "amin": [lambda x, y, s: x.min(), lambda x, y, s: x.amin(0, keepdim=True)],
    "remainder": [lambda x, y, s: x % y, lambda x, y, s: x % s, lambda x, y, s: s % x],
    "softmax": [lambda x, y, s: x.softmax(-1), lambda x, y, s: x.softmax(0)],
    "log_softmax": [lambda x, y, s: x.log_softmax(-1)],
    "logsumexp": [lambda x, y, s: x.logsumexp(), lambda x, y, s: x.logsumexp(1)],
    "reshape": [lambda x, y, s: x.reshape(-1), lambda x, y, s: x.flatten().unsqueeze(0)],
    "permute": [lambda x, y, s: x.T, lambda x, y, s: x.permute(1, 0)],
    "broadcast_to": [
        lambda x, y, s: x.broadcast_to((2, *x.shape)),
        lambda x, y, s: x[:1].expand(3, -1),
    ],
    "getitem": [
        lambda x, y, s: x[0],
        lambda x, y, s: x[[0, 0, 1]],
        lambda x, y, s: x[x > s],
        lambda x, y, s: x[mg.tensor([1, 0])],
    ],
    "concat": [lambda x, y, s: mg.concat([x, y], axis=1)],
    "stack": [lambda x, y, s: mg.stack([x, y])],
    "where": [
        lambda x, y, s: mg.where(x > y, x, y),
        lambda x, y, s: mg.where(x > s, x, s),
        lambda x, y, s: mg.where(x > s, s, y),
    ],
    "masked_fill": [
        lambda x, y, s: x.masked_fill(x > s, s),
        lambda x, y, s: x.masked_fill(x > 1.0, float("-inf")).softmax(-1),
    ],
    "matmul": [lambda x, y, s: x @ y.T, lambda x, y, s: x[0] @ y[0], lambda x, y, s: x.T @ y],
    "cast": [lambda x, y, s: (x.astype(_other(x.dtype)) * 2.0).astype(x.dtype)],
    "to_device": [lambda x, y, s: (x.to("strict") * s).to("cpu")],
    "clone": [lambda x, y, s: x.clone() * s],
    "view": [lambda x, y, s: View.apply(x, _transpose) * s],
    "view_update": [lambda x, y, s: ViewUpdate.apply(x, y[:, :1] * s, _first_column)],
    "index_put": [lambda x, y, s: IndexPut.apply(x, y[0] * s, (0,)), _put_through_setitem],
    "linear": [lambda x, y, s: F.linear(x, y) * s],
    "layer_norm": [lambda x, y, s: F.layer_norm(x, (x.shape[-1],), y[0], y[1], eps=s * 1e-5)],
    "cross_entropy": [lambda x, y, s: F.cross_entropy(x * s, _zeros_int(x))],
    "cross_entropy_probs": [
        lambda x, y, s: F.cross_entropy(x, y.softmax(-1), label_smoothing=s / 10)
    ],
    "nll_loss": [lambda x, y, s: F.nll_loss(x.log_softmax(1) * s, _zeros_int(x))],
    "binary_cross_entropy": [lambda x, y, s: F.binary_cross_entropy(x / 3, y / 3) * s],
    "binary_cross_entropy_with_logits": [
        lambda x, y, s: F.binary_cross_entropy_with_logits(x * s, y / 2)
    ],
    "scaled_dot_product_attention": [
        lambda x, y, s: F.scaled_dot_product_attention(x, y, y, scale=s)
    ],
    # Convolutional networks (ops/conv.py, ops/pooling.py, ops/normalization_batch.py)
    "conv1d": [lambda x, y, s: F.conv1d(x[None], y[None, :, :1], padding=1) * s],
    "conv2d": [lambda x, y, s: F.conv2d(x[None, None] * s, y[None, None], padding=1)],
    "max_pool1d": [lambda x, y, s: F.max_pool1d(x[None] * s, 2, 1)],
    "max_pool2d": [lambda x, y, s: F.max_pool2d(x[None, None] * s, 2, 1)],
    "avg_pool1d": [lambda x, y, s: F.avg_pool1d(x[None] * s, 2, 1, padding=1)],
    "avg_pool2d": [lambda x, y, s: F.avg_pool2d(x[None, None] * s, 2, 1)],
    "adaptive_avg_pool1d": [lambda x, y, s: F.adaptive_avg_pool1d(x[None] * s, 3)],
    "adaptive_avg_pool2d": [lambda x, y, s: F.adaptive_avg_pool2d(x[None, None] * s, (3, 2))],
    "batch_norm": [
        lambda x, y, s: F.batch_norm(x * s, None, None, y[0], y[1], True),
        lambda x, y, s: F.batch_norm(x, y[0].detach() * s, y[1].detach(), y[0]),
    ],
    # Padding (ops/padding.py)
    "pad": [lambda x, y, s: F.pad(x, (1, 2, 0, -1), value=s)],
}

# Sorting, scans, indexing along a dim, matrix ops, moving elements, more elementwise functions
# (ops/sorting.py, scan.py, indexing.py, linalg.py, movement.py, unary.py)


def _index(like, *rows):
    return mg.tensor(list(rows), dtype=mg.int64, device=like.device)


OP_CALLS.update(
    {
        "sort": [lambda x, y, s: x.sort(1).values * s, lambda x, y, s: x.sort(0, True).values],
        "topk": [lambda x, y, s: x.topk(1, dim=0).values * s],
        "kthvalue": [lambda x, y, s: x.kthvalue(2, 1, keepdim=True).values * s],
        "cumsum": [lambda x, y, s: x.cumsum(0) * s],
        "cumprod": [lambda x, y, s: (x * s).cumprod(1)],
        "gather": [lambda x, y, s: x.gather(0, _index(x, [1], [0])) * s],
        "scatter": [
            lambda x, y, s: x.scatter(1, _index(x, [0]), y[:1, :1] * s),
            lambda x, y, s: x.scatter(1, _index(x, [0]), s),
        ],
        "scatter_add": [lambda x, y, s: x.scatter_add(0, _index(x, [1, 1]), y[:1, :2] * s)],
        "index_select": [lambda x, y, s: x.index_select(1, _index(x, 1, 0, 1)) * s],
        "masked_select": [lambda x, y, s: x.masked_select(x > s)],
        "tril": [lambda x, y, s: x.tril() * s],
        "triu": [lambda x, y, s: x.triu(1) * s],
        "diag": [lambda x, y, s: x.diag() * s, lambda x, y, s: (x[0] * s).diag(1)],
        "outer": [lambda x, y, s: x[0].outer(y[0]) * s],
        "norm": [lambda x, y, s: x.norm() * s, lambda x, y, s: x.norm(s, dim=1)],
        "einsum": [lambda x, y, s: mg.einsum("ij,kj->ik", x, y) * s],
        "flip": [lambda x, y, s: x.flip(0) * s],
        "roll": [lambda x, y, s: x.roll(1, 1) * s],
        "repeat": [lambda x, y, s: x.repeat(2, 1) * s, lambda x, y, s: x.tile((2,))],
        "log2": [lambda x, y, s: x.log2() * s],
        "log10": [lambda x, y, s: x.log10() * s],
        "exp2": [lambda x, y, s: (x * s).exp2()],
        "log1p": [lambda x, y, s: x.log1p() * s],
        "expm1": [lambda x, y, s: (x * s).expm1()],
        "sin": [lambda x, y, s: (x * s).sin()],
        "cos": [lambda x, y, s: (x * s).cos()],
        "tan": [lambda x, y, s: (x / 2).tan() * s],
        "sign": [lambda x, y, s: (x - s).sign()],
        "floor": [lambda x, y, s: (x * s).floor()],
        "ceil": [lambda x, y, s: (x * s).ceil()],
        "round": [lambda x, y, s: (x * s).round(), lambda x, y, s: x.round(decimals=1) * s],
        "trunc": [lambda x, y, s: (x * s).trunc()],
    }
)


def test_op_table_covers_the_registry():
    """A new op in minigrad.ops.REGISTRY must be added to the dtype property below."""
    assert set(OP_CALLS) == set(mg.ops.REGISTRY)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(OP_CALLS))
@given(data=st.data())
def test_every_op_keeps_its_float_dtype(op, dtype, data):
    """Outputs and gradients of every op stay in the inputs' float dtype, with Python float
    and NumPy float64 scalars alike."""
    shape = data.draw(st.sampled_from([(2, 3), (3, 3), (2, 2)]))
    values = hnp.arrays(np.float64, shape, elements=st.floats(0.5, 2.0))
    x = mg.tensor(data.draw(values), dtype=dtype, requires_grad=True)
    y = mg.tensor(data.draw(values), dtype=dtype, requires_grad=True)
    s = HYPER[data.draw(st.sampled_from(sorted(HYPER)))](data.draw(st.floats(0.5, 2.0)))
    for call in OP_CALLS[op]:
        x.grad = y.grad = None
        out = call(x, y, s)
        assert out.dtype == dtype, f"{op}: output is {out.dtype}"
        out.backward(mg.ones_like(out))
        for name, leaf in (("x", x), ("y", y)):
            assert leaf.grad is None or leaf.grad.dtype == dtype, f"{op}: grad of {name}"


def test_clip_with_numpy_float64_bounds():
    """x.clip(np.float64(0), 1.0) on float32 stays float32, like x + np.float64(1) does.
    (Regression: xp.clip promoted the result to float64 (NEP 50) and backward then failed.)"""
    x = mg.tensor([-0.5, 0.5, 1.5], requires_grad=True)
    out = x.clip(np.float64(0.0), 1.0)
    assert out.dtype == mg.float32
    out.sum().backward()
    assert x.grad.dtype == mg.float32


# ----------------------------------------------------------------------------------------------
# Layers and losses
# ----------------------------------------------------------------------------------------------


def _layers(dtype, h):
    """(name, module, input) for every layer, hyperparameters given as h(value)."""
    x = mg.randn(2, 4, dtype=dtype)
    seq = mg.randn(2, 3, 4, dtype=dtype)
    layers = [
        ("Linear", nn.Linear(4, 3, dtype=dtype), x),
        ("Linear(bias=False)", nn.Linear(4, 3, bias=False, dtype=dtype), x),
        ("Identity", nn.Identity(), x),
        ("Flatten", nn.Flatten(), seq),
        ("Embedding", nn.Embedding(10, 4, padding_idx=0, dtype=dtype), mg.tensor([[0, 3, 3]])),
        ("Dropout", nn.Dropout(h(0.3)), x),
        ("LayerNorm", nn.LayerNorm(4, eps=h(1e-5), dtype=dtype), seq),
        ("ReLU", nn.ReLU(), x),
        ("Sigmoid", nn.Sigmoid(), x),
        ("Tanh", nn.Tanh(), x),
        ("GELU", nn.GELU("tanh"), x),
        ("Softmax", nn.Softmax(dim=-1), x),
        ("LogSoftmax", nn.LogSoftmax(dim=1), x),
        ("LSTMCell", nn.LSTMCell(4, 3, dtype=dtype), x),
        ("LSTM", nn.LSTM(4, 3, num_layers=2, dropout=h(0.2), dtype=dtype), seq),
        (
            "Sequential",
            nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.GELU(), nn.Linear(8, 2, dtype=dtype)),
            x,
        ),
    ]
    # The Transformer layers take no dtype argument: they are built, then cast with .to(dtype).
    layers += [
        ("MultiHeadAttention", nn.MultiHeadAttention(4, 2, dropout=h(0.1)).to(dtype), seq),
        ("FeedForward", nn.FeedForward(4, 8, dropout=h(0.1), activation="gelu").to(dtype), seq),
        (
            "TransformerBlock",
            nn.TransformerBlock(4, 2, 8, dropout=h(0.1), causal=True).to(dtype),
            seq,
        ),
        ("PositionalEmbedding", nn.PositionalEmbedding(5, 4).to(dtype), seq),
        ("SinusoidalPositionalEncoding", nn.SinusoidalPositionalEncoding(4, max_len=8), seq),
    ]
    return layers


def _outputs(result):
    if isinstance(result, mg.Tensor):
        return [result]
    return [t for item in result for t in _outputs(item)] if isinstance(result, tuple) else []


@pytest.mark.parametrize("hyper", sorted(HYPER))
@pytest.mark.parametrize("dtype", FLOATS)
def test_every_layer_keeps_its_float_dtype(dtype, hyper):
    """Every layer's outputs, its parameters' gradients and the input's gradient keep the
    dtype the layer was built with (training mode, so dropout is active)."""
    for name, layer, x in _layers(dtype, HYPER[hyper]):
        layer.train()
        if x.dtype.kind == "f":
            x = x.detach().requires_grad_()
        outputs = _outputs(layer(x))
        assert outputs and all(o.dtype == dtype for o in outputs), name
        total = sum((o.sum() for o in outputs), mg.tensor(0.0, dtype=dtype))
        total.backward()
        for pname, p in layer.named_parameters():
            assert p.dtype == dtype and (p.grad is None or p.grad.dtype == dtype), (name, pname)
        assert x.grad is None or x.grad.dtype == dtype, name


def _losses(dtype, h):
    z = mg.randn(4, 3, dtype=dtype)
    y = mg.tensor([0, 2, 1, 2])
    probs = mg.randn(4, 3, dtype=dtype).softmax(-1)
    p = mg.rand(4, 3, dtype=dtype) * 0.8 + 0.1
    hard = (mg.rand(4, 3, dtype=dtype) > 0.5).astype(dtype)
    weight = mg.tensor([1.0, 2.0, 0.5], dtype=dtype)
    return [
        ("MSELoss", nn.MSELoss(), z, mg.randn(4, 3, dtype=dtype)),
        ("MSELoss(numpy target)", nn.MSELoss(reduction="sum"), z, np.ones((4, 3))),
        ("CrossEntropyLoss", nn.CrossEntropyLoss(), z, y),
        (
            "CrossEntropyLoss(options)",
            nn.CrossEntropyLoss(weight=weight, label_smoothing=h(0.1), ignore_index=1),
            z,
            y,
        ),
        ("CrossEntropyLoss(probs)", nn.CrossEntropyLoss(label_smoothing=h(0.2)), z, probs),
        ("CrossEntropyLoss(none)", nn.CrossEntropyLoss(reduction="none"), z, y),
        ("NLLLoss", nn.NLLLoss(weight=weight), z.log_softmax(-1), y),
        ("BCELoss", nn.BCELoss(weight=weight), p, hard),
        ("BCELoss(int target)", nn.BCELoss(), p, hard.long()),
        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(weight=weight), z, hard),
    ]


@pytest.mark.parametrize("hyper", sorted(HYPER))
@pytest.mark.parametrize("dtype", FLOATS)
def test_every_loss_keeps_its_float_dtype(dtype, hyper):
    """Every loss is computed in the input's dtype and sends a gradient of that dtype, also
    for NumPy float64 targets and options such as label_smoothing=np.float64(0.1)."""
    for name, loss_fn, z, target in _losses(dtype, HYPER[hyper]):
        z = z.detach().requires_grad_()
        loss = loss_fn(z, target)
        assert loss.dtype == dtype, name
        loss.sum().backward()
        assert z.grad.dtype == dtype, name


def test_label_smoothing_as_a_numpy_float64():
    """Regression: cross_entropy(..., label_smoothing=np.float64(0.1)) on float32 logits used
    to fail with 'div: dtype mismatch' from deep inside; it equals the Python-float result."""
    z = mg.randn(3, 4)
    y = mg.tensor([0, 3, 1])
    a = F.cross_entropy(z, y, label_smoothing=np.float64(0.1))
    b = F.cross_entropy(z, y, label_smoothing=0.1)
    assert a.dtype == mg.float32 and a.item() == b.item()


# ----------------------------------------------------------------------------------------------
# Optimizers
# ----------------------------------------------------------------------------------------------

OPTIMIZERS = {
    "SGD": lambda ps, h: mg.optim.SGD(
        ps, lr=h(0.1), momentum=h(0.9), weight_decay=h(0.01), nesterov=True
    ),
    "SGD(dampening)": lambda ps, h: mg.optim.SGD(
        ps, lr=h(0.1), momentum=h(0.5), dampening=h(0.1), maximize=True
    ),
    "Adam": lambda ps, h: mg.optim.Adam(
        ps, lr=h(0.01), betas=(h(0.8), h(0.99)), eps=h(1e-8), weight_decay=h(0.1), amsgrad=True
    ),
    "AdamW": lambda ps, h: mg.optim.AdamW(
        ps, lr=h(0.01), betas=np.array([0.9, 0.999]), weight_decay=h(0.05)
    ),
    "RMSprop": lambda ps, h: mg.optim.RMSprop(
        ps, lr=h(0.01), alpha=h(0.9), momentum=h(0.5), centered=True, weight_decay=h(0.1)
    ),
}

SCHEDULERS = [
    lambda opt, h: mg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=h(0.5)),
    lambda opt, h: mg.optim.lr_scheduler.ExponentialLR(opt, gamma=h(0.9)),
    lambda opt, h: mg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=h(1e-4)),
    lambda opt, h: mg.optim.lr_scheduler.LinearLR(opt, start_factor=h(0.5), total_iters=3),
    lambda opt, h: mg.optim.lr_scheduler.LambdaLR(opt, lambda epoch: np.float64(0.95) ** epoch),
]


def _float_arrays(optimizer):
    return [
        v
        for state in optimizer.state.values()
        for v in state.values()
        if hasattr(v, "dtype") and getattr(v, "ndim", 0) > 0
    ]


@pytest.mark.parametrize("hyper", sorted(HYPER))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_keep_weights_grads_and_state_in_dtype(name, dtype, hyper):
    """Steps with every scheduler and gradient clipping (hyperparameters as Python or NumPy
    float64 numbers) keep weights, gradients and every state buffer in the model's dtype, also
    after a state_dict round trip through minigrad.save / minigrad.load."""
    h = HYPER[hyper]
    model = nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.Tanh(), nn.Linear(4, 1, dtype=dtype))
    optimizer = OPTIMIZERS[name](model.parameters(), h)
    schedulers = [make(optimizer, h) for make in SCHEDULERS]
    x, y = mg.randn(8, 3, dtype=dtype), mg.randn(8, 1, dtype=dtype)
    for _ in range(4):
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), h(0.5))
        nn.utils.clip_grad_value_(model.parameters(), h(0.3))
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    for p in model.parameters():
        assert p.dtype == dtype and p.grad.dtype == dtype
    arrays = _float_arrays(optimizer)
    assert arrays and all(a.dtype == dtype for a in arrays)

    restored = OPTIMIZERS[name](model.parameters(), h)
    restored.load_state_dict(optimizer.state_dict())
    assert all(a.dtype == dtype for a in _float_arrays(restored))


def test_optimizer_state_survives_a_checkpoint_in_float32(tmp_path):
    """A float32 model's Adam state saved to disk and loaded back is still float32."""
    model = nn.Linear(3, 2)
    optimizer = mg.optim.Adam(model.parameters())
    model(mg.randn(2, 3)).sum().backward()
    optimizer.step()
    mg.save({"optimizer": optimizer.state_dict()}, tmp_path / "ckpt.npz")
    restored = mg.optim.Adam(model.parameters())
    restored.load_state_dict(mg.load(tmp_path / "ckpt.npz")["optimizer"])
    arrays = _float_arrays(restored)
    assert arrays and all(a.dtype == mg.float32 for a in arrays)


# ----------------------------------------------------------------------------------------------
# Integer and boolean tensors cannot require grad
# ----------------------------------------------------------------------------------------------

NON_FLOAT = [mg.int32, mg.int64, mg.uint8, mg.bool]
MAKERS = {
    "tensor": lambda dt: mg.tensor([1, 0, 1], dtype=dt, requires_grad=True),
    "zeros": lambda dt: mg.zeros(3, dtype=dt, requires_grad=True),
    "full": lambda dt: mg.full((2,), 1, dtype=dt, requires_grad=True),
    "requires_grad_": lambda dt: mg.tensor([1, 0], dtype=dt).requires_grad_(),
    "attribute": lambda dt: setattr(mg.tensor([1, 0], dtype=dt), "requires_grad", True),
    "Parameter": lambda dt: nn.Parameter(mg.tensor([1, 0], dtype=dt)),
}


@pytest.mark.parametrize("maker", sorted(MAKERS))
@pytest.mark.parametrize("dtype", NON_FLOAT, ids=str)
def test_integer_and_bool_tensors_cannot_require_grad(dtype, maker):
    """Every way of asking an integer or boolean tensor for gradients is a TypeError that
    names the dtype and says how to convert."""
    with pytest.raises(
        TypeError, match=f"only floating-point tensors can require gradients.*{dtype}.*astype"
    ):
        MAKERS[maker](dtype)


def test_casting_to_integer_cuts_the_graph():
    """x.long() is piecewise constant: the result does not require grad (as in PyTorch), so no
    gradient can flow back through it. (Regression: it recorded a Cast node, and
    (x.long() * 2).float().sum().backward() gave x.grad = 2.)"""
    x = mg.tensor([1.5, 2.5], requires_grad=True)
    n = x.long()
    assert n.dtype == mg.int64 and not n.requires_grad and n.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        (n.float() * 2.0).sum().backward()


# ----------------------------------------------------------------------------------------------
# Devices
# ----------------------------------------------------------------------------------------------

DEVICE_PATTERN = r"(?s)(device|'cpu'.*'strict'|'strict'.*'cpu')"
CPU, STRICT = "cpu", "strict"


def _pair(device_a, device_b):
    return (
        mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device_a),
        mg.tensor([[0.5, 1.5], [2.5, 3.5]], device=device_b),
    )


MIXED = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": lambda a, b: mg.maximum(a, b),
    "minimum": lambda a, b: mg.minimum(a, b),
    "matmul": lambda a, b: a @ b,
    "concat": lambda a, b: mg.concat([a, b]),
    "stack": lambda a, b: mg.stack([a, b]),
    "where(x, y)": lambda a, b: mg.where(mg.tensor([True, False], device=a.device), a, b),
    "where(condition)": lambda a, b: mg.where(b > 1.0, a, a),
    "masked_fill": lambda a, b: a.masked_fill(b > 1.0, 0.0),
    "getitem": lambda a, b: a[mg.tensor([1, 0], device=b.device)],
    "in-place +=": lambda a, b: a.__iadd__(b),
    "item assignment": lambda a, b: a.__setitem__(0, b[0]),
    "backward(grad)": lambda a, b: (a.requires_grad_() * 2.0).backward(b),
    "linear": lambda a, b: F.linear(a, b),
    "layer_norm": lambda a, b: F.layer_norm(a, (2,), b[0], None),
    "mse_loss": lambda a, b: F.mse_loss(a, b),
    "cross_entropy": lambda a, b: F.cross_entropy(a, mg.tensor([0, 1], device=b.device)),
    "binary_cross_entropy": lambda a, b: F.binary_cross_entropy(a * 0.1, b * 0.1),
    "bce_with_logits": lambda a, b: F.binary_cross_entropy_with_logits(a, b),
    "Linear": lambda a, b: nn.Linear(2, 2, device=b.device)(a),
    # (comparisons and logical ops used to reach the strict backend's own TypeError)
    "==": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "&": lambda a, b: (a > 1.0) & (b > 1.0),
}


def _mixed_cases():
    for name in sorted(MIXED):
        for order in ((CPU, STRICT), (STRICT, CPU)):
            yield pytest.param(name, order, id=f"{name}-{order[0]}-{order[1]}")


@pytest.mark.parametrize("name, devices", list(_mixed_cases()))
def test_mixed_devices_are_a_clear_error(name, devices):
    """Every op, layer and loss refuses tensors on two devices with a RuntimeError that names
    the devices -- not a backend error and not a silent copy."""
    a, b = _pair(*devices)
    with pytest.raises(RuntimeError, match=DEVICE_PATTERN):
        MIXED[name](a, b)


@pytest.mark.parametrize("op", sorted(OP_CALLS))
def test_every_op_stays_on_its_device(op):
    """On the strict (CuPy stand-in) device, every op's output and gradients stay there."""
    x = mg.tensor([[0.5, 1.5, 1.2], [2.0, 0.7, 1.1]], device=STRICT, requires_grad=True)
    y = mg.tensor([[1.0, 0.6, 1.3], [0.8, 1.9, 1.4]], device=STRICT, requires_grad=True)
    for call in OP_CALLS[op]:
        if op == "to_device":
            call = lambda x, y, s: (x.to("cpu") * s).to(STRICT)  # noqa: E731
        elif op == "getitem":
            call = lambda x, y, s: x[mg.tensor([1, 0, 1], device=STRICT)]  # noqa: E731
        x.grad = y.grad = None
        out = call(x, y, 0.75)
        assert out.device == STRICT, op
        out.backward(mg.ones_like(out))
        for leaf in (x, y):
            if leaf.grad is not None:
                assert leaf.grad.device == STRICT, op
                assert type(leaf.grad.array).__name__ == "StrictArray", op
