"""The table behind `minigrad gradcheck`: one small case per op of minigrad.ops.REGISTRY.

Each case is (a short description, a function of float64 leaf tensors, the inputs), with
inputs kept away from kinks (0 for abs and relu, ties for max, min, maximum and minimum).
`gradcheck_table` runs minigrad.gradcheck on every case, after checking that the case really
goes through its op, and returns one row per op. tests/engine/test_engine_op_gradients.py
checks the same ops far more thoroughly (random shapes and values, every device).
"""

import time

import numpy as np

from minigrad import dtypes, ops
from minigrad.creation import tensor
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.nn import functional as F
from minigrad.ops.inplace import IndexPut
from minigrad.ops.linalg import einsum
from minigrad.ops.views import View, ViewUpdate
from minigrad.routines import concat, maximum, minimum, stack, where
from minigrad.viz import build_graph


def _rng():
    return np.random.default_rng(0)


def _t(array):
    return tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def _away_from_zero(shape, low=0.3, high=2.0):
    rng = _rng()
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def _op_cases():
    """op name -> (a short description, fn, inputs). Inputs avoid kinks (0 for abs, ties)."""
    rng = _rng()
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((4,))
    positive = rng.uniform(0.5, 2.0, (3, 4))
    distinct = rng.permutation(12).reshape(3, 4) * 0.5 + rng.uniform(0, 0.1, (3, 4))
    mask = rng.random((3, 4)) > 0.5
    return {
        "add": ("(3,4) + (4,)", lambda x, y: x + y, (_t(a), _t(b))),
        "sub": ("(3,4) - (4,)", lambda x, y: x - y, (_t(a), _t(b))),
        "mul": ("(3,4) * (4,)", lambda x, y: x * y, (_t(a), _t(b))),
        "div": ("(3,4) / (4,)", lambda x, y: x / y, (_t(a), _t(_away_from_zero((4,))))),
        "pow": ("x ** y, x > 0", lambda x, y: x**y, (_t(positive), _t(b))),
        "neg": ("-x", lambda x: -x, (_t(a),)),
        "maximum": ("maximum(x, y)", maximum, (_t(a), _t(a + _away_from_zero((3, 4))))),
        "minimum": ("minimum(x, y)", minimum, (_t(a), _t(a + _away_from_zero((3, 4))))),
        "exp": ("exp(x)", lambda x: x.exp(), (_t(a),)),
        "log": ("log(x), x > 0", lambda x: x.log(), (_t(positive),)),
        "sqrt": ("sqrt(x), x > 0", lambda x: x.sqrt(), (_t(positive),)),
        "abs": ("|x|, x != 0", lambda x: x.abs(), (_t(_away_from_zero((3, 4))),)),
        "tanh": ("tanh(x)", lambda x: x.tanh(), (_t(a),)),
        "sigmoid": ("sigmoid(x)", lambda x: x.sigmoid(), (_t(a),)),
        "relu": ("relu(x), x != 0", lambda x: x.relu(), (_t(_away_from_zero((3, 4))),)),
        "gelu": ("gelu(x)", lambda x: x.gelu(), (_t(a),)),
        "leaky_relu": (
            "leaky_relu(x, 0.2)",
            lambda x: F.leaky_relu(x, 0.2),
            (_t(_away_from_zero((3, 4))),),
        ),
        "clip": (
            "clip(x, -0.25, 0.25)",
            lambda x: x.clip(-0.25, 0.25),
            (_t(_away_from_zero((3, 4), 0.3, 1.0) * rng.choice([0.5, 1.0], (3, 4))),),
        ),
        "sum": ("sum(axis=1)", lambda x: x.sum(axis=1), (_t(a),)),
        "mean": ("mean(axis=0, keepdims)", lambda x: x.mean(axis=0, keepdims=True), (_t(a),)),
        "var": ("var(axis=-1)", lambda x: x.var(axis=-1), (_t(a),)),
        "std": ("std(axis=1)", lambda x: x.std(axis=1), (_t(a),)),
        "max": ("max(dim=1).values", lambda x: x.max(dim=1).values, (_t(distinct),)),
        "min": ("min(dim=0).values", lambda x: x.min(dim=0).values, (_t(distinct),)),
        "amax": ("amax(dim=1), no ties", lambda x: x.amax(dim=1), (_t(distinct),)),
        "amin": ("amin(dim=(0, 1)), no ties", lambda x: x.amin(dim=(0, 1)), (_t(distinct),)),
        "remainder": (
            "x % y, |x / y| < 1",
            lambda x, y: x % y,
            (_t(distinct * 0.05 + 0.1), _t(_away_from_zero((4,), 1.5, 2.0))),
        ),
        "softmax": ("softmax(axis=-1)", lambda x: x.softmax(-1), (_t(a),)),
        "log_softmax": ("log_softmax(axis=-1)", lambda x: x.log_softmax(-1), (_t(a),)),
        "logsumexp": ("logsumexp(axis=-1)", lambda x: x.logsumexp(-1), (_t(a),)),
        "reshape": ("reshape(2, 6)", lambda x: x.reshape(2, 6), (_t(a),)),
        "permute": ("transpose", lambda x: x.T, (_t(a),)),
        "broadcast_to": ("(4,) -> (3, 4)", lambda x: x.broadcast_to((3, 4)), (_t(b),)),
        "getitem": ("x[[0, 2, 0], 1:]", lambda x: x[[0, 2, 0], 1:], (_t(a),)),
        "concat": ("concat, axis 0", lambda x, y: concat([x, y], axis=0), (_t(a), _t(a[:2]))),
        "stack": ("stack, axis 1", lambda x, y: stack([x, y], axis=1), (_t(a), _t(positive))),
        "where": (
            "where(mask, x, y)",
            lambda x, y: where(tensor(mask), x, y),
            (_t(a), _t(positive)),
        ),
        "masked_fill": (
            "masked_fill(mask, 0)",
            lambda x: x.masked_fill(tensor(mask), 0.0),
            (_t(a),),
        ),
        "matmul": (
            "(2,3,4) @ (4,5)",
            lambda x, y: x @ y,
            (_t(rng.standard_normal((2, 3, 4))), _t(rng.standard_normal((4, 5)))),
        ),
        "cast": ("float64 -> float64 copy", lambda x: ops.Cast.apply(x, dtypes.float64), (_t(a),)),
        "to_device": ("cpu -> strict -> cpu", lambda x: (x.to("strict") * 2.0).to("cpu"), (_t(a),)),
        **_layer_loss_and_attention_cases(rng, b),
        **_copy_and_view_cases(a, b),
        **_convolution_cases(rng, a, b, positive, distinct),
        "pad": (
            "pad (1, 2, 0, -1)",
            lambda x: F.pad(x, (1, 2, 0, -1), value=0.5),
            (_t(a),),
        ),
        **_sorting_indexing_and_matrix_cases(rng, a, positive, distinct),
    }


def _layer_loss_and_attention_cases(rng, b):
    """The ops behind nn.functional: linear, layer_norm, the losses and attention."""
    x = rng.standard_normal((2, 3, 4))
    logits = rng.standard_normal((3, 4))
    classes = tensor([0, 3, 1])
    probabilities = rng.dirichlet(np.ones(4), size=3)  # (3, 4), rows summing to 1
    spread = rng.permutation(12).reshape(3, 4) * 0.5 + rng.uniform(0, 0.1, (3, 4))
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    return {
        "linear": (
            "(2,3,4) (5,4)ᵀ + (5,)",
            F.linear,
            (_t(x), _t(rng.standard_normal((5, 4))), _t(rng.standard_normal(5))),
        ),
        "layer_norm": (
            "(3,4) over the last axis",
            lambda a, w, c: F.layer_norm(a, (4,), w, c),
            (_t(spread), _t(rng.uniform(0.5, 2.0, 4)), _t(b)),
        ),
        "cross_entropy": (
            "(3,4) logits, classes",
            lambda z: F.cross_entropy(z, classes),
            (_t(logits),),
        ),
        "cross_entropy_probs": (
            "(3,4) logits, probs",
            F.cross_entropy,
            (_t(logits), _t(probabilities)),
        ),
        "nll_loss": (
            "(3,4), class weights",
            lambda p: F.nll_loss(
                p, classes, weight=tensor([1.0, 0.5, 2.0, 1.5], dtype=dtypes.float64)
            ),
            (_t(logits),),
        ),
        "binary_cross_entropy": (
            "p in (0.1, 0.9)",
            F.binary_cross_entropy,
            (_t(rng.uniform(0.1, 0.9, (3, 4))), _t(rng.random((3, 4)))),
        ),
        "binary_cross_entropy_with_logits": (
            "(3,4) logits",
            F.binary_cross_entropy_with_logits,
            (_t(logits), _t(rng.random((3, 4)))),
        ),
        "scaled_dot_product_attention": (
            "(2,3,4), causal",
            lambda a, c, d: F.scaled_dot_product_attention(a, c, d, is_causal=True),
            (_t(q), _t(k), _t(v)),
        ),
    }


def _first_column(array):
    return array[..., :1]


def _copy_and_view_cases(a, b):
    """The ops behind clone(), views and in-place changes (ops/conversion.py, views.py,
    inplace.py)."""
    return {
        "clone": ("x.clone()", lambda x: x.clone(), (_t(a),)),
        "view": ("view x[..., :1]", lambda x: View.apply(x, _first_column), (_t(a),)),
        "view_update": (
            "x with x[..., :1] = v",
            lambda x, v: ViewUpdate.apply(x, v, _first_column),
            (_t(a), _t(a[:, :1] * 2.0)),
        ),
        "index_put": ("x with x[1] = v", lambda x, v: IndexPut.apply(x, v, (1,)), (_t(a), _t(b))),
    }


def _convolution_cases(rng, a, b, positive, distinct):
    """Convolutions, pooling and batch norm (ops/conv.py, pooling.py, normalization_batch.py)."""
    return {
        "conv1d": (
            "conv1d, stride 2, pad 1",
            lambda x, w: F.conv1d(x, w, stride=2, padding=1),
            (_t(rng.standard_normal((2, 3, 7))), _t(rng.standard_normal((4, 3, 3)))),
        ),
        "conv2d": (
            "conv2d, groups 2",
            lambda x, w: F.conv2d(x, w, padding=1, groups=2),
            (_t(rng.standard_normal((2, 4, 5, 5))), _t(rng.standard_normal((2, 2, 3, 3)))),
        ),
        "max_pool1d": (
            "max_pool1d(2), no ties",
            lambda x: F.max_pool1d(x, 2),
            (_t(distinct.reshape(1, 3, 4)),),
        ),
        "max_pool2d": (
            "max_pool2d(2), no ties",
            lambda x: F.max_pool2d(x, 2),
            (_t(distinct.reshape(1, 1, 2, 6)),),
        ),
        "avg_pool1d": ("avg_pool1d(2, 1)", lambda x: F.avg_pool1d(x, 2, 1), (_t(a[None]),)),
        "avg_pool2d": ("avg_pool2d(2, 1)", lambda x: F.avg_pool2d(x, 2, 1), (_t(a[None, None]),)),
        "adaptive_avg_pool1d": (
            "adaptive_avg_pool1d(3)",
            lambda x: F.adaptive_avg_pool1d(x, 3),
            (_t(a[None]),),
        ),
        "adaptive_avg_pool2d": (
            "adaptive_avg_pool2d(2)",
            lambda x: F.adaptive_avg_pool2d(x, 2),
            (_t(a[None, None]),),
        ),
        "batch_norm": (
            "batch_norm, training",
            lambda x, w, c: F.batch_norm(x, None, None, w, c, training=True),
            (_t(a), _t(positive[0]), _t(b)),
        ),
    }


def _sorting_indexing_and_matrix_cases(rng, a, positive, distinct):
    """Sorting, scans, indexing along a dim, matrix ops, moving elements and more elementwise
    functions (ops/sorting.py, scan.py, indexing.py, linalg.py, movement.py, unary.py)."""
    index = tensor([[1, 1, 0], [2, 0, 2], [0, 0, 0]])  # repeats: their gradients add up
    rows = tensor([[2, 0, 1, 3], [0, 1, 2, 0]])  # the rows of a (3, 4) written into
    mask = tensor(rng.random((3, 4)) > 0.5)
    with_zeros = a * (rng.random((3, 4)) > 0.3)  # cumprod's gradient with zeros in x
    # floor, ceil, round, trunc, sign: values away from integers, halves and 0
    steps = _away_from_zero((3, 4), 0.1, 0.4) + rng.integers(-2, 3, (3, 4))
    return {
        "sort": ("sort(dim=0, descending)", lambda x: x.sort(0, True).values, (_t(distinct),)),
        "topk": ("topk(2, dim=1)", lambda x: x.topk(2, dim=1).values, (_t(distinct),)),
        "kthvalue": ("kthvalue(2, dim=0)", lambda x: x.kthvalue(2, 0).values, (_t(distinct),)),
        "cumsum": ("cumsum(dim=1)", lambda x: x.cumsum(1), (_t(a),)),
        "cumprod": ("cumprod(1), zeros in x", lambda x: x.cumprod(1), (_t(with_zeros),)),
        "gather": ("gather(1), repeats", lambda x: x.gather(1, index), (_t(a),)),
        "scatter": (
            "scatter(0, index, src)",
            lambda x, src: x.scatter(0, rows[:, :3], src),
            (_t(a), _t(positive[:2, :3])),
        ),
        "scatter_add": (
            "scatter_add(1), repeats",
            lambda x, src: x.scatter_add(1, index, src),
            (_t(a), _t(positive[:, :3])),
        ),
        "index_select": (
            "index_select(1, [3,0,3])",
            lambda x: x.index_select(1, tensor([3, 0, 3])),
            (_t(a),),
        ),
        "masked_select": ("masked_select(mask)", lambda x: x.masked_select(mask), (_t(a),)),
        "tril": ("tril(diagonal=1)", lambda x: x.tril(1), (_t(a),)),
        "triu": ("triu(diagonal=-1)", lambda x: x.triu(-1), (_t(a),)),
        "diag": ("diag(x), 2-D -> 1-D", lambda x: x.diag(1), (_t(a),)),
        "outer": ("outer(4,) (3,)", lambda x, y: x.outer(y), (_t(a[0]), _t(a[1, :3]))),
        "norm": ("norm(p=3, dim=1)", lambda x: x.norm(3, dim=1), (_t(_away_from_zero((3, 4))),)),
        "einsum": (
            "einsum('bi,ij,bj->b')",
            lambda x, w, y: einsum("bi,ij,bj->b", x, w, y),
            (_t(a[:2, :3]), _t(a[:3]), _t(positive[:2])),
        ),
        "flip": ("flip(0, 1)", lambda x: x.flip(0, 1), (_t(a),)),
        "roll": ("roll((1, -1), (0, 1))", lambda x: x.roll((1, -1), (0, 1)), (_t(a),)),
        "repeat": ("repeat(2, 1, 2)", lambda x: x.repeat(2, 1, 2), (_t(a),)),
        "log2": ("log2(x), x > 0", lambda x: x.log2(), (_t(positive),)),
        "log10": ("log10(x), x > 0", lambda x: x.log10(), (_t(positive),)),
        "exp2": ("exp2(x)", lambda x: x.exp2(), (_t(a),)),
        "log1p": ("log1p(x), x > 0", lambda x: x.log1p(), (_t(positive),)),
        "expm1": ("expm1(x)", lambda x: x.expm1(), (_t(a),)),
        "sin": ("sin(x)", lambda x: x.sin(), (_t(a),)),
        "cos": ("cos(x)", lambda x: x.cos(), (_t(a),)),
        "tan": ("tan(x), |x| < 1.2", lambda x: x.tan(), (_t(a.clip(-1.2, 1.2)),)),
        "sign": ("sign(x), x != 0: 0", lambda x: x.sign(), (_t(steps),)),
        "floor": ("floor(x): 0", lambda x: x.floor(), (_t(steps),)),
        "ceil": ("ceil(x): 0", lambda x: x.ceil(), (_t(steps),)),
        "round": ("round(x): 0", lambda x: x.round(), (_t(steps),)),
        "trunc": ("trunc(x): 0", lambda x: x.trunc(), (_t(steps),)),
    }


def gradcheck_table():
    """Rows (op, formula, case, status, milliseconds) for every op in ops.REGISTRY."""
    cases = _op_cases()
    rows = []
    for name, op in ops.REGISTRY.items():
        formula = ((op.__doc__ or "").strip().splitlines() or [""])[0]
        if name not in cases:
            rows.append((name, formula, "-", "NO CASE", 0.0))
            continue
        description, fn, inputs = cases[name]
        start = time.perf_counter()
        try:
            # The case must exercise this op: look for it in the graph the case builds.
            used = {op_name for op_name, _, _ in build_graph(fn(*inputs)).ops}
            if op.__name__ not in used:
                status = f"case does not use {op.__name__}"
            else:
                gradcheck(fn, inputs)
                status = "ok"
        except GradcheckError as error:
            status = "FAILED: " + str(error).splitlines()[0]
        except Exception as error:
            status = f"ERROR: {type(error).__name__}: {error}"
        rows.append((name, formula, description, status, 1000 * (time.perf_counter() - start)))
    return rows
