"""Shared helpers for the engine tests: hypothesis strategies, the op table and the test factory.

The heart of this file is ``SPECS``: one entry per differentiable op. An entry (an ``OpSpec``)
says, in a few lines,

* how to call the op on minigrad tensors (``call``),
* what the same computation is in plain NumPy (``ref``, used by the forward tests),
* which input shapes to draw (``shapes``),
* how to fill the inputs with values (``values``) -- away from kinks, poles and ties BY
  CONSTRUCTION, so that a finite-difference check never straddles a non-differentiable point,
* which non-tensor arguments to draw (``args``: axes, indices, masks, ...).

``check_gradient`` (the factory, MyGrad style) turns one entry into a full property test:
``minigrad.gradcheck`` plus a few invariants that gradcheck alone would not show (inputs are not
mutated, gradients have the input's shape and dtype and are not aliases of each other, and an
independent NumPy dot-product test ⟨u, J v⟩ ≈ ⟨Jᵀ u, v⟩).

Keys of ``SPECS`` are ``"<registry name>"`` or ``"<registry name>:<variant>"``; the meta-test in
test_engine_op_gradients.py fails when an op of ``minigrad.ops.REGISTRY`` has no entry here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops.inplace import IndexPut
from minigrad.ops.views import View, ViewUpdate

MAX_SIDE = 4  # every side of a drawn shape is at most this long: tests stay fast
MAX_DIMS = 3

# ----------------------------------------------------------------------------------------------
# Arguments that must become device tensors (index arrays, masks, conditions)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dev:
    """A NumPy array that the test hands to the op as a minigrad tensor on the test's device."""

    array: np.ndarray

    def __repr__(self):
        return f"Dev({self.array!r})"


def to_device(obj: Any, device: str) -> Any:
    """Replace every ``Dev`` inside ``obj`` (also inside tuples/lists/dicts) by a device tensor."""
    if isinstance(obj, Dev):
        return mg.tensor(obj.array, device=device)
    if isinstance(obj, tuple):
        return tuple(to_device(o, device) for o in obj)
    if isinstance(obj, list):
        return [to_device(o, device) for o in obj]
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def to_numpy(obj: Any) -> Any:
    """Replace every ``Dev`` inside ``obj`` by its plain NumPy array (for the NumPy reference)."""
    if isinstance(obj, Dev):
        return obj.array
    if isinstance(obj, tuple):
        return tuple(to_numpy(o) for o in obj)
    if isinstance(obj, list):
        return [to_numpy(o) for o in obj]
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    return obj


def grad_numpy(t) -> np.ndarray:
    """A host copy of ``t.grad`` (a backend array, possibly a strict or CuPy one)."""
    g = t.grad
    if isinstance(g, mg.Tensor):
        return g.numpy()
    return mg.backend.get_backend(t.device).to_numpy(g)


def other_device(device: str) -> str:
    """A device different from ``device`` that always exists ("strict" for "cpu", else "cpu")."""
    return "strict" if device == "cpu" else "cpu"


def as_tuple(out: Any) -> tuple:
    """An op's output as a tuple (ops like split return several tensors)."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


# ----------------------------------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------------------------------


def shapes_1(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1):
    """One input shape (0-d allowed when min_dims == 0), sides 1..MAX_SIDE."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=MAX_SIDE
    ).map(lambda s: (s,))


def shapes_broadcast(n: int = 2, max_dims: int = MAX_DIMS):
    """``n`` mutually broadcastable shapes, e.g. (3, 1) and (4,), including 0-d and size-1 sides."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=0, max_dims=max_dims, min_side=1, max_side=MAX_SIDE
    ).map(lambda b: b.input_shapes)


def shapes_matmul():
    """Operand shapes for matmul: 1-D operands, plain 2-D, and broadcast batch dims."""
    return hnp.mutually_broadcastable_shapes(
        signature=np.matmul.signature, max_dims=2, max_side=MAX_SIDE
    ).map(lambda b: b.input_shapes)


@st.composite
def shapes_concat(draw):
    """1 to 3 shapes that agree everywhere except along one axis."""
    (base,) = draw(shapes_1(min_dims=1))
    axis = draw(st.integers(0, len(base) - 1))
    k = draw(st.integers(1, 3))
    shapes = []
    for _ in range(k):
        s = list(base)
        s[axis] = draw(st.integers(1, MAX_SIDE))
        shapes.append(tuple(s))
    return tuple(shapes)


@st.composite
def shapes_stack(draw):
    """1 to 3 equal shapes (0-d allowed)."""
    (s,) = draw(shapes_1())
    return (s,) * draw(st.integers(1, 3))


@st.composite
def shapes_with_a_one(draw):
    """One shape that has at least one side of length 1 (for squeeze)."""
    (s,) = draw(shapes_1(max_dims=MAX_DIMS - 1))
    i = draw(st.integers(0, len(s)))
    return (s[:i] + (1,) + s[i:],)


@st.composite
def broadcastable_to(draw, target: tuple) -> tuple:
    """A shape that broadcasts to ``target`` without changing it: some sides set to 1 and some
    leading sides dropped."""
    shape = tuple(1 if draw(st.booleans()) else side for side in target)
    return shape[draw(st.integers(0, len(shape))) :]


def broadcast_result(shapes) -> tuple:
    """The broadcast shape of several shapes (plain NumPy rule)."""
    return np.broadcast_shapes(*shapes)


# ----------------------------------------------------------------------------------------------
# Values (float64), kept away from non-differentiable points by construction
# ----------------------------------------------------------------------------------------------

Builder = Callable[[Callable, tuple], np.ndarray]  # (draw, shape) -> array


def _floats(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def uniform(lo: float = -2.0, hi: float = 2.0) -> Builder:
    """Values in [lo, hi]: for ops that are smooth everywhere."""

    def build(draw, shape):
        return draw(hnp.arrays(np.float64, shape, elements=_floats(lo, hi)))

    return build


def signed(lo: float = 0.1, hi: float = 2.0) -> Builder:
    """sign * uniform(lo, hi): never closer to 0 than ``lo`` (relu, abs, denominators)."""

    def build(draw, shape):
        magnitude = draw(hnp.arrays(np.float64, shape, elements=_floats(lo, hi)))
        positive = draw(hnp.arrays(np.bool_, shape))
        return np.where(positive, magnitude, -magnitude)

    return build


def signed_bands(*bands: tuple[float, float]) -> Builder:
    """sign * (a value in one of the bands): e.g. bands (0.1, 0.4), (0.6, 2) stay away from
    0 and from ±0.5, the bounds used for clip."""

    def build(draw, shape):
        elements = st.one_of(*[_floats(lo, hi) for lo, hi in bands])
        magnitude = draw(hnp.arrays(np.float64, shape, elements=elements))
        positive = draw(hnp.arrays(np.bool_, shape))
        return np.where(positive, magnitude, -magnitude)

    return build


def each(*builders: Builder):
    """One builder per input (the last one repeats): ``values`` for most specs."""

    def values(draw, shapes):
        picked = [builders[min(i, len(builders) - 1)] for i in range(len(shapes))]
        return [b(draw, s) for b, s in zip(picked, shapes, strict=True)]

    return values


def distinct(spacing: float = 0.25):
    """All elements of ALL inputs distinct: a random permutation of a grid with ``spacing``
    between neighbours, plus noise of at most spacing/5. No two values come closer than
    0.6 * spacing, so max/min/maximum/minimum never meet a tie."""

    def values(draw, shapes):
        sizes = [math.prod(s) for s in shapes]
        n = sum(sizes)
        order = np.array(draw(st.permutations(range(n))), dtype=np.float64)
        noise = draw(hnp.arrays(np.float64, (n,), elements=_floats(-spacing / 5, spacing / 5)))
        flat = (order - n / 2) * spacing + noise
        out, start = [], 0
        for size, shape in zip(sizes, shapes, strict=True):
            out.append(flat[start : start + size].reshape(shape))
            start += size
        return out

    return values


# ----------------------------------------------------------------------------------------------
# Non-tensor arguments
# ----------------------------------------------------------------------------------------------


def no_args(shapes):
    return st.just({})


def _axis(ndim: int):
    return st.integers(-ndim, ndim - 1)


def _axes(ndim: int):
    """axis=None, an int axis or a tuple of axes (also negative ones)."""
    if ndim == 0:
        return st.none()
    return st.none() | _axis(ndim) | hnp.valid_tuple_axes(ndim, min_size=1)


def reduction_args(int_axis_only: bool = False, **fixed):
    """axis (None / int / tuple) and keepdims, plus fixed keyword arguments."""

    def args(shapes):
        ndim = len(shapes[0])
        axis = _axis(ndim) if int_axis_only else _axes(ndim)
        return st.fixed_dictionaries(
            {"axis": axis, "keepdims": st.booleans(), **{k: st.just(v) for k, v in fixed.items()}}
        )

    return args


def axis_args(extra: int = 0, **more):
    """One int axis in [-(ndim + extra), ndim + extra - 1] (extra=1 for stack/unsqueeze)."""

    def args(shapes):
        ndim = len(shapes[0]) + extra
        return st.fixed_dictionaries({"axis": _axis(ndim), **more})

    return args


def concat_args(shapes):
    """The axis along which the drawn shapes may differ (any axis if they are all equal)."""
    ndim = len(shapes[0])
    ok = [
        ax
        for ax in range(ndim)
        if all(s[:ax] + s[ax + 1 :] == shapes[0][:ax] + shapes[0][ax + 1 :] for s in shapes)
    ]
    return st.fixed_dictionaries({"axis": st.sampled_from(ok + [a - ndim for a in ok])})


@st.composite
def _split_args(draw, shapes):
    (shape,) = shapes
    axis = draw(_axis(len(shape)))
    n = shape[axis]
    if draw(st.booleans()):
        sections = draw(st.integers(1, n))  # chunk size, PyTorch semantics
    else:
        cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1))) if n > 1 else []
        bounds = [0, *cuts, n]
        sections = [b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return {"sections": sections, "axis": axis}


def split_sizes(n: int, sections) -> list[int]:
    """PyTorch split semantics: an int is a chunk size (last chunk may be smaller)."""
    if isinstance(sections, int):
        return [min(sections, n - i) for i in range(0, n, sections)]
    return list(sections)


def np_split(x, sections, axis):
    sizes = split_sizes(x.shape[axis], sections)
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


@st.composite
def _reshape_args(draw, shapes):
    (shape,) = shapes
    new = list(draw(st.permutations(shape)))
    if not new or draw(st.booleans()):
        new.insert(draw(st.integers(0, len(new))), 1)
    if draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return {"shape": tuple(new)}


@st.composite
def _transpose_args(draw, shapes):
    ndim = len(shapes[0])
    return {"dim0": draw(_axis(ndim)), "dim1": draw(_axis(ndim))}


@st.composite
def _permute_args(draw, shapes):
    ndim = len(shapes[0])
    return {"dims": tuple(draw(st.permutations(range(ndim))))}


@st.composite
def _expand_args(draw, shapes, allow_minus_one=True):
    (shape,) = shapes
    target = []
    for side in shape:
        if side == 1:
            target.append(draw(st.integers(1, 3)))
        else:
            target.append(-1 if allow_minus_one and draw(st.booleans()) else side)
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    return {"shape": (*lead, *target)}


@st.composite
def _squeeze_args(draw, shapes):
    (shape,) = shapes
    ones = [i for i, side in enumerate(shape) if side == 1]
    return {"axis": draw(st.none() | st.sampled_from(ones + [i - len(shape) for i in ones]))}


@st.composite
def _flatten_args(draw, shapes):
    ndim = len(shapes[0])
    a, b = sorted([draw(st.integers(0, ndim - 1)), draw(st.integers(0, ndim - 1))])
    start = a - ndim if draw(st.booleans()) else a
    end = b - ndim if draw(st.booleans()) else b
    return {"start_dim": start, "end_dim": end}


def np_flatten(x, start_dim, end_dim):
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])


def _nonempty(shape, index) -> bool:
    return np.empty(shape)[to_numpy(index)].size > 0


@st.composite
def _basic_index_args(draw, shapes):
    """ints, slices (also negative steps), None and Ellipsis, with a non-empty result."""
    (shape,) = shapes
    index = draw(
        hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True).filter(
            lambda ix: _nonempty(shape, ix)
        )
    )
    return {"index": index}


def _as_kind(draw, array: np.ndarray):
    """An integer/bool index given as a list, a NumPy array or a device tensor."""
    kind = draw(st.sampled_from(["list", "array", "tensor"]))
    if kind == "list":
        return array.tolist()
    return array if kind == "array" else Dev(array)


@st.composite
def _int_array_index_args(draw, shapes):
    """An integer array along one axis (or two arrays on two neighbouring axes, paired
    elementwise as in x[[0, 1], [2, 2]]), with at least one REPEATED position by construction
    (its gradients must add up), negative indices allowed, optionally followed by None or a
    slice."""
    (shape,) = shapes
    axis = draw(st.integers(0, len(shape) - 1))
    paired = axis + 1 < len(shape) and draw(st.booleans())
    arrays = []
    length = draw(st.integers(1, 4))
    for n in shape[axis : axis + (2 if paired else 1)]:
        picks = draw(st.lists(st.integers(-n, n - 1), min_size=length, max_size=length))
        picks.append(picks[0])  # the repeat: the last position equals the first
        arrays.append(_as_kind(draw, np.array(picks, dtype=np.int64)))
    index = (slice(None),) * axis + tuple(arrays)
    tail = draw(st.sampled_from([(), (None,), (slice(None, None, -1),)]))
    if len(index) + len([t for t in tail if t is not None]) > len(shape):
        tail = ()
    return {"index": index + tail}


@st.composite
def _mask_index_args(draw, shapes):
    """A boolean mask over the leading k dims, with at least one True by construction."""
    (shape,) = shapes
    k = draw(st.integers(1, len(shape)))
    mask = draw(hnp.arrays(np.bool_, shape[:k]))
    mask.flat[draw(st.integers(0, mask.size - 1))] = True
    return {"index": _as_kind(draw, mask)}


@st.composite
def _where_args(draw, shapes):
    cond_shape = draw(broadcastable_to(broadcast_result(shapes)))
    return {"cond": Dev(draw(hnp.arrays(np.bool_, cond_shape)))}


@st.composite
def _masked_fill_args(draw, shapes):
    mask_shape = draw(broadcastable_to(shapes[0]))
    value = draw(st.sampled_from([0.0, -1.5, 3.0]))
    return {"mask": Dev(draw(hnp.arrays(np.bool_, mask_shape))), "value": value}


def _clip_args(shapes):
    bounds = st.sampled_from([(-0.5, 0.5), (None, 0.5), (-0.5, None)])
    return bounds.map(lambda b: {"min": b[0], "max": b[1]})


# ----------------------------------------------------------------------------------------------
# Layers, losses and attention (the ops behind nn.functional)
# ----------------------------------------------------------------------------------------------


@st.composite
def shapes_linear(draw, bias=True):
    """x (..., in), W (out, in) and, with bias, b (out,): 0 to 2 leading axes."""
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=MAX_SIDE))
    n_in, n_out = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    shapes = (lead + (n_in,), (n_out, n_in))
    return shapes + ((n_out,),) if bias else shapes


@st.composite
def shapes_layer_norm(draw):
    """x (..., *normalized), weight and bias of the normalized shape (1 or 2 axes)."""
    (x,) = draw(shapes_1(min_dims=1))
    k = draw(st.integers(1, len(x)))
    return (x, x[len(x) - k :], x[len(x) - k :])


@st.composite
def shapes_logits(draw, targets_like_input=False):
    """Logits (C,), (N, C) or (N, C, d); with targets_like_input also a target of that shape."""
    (shape,) = draw(shapes_1(min_dims=1, max_dims=3))
    return (shape, shape) if targets_like_input else (shape,)


def _class_axis(shape):
    return 0 if len(shape) == 1 else 1


@st.composite
def _class_index_args(draw, shapes, weighted=False, smoothing=False):
    """Class indices for logits of shapes[0], some equal to ignore_index (never all of them),
    optionally class weights (in [0.5, 2]) and label smoothing."""
    shape = shapes[0]
    C = shape[_class_axis(shape)]
    index_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, C - 1)))
    ignored = draw(hnp.arrays(np.bool_, index_shape))
    ignored.flat[0] = False  # one row always counts: 'mean' never divides by 0
    args = {"target": Dev(np.where(ignored, -1, target)), "ignore_index": -1}
    args["reduction"] = draw(st.sampled_from(["mean", "sum", "none"]))
    if weighted:
        # a list: F converts it to the input's dtype (float32 in the float32 test)
        args["weight"] = draw(st.lists(_floats(0.5, 2.0), min_size=C, max_size=C))
    if smoothing:
        args["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
    return args


def _reduction_only(shapes):
    return st.fixed_dictionaries({"reduction": st.sampled_from(["mean", "sum", "none"])})


@st.composite
def shapes_attention(draw, float_mask=False):
    """query (*batch, L, d), key (*batch', S, d), value (*batch', S, dv), batch' = batch or
    a broadcast one (keys shared across the last batch axis); with float_mask an additive
    mask (L, S) too."""
    batch = draw(st.sampled_from([(), (2,), (2, 3)]))
    kv_batch = batch[:-1] + (1,) if batch and draw(st.booleans()) else batch
    L, S = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    d, dv = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, 3))
    shapes = (batch + (L, d), kv_batch + (S, d), kv_batch + (S, dv))
    return shapes + ((L, S),) if float_mask else shapes


@st.composite
def _attention_args(draw, shapes):
    """A scale, and a boolean mask (L, S) (a fully masked row now and then) or is_causal."""
    L, S = shapes[0][-2], shapes[1][-2]
    args = {"scale": draw(st.sampled_from([None, 1.0, 0.37]))}
    kind = draw(st.sampled_from(["none", "bool", "causal"]))
    if kind == "bool":
        args["attn_mask"] = Dev(draw(hnp.arrays(np.bool_, (L, S))))
    elif kind == "causal":
        args["is_causal"] = True
    return args


# ----------------------------------------------------------------------------------------------
# NumPy references
# ----------------------------------------------------------------------------------------------


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def np_logsumexp(x, axis=-1, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def np_log_softmax(x, axis=-1):
    return x - np_logsumexp(x, axis=axis, keepdims=True)


def np_softmax(x, axis=-1):
    return np.exp(np_log_softmax(x, axis=axis))


def np_clip(x, min=None, max=None):
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    return np.clip(x, lo, hi)


def np_expand(x, shape):
    lead = len(shape) - x.ndim
    full = tuple(x.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(shape))
    return np.broadcast_to(x, full)


def np_squeeze(x, axis=None):
    return np.squeeze(x) if axis is None else np.squeeze(x, axis=axis)


def np_linear(x, w, b=None):
    return x @ w.T if b is None else x @ w.T + b


def np_layer_norm(x, w, b):
    axes = tuple(range(x.ndim - w.ndim, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def _np_reduce(losses, reduction, divisor):
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.sum() / divisor
    return losses


def _classes_last(x):
    """(C,) -> (1, C); (N, C, d) -> (N·d, C)."""
    if x.ndim == 1:
        return x[None]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def np_cross_entropy(z, target, ignore_index, reduction, weight=None, label_smoothing=0.0):
    """F2 with class indices, PyTorch's semantics ('mean' divides by the kept rows' weights)."""
    log_p = np_log_softmax(_classes_last(z), axis=1)  # (M, C)
    C = log_p.shape[1]
    w = np.ones(C) if weight is None else np.asarray(weight)
    t = np.reshape(target, -1)
    keep = t != ignore_index
    hot = np.eye(C)[np.where(keep, t, 0)] * keep[:, None]  # (M, C)
    T = (1 - label_smoothing) * hot * w + label_smoothing / C * keep[:, None] * w
    losses = -(T * log_p).sum(axis=1)
    out = _np_reduce(losses, reduction, (hot * w).sum())
    return out.reshape(np.shape(target)) if reduction == "none" else out


def np_cross_entropy_probs(z, T, reduction):
    log_p = np_log_softmax(_classes_last(z), axis=1)
    losses = -(_classes_last(T) * log_p).sum(axis=1)
    out = _np_reduce(losses, reduction, log_p.shape[0])
    if reduction != "none":
        return out
    return out[0] if z.ndim == 1 else out.reshape(z.shape[:1] + z.shape[2:])


def np_nll_loss(log_p, target, ignore_index, reduction, weight=None):
    L = _classes_last(log_p)
    w = np.ones(L.shape[1]) if weight is None else np.asarray(weight)
    t = np.reshape(target, -1)
    keep = t != ignore_index
    picked = np.where(keep, t, 0)
    w_m = w[picked] * keep
    losses = -w_m * L[np.arange(len(t)), picked]
    out = _np_reduce(losses, reduction, w_m.sum())
    return out.reshape(np.shape(target)) if reduction == "none" else out


def np_binary_cross_entropy(p, y, reduction):
    return _np_reduce(-(y * np.log(p) + (1 - y) * np.log(1 - p)), reduction, p.size)


def np_binary_cross_entropy_with_logits(z, y, reduction):
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return _np_reduce(losses, reduction, z.size)


def np_attention(q, k, v, bias=None, attn_mask=None, is_causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = scale * q @ np.swapaxes(k, -1, -2) + (0.0 if bias is None else bias)
    keep = np.tril(np.ones((L, S), bool)) if is_causal else attn_mask
    if keep is not None:
        scores = np.where(keep, scores, -np.inf)
    m = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(m), m, 0))
    total = e.sum(axis=-1, keepdims=True)
    return (e / np.where(total == 0, 1, total)) @ v


# ----------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpSpec:
    """How to test one op: call it, compute it in NumPy, and draw its inputs."""

    call: Callable[..., Any]  # call(*tensors, **args) -> Tensor or tuple of Tensors
    ref: Callable[..., Any]  # the same on NumPy arrays
    shapes: st.SearchStrategy = field(default_factory=shapes_1)
    values: Callable = each(uniform())
    args: Callable = no_args
    forward_atol: float = 1e-12  # float64 forward vs NumPy
    eps: float = 1e-6  # finite-difference step (larger only where the op rounds, see cast)
    rtol: float = 1e-5  # relative tolerance of the helper's own dot-product test


def _swap_last_two(a):
    return a.swapaxes(-1, -2)


def _first_column(a):
    return a[..., :1]


def _np_view_update(a, v):
    out = a.copy()
    out[..., :1] = v
    return out


def _np_index_put(a, v, index):
    out = a.copy()
    out[index] = v
    return out


def _pool_args(dilation):
    """Pooling arguments: a kernel of 1-3, stride 1-2, padding up to half the kernel (PyTorch's
    limit), and a dilation of 1-2 where the op takes one."""

    def args(shapes):
        def for_kernel(k):
            drawn = {
                "kernel_size": st.just(k),
                "stride": st.integers(1, 2),
                "padding": st.integers(0, k // 2),
            }
            if dilation:
                drawn["dilation"] = st.integers(1, 2)
            return st.fixed_dictionaries(drawn)

        return st.integers(1, 3).flatmap(for_kernel)

    return args


U = uniform()
OTHER_FLOAT = {mg.float64: mg.float32, mg.float32: mg.float64}
POS = uniform(0.1, 3.0)  # log, sqrt
BASE = uniform(0.5, 2.0)  # pow base
NONZERO = signed(0.5, 2.0)  # denominators
KINK = signed(0.1, 2.0)  # relu, abs
CLIP = signed_bands((0.1, 0.4), (0.6, 2.0))  # away from 0 and from the clip bounds ±0.5
TIES = distinct()  # max, min, maximum, minimum

SPECS: dict[str, OpSpec] = {
    # --- elementwise binary (broadcasting) ---
    "add": OpSpec(lambda a, b: a + b, np.add, shapes_broadcast()),
    "add:scalar": OpSpec(lambda a: 1.5 + a, lambda a: 1.5 + a),
    "sub": OpSpec(lambda a, b: a - b, np.subtract, shapes_broadcast()),
    "sub:rscalar": OpSpec(lambda a: 2.0 - a, lambda a: 2.0 - a),
    "mul": OpSpec(lambda a, b: a * b, np.multiply, shapes_broadcast()),
    "mul:scalar": OpSpec(lambda a: a * -3.0, lambda a: a * -3.0),
    "div": OpSpec(lambda a, b: a / b, np.divide, shapes_broadcast(), each(U, NONZERO)),
    "div:rscalar": OpSpec(lambda a: 2.0 / a, lambda a: 2.0 / a, values=each(NONZERO)),
    # |a / b| in [0.05, 0.8]: away from the jumps of a % b (where a / b is an integer)
    "remainder": OpSpec(
        lambda a, b: a % b, np.remainder, shapes_broadcast(), each(signed(0.1, 0.4), NONZERO)
    ),
    "remainder:rscalar": OpSpec(lambda a: 0.3 % a, lambda a: 0.3 % a, values=each(NONZERO)),
    "pow": OpSpec(lambda a, b: a**b, np.power, shapes_broadcast(), each(BASE, U)),
    "pow:scalar_exponent": OpSpec(lambda a: a**3.0, lambda a: a**3.0),
    "pow:fractional_exponent": OpSpec(lambda a: a**-1.5, lambda a: a**-1.5, values=each(BASE)),
    "pow:scalar_base": OpSpec(lambda a: 2.0**a, lambda a: 2.0**a),
    "maximum": OpSpec(mg.maximum, np.maximum, shapes_broadcast(), TIES),
    "minimum": OpSpec(mg.minimum, np.minimum, shapes_broadcast(), TIES),
    "matmul": OpSpec(lambda a, b: a @ b, np.matmul, shapes_matmul()),
    # --- elementwise unary ---
    "neg": OpSpec(lambda a: -a, np.negative),
    "exp": OpSpec(mg.exp, np.exp),
    "log": OpSpec(mg.log, np.log, values=each(POS)),
    "sqrt": OpSpec(mg.sqrt, np.sqrt, values=each(POS)),
    "abs": OpSpec(mg.abs, np.abs, values=each(KINK)),
    "tanh": OpSpec(mg.tanh, np.tanh),
    "sigmoid": OpSpec(mg.sigmoid, np_sigmoid, values=each(uniform(-4, 4))),
    "relu": OpSpec(mg.relu, lambda a: np.maximum(a, 0.0), values=each(KINK)),
    "leaky_relu": OpSpec(
        lambda a, negative_slope: F.leaky_relu(a, negative_slope),
        lambda a, negative_slope: np.where(a > 0, a, negative_slope * a),
        values=each(KINK),
        args=lambda s: st.fixed_dictionaries({"negative_slope": st.sampled_from([0.01, 0.2, 2.0])}),
    ),
    "gelu": OpSpec(
        lambda a, approximate: mg.gelu(a, approximate=approximate),
        np_gelu,
        values=each(uniform(-3, 3)),
        args=lambda s: st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])}),
    ),
    "clip": OpSpec(
        lambda a, min, max: a.clip(min=min, max=max),
        np_clip,
        values=each(CLIP),
        args=_clip_args,
    ),
    "cast": OpSpec(  # float64 -> float32 -> float64 (float32 -> float64 -> float32 is exact)
        lambda a: a.astype(OTHER_FLOAT[a.dtype]).astype(a.dtype),
        lambda a: a.astype(np.float32).astype(np.float64),
        # The round trip rounds to float32 (error <= 2.4e-7 for |x| <= 2). It is otherwise the
        # identity, a linear map, so a large step has no truncation error and divides the
        # rounding error down: with eps = 0.1 the finite-difference error is <= 2.4e-6 per
        # element. (eps = 1e-3 failed under the thorough profile when a random <u, Jv> nearly
        # cancelled to 1.8e-3.)
        eps=1e-1,
        rtol=1e-3,
    ),
    "to_device": OpSpec(
        lambda a: (a.to(other_device(a.device)) * 2.0).to(a.device), lambda a: a * 2.0
    ),
    # --- reductions ---
    "sum": OpSpec(lambda a, **k: a.sum(**k), np.sum, args=reduction_args()),
    "mean": OpSpec(lambda a, **k: a.mean(**k), np.mean, args=reduction_args()),
    "var": OpSpec(  # correction=1 needs at least 2 reduced elements: every side >= 2
        lambda a, **k: a.var(**k),
        lambda a, axis, keepdims, correction: np.var(
            a, axis=axis, keepdims=keepdims, ddof=correction
        ),
        shapes_1(min_dims=1, min_side=2),
        args=reduction_args(correction=1),
    ),
    "var:correction0": OpSpec(
        lambda a, **k: a.var(**k),
        lambda a, axis, keepdims, correction: np.var(
            a, axis=axis, keepdims=keepdims, ddof=correction
        ),
        args=reduction_args(correction=0),
    ),
    # std has a kink where all reduced values are equal (std = 0), so the values are kept
    # apart by construction (TIES: no two closer than 0.15), and every reduced side is >= 2.
    "std": OpSpec(
        lambda a, **k: a.std(**k),
        lambda a, axis, keepdims, correction: np.std(
            a, axis=axis, keepdims=keepdims, ddof=correction
        ),
        shapes_1(min_dims=1, min_side=2),
        values=TIES,
        args=reduction_args(correction=1),
    ),
    "std:correction0": OpSpec(
        lambda a, **k: a.std(**k),
        lambda a, axis, keepdims, correction: np.std(
            a, axis=axis, keepdims=keepdims, ddof=correction
        ),
        shapes_1(min_dims=1, min_side=2),
        values=TIES,
        args=reduction_args(correction=0),
    ),
    "amax": OpSpec(lambda a, **k: a.amax(**k), np.max, values=TIES, args=reduction_args()),
    "amin": OpSpec(lambda a, **k: a.amin(**k), np.min, values=TIES, args=reduction_args()),
    "max": OpSpec(
        lambda a, axis, keepdims: a.max(axis, keepdims).values,
        lambda a, axis, keepdims: np.max(a, axis=axis if a.ndim else None, keepdims=keepdims),
        values=TIES,
        args=lambda shapes: st.fixed_dictionaries(
            {"axis": _axis(max(len(shapes[0]), 1)), "keepdims": st.booleans()}
        ),
    ),
    "min": OpSpec(
        lambda a, axis, keepdims: a.min(dim=axis, keepdim=keepdims).values,
        lambda a, axis, keepdims: np.min(a, axis=axis if a.ndim else None, keepdims=keepdims),
        values=TIES,
        args=lambda shapes: st.fixed_dictionaries(
            {"axis": _axis(max(len(shapes[0]), 1)), "keepdims": st.booleans()}
        ),
    ),
    "logsumexp": OpSpec(
        lambda a, **k: mg.logsumexp(a, **k),
        np_logsumexp,
        shapes_1(min_dims=1),
        args=reduction_args(int_axis_only=True),
    ),
    "softmax": OpSpec(
        lambda a, axis: mg.softmax(a, axis=axis),
        np_softmax,
        shapes_1(min_dims=1),
        args=axis_args(),
    ),
    "log_softmax": OpSpec(
        lambda a, axis: mg.log_softmax(a, axis=axis),
        np_log_softmax,
        shapes_1(min_dims=1),
        args=axis_args(),
    ),
    # --- shapes ---
    "reshape": OpSpec(
        lambda a, shape: a.reshape(*shape),
        lambda a, shape: a.reshape(shape),
        args=_reshape_args,
    ),
    "permute:transpose": OpSpec(
        lambda a, dim0, dim1: a.transpose(dim0, dim1),
        lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
        shapes_1(min_dims=1),
        args=_transpose_args,
    ),
    "permute:swapaxes": OpSpec(
        lambda a, dim0, dim1: a.swapaxes(dim0, dim1),
        lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
        shapes_1(min_dims=1),
        args=_transpose_args,
    ),
    "permute": OpSpec(
        lambda a, dims: a.permute(*dims),
        lambda a, dims: np.transpose(a, dims),
        shapes_1(min_dims=1),
        args=_permute_args,
    ),
    "permute:T": OpSpec(lambda a: a.T, lambda a: a.T),
    "broadcast_to:expand": OpSpec(lambda a, shape: a.expand(*shape), np_expand, args=_expand_args),
    "broadcast_to": OpSpec(
        lambda a, shape: a.broadcast_to(shape),
        np.broadcast_to,
        args=lambda s: _expand_args(s, allow_minus_one=False),
    ),
    "reshape:squeeze": OpSpec(
        lambda a, axis: a.squeeze(axis), np_squeeze, shapes_with_a_one(), args=_squeeze_args
    ),
    "reshape:unsqueeze": OpSpec(
        lambda a, axis: a.unsqueeze(axis),
        lambda a, axis: np.expand_dims(a, axis),
        args=axis_args(extra=1),
    ),
    "reshape:flatten": OpSpec(
        lambda a, **k: a.flatten(**k), np_flatten, shapes_1(min_dims=1), args=_flatten_args
    ),
    # --- indexing ---
    "getitem": OpSpec(lambda a, index: a[index], lambda a, index: a[index], args=_basic_index_args),
    "getitem:int_array": OpSpec(
        lambda a, index: a[index],
        lambda a, index: a[index],
        shapes_1(min_dims=1),
        args=_int_array_index_args,
    ),
    "getitem:bool_mask": OpSpec(
        lambda a, index: a[index],
        lambda a, index: a[np.asarray(index, dtype=bool)],
        shapes_1(min_dims=1),
        args=_mask_index_args,
    ),
    # --- several tensors ---
    "concat": OpSpec(
        lambda *ts, axis: mg.concat(list(ts), axis=axis),
        lambda *xs, axis: np.concatenate(xs, axis=axis),
        shapes_concat(),
        args=concat_args,
    ),
    "stack": OpSpec(
        lambda *ts, axis: mg.stack(list(ts), axis=axis),
        lambda *xs, axis: np.stack(xs, axis=axis),
        shapes_stack(),
        args=axis_args(extra=1),
    ),
    "getitem:split": OpSpec(
        lambda a, sections, axis: mg.split(a, sections, axis=axis),
        np_split,
        shapes_1(min_dims=1),
        args=_split_args,
    ),
    "where": OpSpec(
        lambda a, b, cond: mg.where(cond, a, b),
        lambda a, b, cond: np.where(cond, a, b),
        shapes_broadcast(),
        args=_where_args,
    ),
    "masked_fill": OpSpec(
        lambda a, mask, value: a.masked_fill(mask, value),
        lambda a, mask, value: np.where(mask, value, a),
        args=_masked_fill_args,
    ),
    # --- copies, views and in-place updates (ops/conversion.py, ops/views.py, ops/inplace.py) ---
    "clone": OpSpec(lambda a: a.clone(), np.copy),
    "view": OpSpec(lambda a: View.apply(a, _swap_last_two), _swap_last_two, shapes_1(min_dims=2)),
    "view:slice": OpSpec(lambda a: View.apply(a, _first_column), _first_column, shapes_1(1)),
    "view_update": OpSpec(
        lambda a, v: ViewUpdate.apply(a, v, _first_column),
        _np_view_update,
        shapes_1(min_dims=1).map(lambda s: (s[0], s[0][:-1] + (1,))),
    ),
    "index_put": OpSpec(
        lambda a, v, index: IndexPut.apply(a, v, index),
        _np_index_put,
        shapes_1(min_dims=1).map(lambda s: (s[0], s[0][1:])),
        args=lambda shapes: st.just({"index": (0,)}),
    ),
    "index_put:broadcast": OpSpec(  # one value for a whole slice: its gradient is summed
        lambda a, v, index: IndexPut.apply(a, v, index),
        _np_index_put,
        shapes_1(min_dims=1).map(lambda s: (s[0], ())),
        args=lambda shapes: st.just({"index": (slice(0, 1),)}),
    ),
    # --- layers (nn.functional -> ops/linear.py, ops/normalization.py) ---
    "linear": OpSpec(F.linear, np_linear, shapes_linear()),
    "linear:no_bias": OpSpec(F.linear, np_linear, shapes_linear(bias=False)),
    # TIES: values of a row are spread out, so no row has a tiny variance (where the gradient
    # is ~1/√ε and finite differences lose accuracy).
    "layer_norm": OpSpec(
        lambda x, w, b: F.layer_norm(x, w.shape, w, b), np_layer_norm, shapes_layer_norm(), TIES
    ),
    # --- losses (nn.functional -> ops/losses.py) ---
    "cross_entropy": OpSpec(
        lambda z, **k: F.cross_entropy(z, **k),
        np_cross_entropy,
        shapes_logits(),
        args=_class_index_args,
    ),
    "cross_entropy_probs": OpSpec(  # a target that requires grad gets one (distillation)
        lambda z, T, **k: F.cross_entropy(z, T, **k),
        np_cross_entropy_probs,
        shapes_logits(targets_like_input=True),
        each(U, uniform(0.0, 1.0)),
        args=_reduction_only,
    ),
    "cross_entropy_probs:weights_and_smoothing": OpSpec(
        lambda z, **k: F.cross_entropy(z, **k),
        np_cross_entropy,
        shapes_logits(),
        args=lambda s: _class_index_args(s, weighted=True, smoothing=True),
    ),
    "nll_loss": OpSpec(
        lambda a, **k: F.nll_loss(a, **k),
        np_nll_loss,
        shapes_logits(),
        args=lambda s: _class_index_args(s, weighted=True),
    ),
    "nll_loss:unweighted": OpSpec(
        lambda a, **k: F.nll_loss(a, **k), np_nll_loss, shapes_logits(), args=_class_index_args
    ),
    "binary_cross_entropy": OpSpec(  # p away from 0 and 1 (where the logs are clamped)
        lambda p, y, **k: F.binary_cross_entropy(p, y, **k),
        np_binary_cross_entropy,
        shapes_stack().map(lambda s: s[:1] * 2),
        each(uniform(0.05, 0.95), uniform(0.0, 1.0)),
        args=_reduction_only,
    ),
    "binary_cross_entropy_with_logits": OpSpec(
        lambda z, y, **k: F.binary_cross_entropy_with_logits(z, y, **k),
        np_binary_cross_entropy_with_logits,
        shapes_stack().map(lambda s: s[:1] * 2),
        each(uniform(-4.0, 4.0), uniform(0.0, 1.0)),
        args=_reduction_only,
    ),
    # --- attention (nn.functional -> ops/attention.py) ---
    "scaled_dot_product_attention": OpSpec(
        lambda q, k, v, **a: F.scaled_dot_product_attention(q, k, v, **a),
        np_attention,
        shapes_attention(),
        args=_attention_args,
    ),
    "scaled_dot_product_attention:float_mask": OpSpec(  # the mask gets dL/dscores
        lambda q, k, v, bias, **a: F.scaled_dot_product_attention(q, k, v, attn_mask=bias, **a),
        np_attention,
        shapes_attention(float_mask=True),
        args=lambda s: st.fixed_dictionaries({"scale": st.sampled_from([None, 0.37])}),
    ),
    # ------------------------------------------------------------------------------------------
    # Convolutional networks (ops/conv.py, ops/pooling.py, ops/normalization_batch.py).
    # The NumPy references take sliding windows (np.lib.stride_tricks.sliding_window_view) and
    # sum or reduce over them directly, independently of minigrad's im2col. Shapes are drawn so
    # that every window fits (length >= 2·(k - 1) + 1, as dilation <= 2); the groups follow from
    # the shapes (C = groups · weight.shape[1]). Many more strides, paddings, dilations and
    # groups are compared with PyTorch in tests/nn/test_nn_conv.py.
    # ------------------------------------------------------------------------------------------
    "conv1d": OpSpec(
        lambda x, w, b, **k: mg.ops.conv.conv1d(x, w, b, **k),
        # x split by group (N, g, C/g, L) -> windows (N, g, C/g, Lo, K), summed against
        # W (g, O/g, C/g, K) -> (N, g, O/g, Lo) -> (N, O, Lo)
        lambda x, w, b, stride, padding, dilation, groups: (
            (
                y := np.einsum(
                    "ngclk,gock->ngol",
                    np.lib.stride_tricks.sliding_window_view(
                        np.pad(
                            x.reshape(x.shape[0], groups, -1, x.shape[2]),
                            [(0, 0)] * 3 + [(padding, padding)],
                        ),
                        dilation * (w.shape[2] - 1) + 1,
                        axis=3,
                    )[..., ::stride, ::dilation],
                    w.reshape(groups, -1, *w.shape[1:]),
                )
            ).reshape(x.shape[0], -1, y.shape[3])
            + b[:, None]
        ),
        # (n, groups, c per group, o per group, k, extra length) -> the shapes of x, W and b
        st.tuples(*[st.integers(1, 2)] * 4, st.integers(1, 3), st.integers(0, 2)).map(
            lambda t: (
                (t[0], t[1] * t[2], 2 * t[4] - 1 + t[5]),
                (t[1] * t[3], t[2], t[4]),
                (t[1] * t[3],),
            )
        ),
        args=lambda s: st.fixed_dictionaries(
            {
                "stride": st.integers(1, 2),
                "padding": st.integers(0, 1),
                "dilation": st.integers(1, 2),
                "groups": st.just(s[0][1] // s[1][1]),
            }
        ),
    ),
    "conv2d": OpSpec(
        lambda x, w, b, **k: mg.ops.conv.conv2d(x, w, b, **k),
        # x split by group (N, g, C/g, H, W) -> windows (N, g, C/g, Ho, Wo, kh, kw), summed
        # against W (g, O/g, C/g, kh, kw) -> (N, g, O/g, Ho, Wo) -> (N, O, Ho, Wo)
        lambda x, w, b, stride, padding, dilation, groups: (
            (
                y := np.einsum(
                    "ngchwij,gocij->ngohw",
                    np.lib.stride_tricks.sliding_window_view(
                        np.pad(
                            x.reshape(x.shape[0], groups, -1, *x.shape[2:]),
                            [(0, 0)] * 3 + [(padding, padding)] * 2,
                        ),
                        (dilation * (w.shape[2] - 1) + 1, dilation * (w.shape[3] - 1) + 1),
                        axis=(3, 4),
                    )[..., ::stride, ::stride, ::dilation, ::dilation],
                    w.reshape(groups, -1, *w.shape[1:]),
                )
            ).reshape(x.shape[0], -1, *y.shape[3:])
            + b[:, None, None]
        ),
        # (n, groups, c per group, o per group, kh, kw, extra height, extra width)
        st.tuples(*[st.integers(1, 2)] * 4, *[st.integers(1, 3)] * 2, *[st.integers(0, 1)] * 2).map(
            lambda t: (
                (t[0], t[1] * t[2], 2 * t[4] - 1 + t[6], 2 * t[5] - 1 + t[7]),
                (t[1] * t[3], t[2], t[4], t[5]),
                (t[1] * t[3],),
            )
        ),
        args=lambda s: st.fixed_dictionaries(
            {
                "stride": st.integers(1, 2),
                "padding": st.integers(0, 1),
                "dilation": st.integers(1, 2),
                "groups": st.just(s[0][1] // s[1][1]),
            }
        ),
    ),
    # Pooling: inputs of length >= 5 so that a kernel of 3 with dilation 2 fits; max pooling
    # draws distinct values (TIES), so that no window has two maxima.
    "max_pool1d": OpSpec(
        lambda x, **k: mg.ops.pooling.max_pool1d(x, **k),
        lambda x, kernel_size, stride, padding, dilation: np.lib.stride_tricks.sliding_window_view(
            np.pad(x, [(0, 0), (0, 0), (padding, padding)], constant_values=-np.inf),
            dilation * (kernel_size - 1) + 1,
            axis=2,
        )[..., ::stride, ::dilation].max(axis=-1),
        st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(5, 6)).map(lambda s: (s,)),
        TIES,
        args=_pool_args(dilation=True),
    ),
    "max_pool2d": OpSpec(
        lambda x, **k: mg.ops.pooling.max_pool2d(x, **k),
        lambda x, kernel_size, stride, padding, dilation: np.lib.stride_tricks.sliding_window_view(
            np.pad(x, [(0, 0), (0, 0)] + [(padding, padding)] * 2, constant_values=-np.inf),
            (dilation * (kernel_size - 1) + 1,) * 2,
            axis=(2, 3),
        )[..., ::stride, ::stride, ::dilation, ::dilation].max(axis=(-2, -1)),
        st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(5, 6), st.integers(5, 6)).map(
            lambda s: (s,)
        ),
        TIES,
        args=_pool_args(dilation=True),
    ),
    "avg_pool1d": OpSpec(
        lambda x, **k: mg.ops.pooling.avg_pool1d(x, **k),
        lambda x, kernel_size, stride, padding: np.lib.stride_tricks.sliding_window_view(
            np.pad(x, [(0, 0), (0, 0), (padding, padding)]), kernel_size, axis=2
        )[..., ::stride, :].mean(axis=-1),
        st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(3, 6)).map(lambda s: (s,)),
        args=_pool_args(dilation=False),
    ),
    "avg_pool2d": OpSpec(
        lambda x, **k: mg.ops.pooling.avg_pool2d(x, **k),
        lambda x, kernel_size, stride, padding: np.lib.stride_tricks.sliding_window_view(
            np.pad(x, [(0, 0), (0, 0)] + [(padding, padding)] * 2), (kernel_size,) * 2, axis=(2, 3)
        )[..., ::stride, ::stride, :, :].mean(axis=(-2, -1)),
        st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(3, 5), st.integers(3, 5)).map(
            lambda s: (s,)
        ),
        args=_pool_args(dilation=False),
    ),
    # Adaptive pooling: window i of n over a length L is [floor(i·L/n), ceil((i+1)·L/n)).
    "adaptive_avg_pool1d": OpSpec(
        lambda x, output_size: mg.ops.pooling.adaptive_avg_pool1d(x, output_size),
        lambda x, output_size: np.stack(
            [
                x[
                    ..., i * x.shape[2] // output_size : -(-(i + 1) * x.shape[2] // output_size)
                ].mean(axis=-1)
                for i in range(output_size)
            ],
            axis=-1,
        ),
        st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 7)).map(lambda s: (s,)),
        args=lambda s: st.fixed_dictionaries({"output_size": st.integers(1, 5)}),
    ),
    "adaptive_avg_pool2d": OpSpec(
        lambda x, output_size: mg.ops.pooling.adaptive_avg_pool2d(x, output_size),
        lambda x, output_size: np.stack(
            [
                np.stack(
                    [
                        x[
                            ...,
                            i * x.shape[2] // output_size[0] : -(
                                -(i + 1) * x.shape[2] // output_size[0]
                            ),
                            j * x.shape[3] // output_size[1] : -(
                                -(j + 1) * x.shape[3] // output_size[1]
                            ),
                        ].mean(axis=(-2, -1))
                        for j in range(output_size[1])
                    ],
                    axis=-1,
                )
                for i in range(output_size[0])
            ],
            axis=-2,
        ),
        st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5)).map(
            lambda s: (s,)
        ),
        args=lambda s: st.fixed_dictionaries(
            {"output_size": st.tuples(st.integers(1, 3), st.integers(1, 3))}
        ),
    ),
    # batch_norm over (N, C), (N, C, L) or (N, C, H, W) with N·spatial >= 2. Training: batch
    # statistics (values kept apart, so no channel is constant); eval: running statistics
    # (given as arguments in the input's dtype; no gradient flows to them, as in PyTorch).
    "batch_norm": OpSpec(
        lambda x, w, b: mg.ops.normalization_batch.batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: (
            (x - x.mean(axis=(0, *range(2, x.ndim)), keepdims=True))
            / np.sqrt(x.var(axis=(0, *range(2, x.ndim)), keepdims=True) + 1e-5)
            * w.reshape(1, -1, *[1] * (x.ndim - 2))
            + b.reshape(1, -1, *[1] * (x.ndim - 2))
        ),
        st.tuples(st.integers(2, 3), st.integers(1, 3), st.sampled_from([(), (3,), (2, 2)])).map(
            lambda t: ((t[0], t[1], *t[2]), (t[1],), (t[1],))
        ),
        TIES,
    ),
    "batch_norm:eval": OpSpec(
        lambda x, w, b, mean, var: mg.ops.normalization_batch.batch_norm(
            x, mean.astype(x.dtype), var.astype(x.dtype), w, b, training=False
        ),
        lambda x, w, b, mean, var: (
            (x - mean.reshape(1, -1, *[1] * (x.ndim - 2)))
            / np.sqrt(var.reshape(1, -1, *[1] * (x.ndim - 2)) + 1e-5)
            * w.reshape(1, -1, *[1] * (x.ndim - 2))
            + b.reshape(1, -1, *[1] * (x.ndim - 2))
        ),
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.sampled_from([(), (3,), (2, 2)])).map(
            lambda t: ((t[0], t[1], *t[2]), (t[1],), (t[1],))
        ),
        args=lambda s: st.fixed_dictionaries(
            {
                "mean": hnp.arrays(np.float64, s[1], elements=_floats(-1, 1)).map(Dev),
                "var": hnp.arrays(np.float64, s[1], elements=_floats(0.5, 2)).map(Dev),
            }
        ),
    ),
    # Padding (ops/padding.py): constant widths from the last axis backwards; negative crops.
    "pad": OpSpec(
        lambda x, **k: mg.ops.padding.pad(x, **k),
        lambda x, pad, value: np_pad(x, pad, value),
        args=lambda s: _pad_args(s[0]),
    ),
}


def _pad_args(shape):
    """pad widths for the last k axes (k drawn), -1..2 each (no crop of a side-1 axis)."""

    def widths(n):
        low = -1 if n >= 2 else 0
        return st.tuples(st.integers(low, 2), st.integers(low, 2))

    def for_k(k):
        pairs = st.tuples(*[widths(shape[-1 - i]) for i in range(k)])
        return st.fixed_dictionaries(
            {
                "pad": pairs.map(lambda ps: tuple(w for pair in ps for w in pair)),
                "value": st.sampled_from([0.0, 1.5]),
            }
        )

    return st.integers(0, len(shape)).flatmap(for_k)


def np_pad(x, pad, value):
    """F.pad in NumPy: crop for negative widths, then np.pad for the positive ones."""
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    x = x[tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))]
    if x.ndim == 0:  # np.pad refuses an empty list of widths
        return x.copy()
    return np.pad(x, [(max(b, 0), max(a, 0)) for b, a in widths], constant_values=value)


# ----------------------------------------------------------------------------------------------
# Sorting, scans, indexing along a dim, matrix ops, moving elements and more elementwise
# functions (ops/sorting.py, scan.py, indexing.py, linalg.py, movement.py, unary.py). Their
# PyTorch cross-checks live in tests/engine/test_engine_ops_*.py; here: random shapes and
# arguments against NumPy, and the gradient factory.
# ----------------------------------------------------------------------------------------------


@st.composite
def _rank_args(draw, shapes, low):
    """An axis and a k in [low, size of that axis] (topk: low=0, kthvalue: low=1)."""
    (shape,) = shapes
    axis = draw(_axis(len(shape)))
    return {"axis": axis, "k": draw(st.integers(low, shape[axis]))}


@st.composite
def _along_axis_index_args(draw, shapes, repeats=True):
    """An axis and an int64 index shaped like the input, entries in range along the axis
    (repeats=False: each row along the axis a permutation, for scatter)."""
    shape = shapes[0]
    axis = draw(_axis(len(shape)))
    n = shape[axis]
    if repeats:
        index = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, n - 1)))
    else:
        keys = distinct()(draw, shapes[:1])[0]
        index = np.argsort(keys, axis=axis)
    return {"axis": axis, "index": Dev(index.astype(np.int64))}


def _np_along_axis(index, axis):
    return tuple(
        index
        if d == axis % index.ndim
        else np.arange(s).reshape([-1 if e == d else 1 for e in range(index.ndim)])
        for d, s in enumerate(index.shape)
    )


def np_scatter(a, src, axis, index):
    out = a.copy()
    out[_np_along_axis(index, axis)] = src
    return out


def np_scatter_add(a, src, axis, index):
    out = a.copy()
    np.add.at(out, _np_along_axis(index, axis), src)
    return out


@st.composite
def _index_select_args(draw, shapes):
    (shape,) = shapes
    axis = draw(_axis(len(shape)))
    count = draw(st.integers(0, 5))
    index = draw(hnp.arrays(np.int64, (count,), elements=st.integers(0, shape[axis] - 1)))
    return {"axis": axis, "index": Dev(index)}


@st.composite
def _select_mask_args(draw, shapes):
    return {"mask": Dev(draw(hnp.arrays(np.bool_, shapes[0])))}


def _diagonal_args(shapes):
    return st.fixed_dictionaries({"diagonal": st.integers(-3, 3)})


@st.composite
def _norm_args(draw, shapes):
    ndim = len(shapes[0])
    return {
        "p": draw(st.sampled_from(["fro", 2, 1, 3, 1.5])),
        "dim": draw(_axes(ndim)),
        "keepdim": draw(st.booleans()),
    }


def np_norm(a, p, dim, keepdim):
    p = 2 if p == "fro" else p
    return (np.abs(a) ** p).sum(axis=dim, keepdims=keepdim) ** (1 / p)


# einsum: each drawn shape tuple names its equation (the shapes differ from equation to equation)
_EINSUM = {
    ((2, 3), (3, 4)): "ij,jk->ik",
    ((2, 2, 3), (2, 3, 2)): "bij,bjk->bik",
    ((3, 2),): "ij->ji",
    ((3, 3),): "ii",
    ((4, 4),): "ii->i",
    ((2, 4),): "ij->i",
    ((3,), (2,)): "i,j->ij",
    ((2, 3), (3, 2), (2, 2)): "bi,ij,bj->b",
    ((2, 2, 3), (3, 4)): "iij,jk->ik",
}


@st.composite
def _flip_args(draw, shapes):
    ndim = len(shapes[0])
    return {"dims": draw(hnp.valid_tuple_axes(ndim, min_size=1))}


@st.composite
def _roll_args(draw, shapes):
    ndim = len(shapes[0])
    dims = draw(hnp.valid_tuple_axes(ndim, min_size=1))
    shifts = tuple(draw(st.integers(-5, 5)) for _ in dims)
    return {"shifts": shifts, "dims": dims}


@st.composite
def _repeat_args(draw, shapes):
    ndim = len(shapes[0])
    extra = draw(st.integers(0, 1))
    return {"sizes": tuple(draw(st.integers(1, 3)) for _ in range(ndim + extra))}


AWAY_FROM_JUMPS = signed_bands((0.1, 0.4), (0.6, 0.9), (1.1, 1.4), (1.6, 1.9))  # not n, n + 1/2

SPECS.update(
    {
        "sort": OpSpec(
            lambda a, axis, descending: a.sort(dim=axis, descending=descending).values,
            lambda a, axis, descending: (
                np.flip(np.sort(a, axis), axis) if descending else np.sort(a, axis)
            ),
            shapes_1(min_dims=1),
            TIES,
            args=axis_args(descending=st.booleans()),
        ),
        "topk": OpSpec(
            lambda a, axis, k: a.topk(k, dim=axis).values,
            lambda a, axis, k: np.take(np.flip(np.sort(a, axis), axis), range(k), axis=axis),
            shapes_1(min_dims=1),
            TIES,
            args=lambda s: _rank_args(s, low=0),
        ),
        "kthvalue": OpSpec(
            lambda a, axis, k: a.kthvalue(k, dim=axis).values,
            lambda a, axis, k: np.take(np.sort(a, axis), k - 1, axis=axis),
            shapes_1(min_dims=1),
            TIES,
            args=lambda s: _rank_args(s, low=1),
        ),
        "cumsum": OpSpec(
            lambda a, axis: a.cumsum(axis), np.cumsum, shapes_1(min_dims=1), args=axis_args()
        ),
        "cumprod": OpSpec(
            lambda a, axis: a.cumprod(axis), np.cumprod, shapes_1(min_dims=1), args=axis_args()
        ),
        "gather": OpSpec(
            lambda a, axis, index: a.gather(axis, index),
            lambda a, axis, index: np.take_along_axis(a, index, axis),
            shapes_1(min_dims=1),
            args=_along_axis_index_args,
        ),
        "scatter": OpSpec(  # no repeated places: which write wins would be undefined
            lambda a, src, axis, index: a.scatter(axis, index, src),
            np_scatter,
            shapes_1(min_dims=1).map(lambda s: s * 2),
            args=lambda s: _along_axis_index_args(s, repeats=False),
        ),
        "scatter_add": OpSpec(
            lambda a, src, axis, index: a.scatter_add(axis, index, src),
            np_scatter_add,
            shapes_1(min_dims=1).map(lambda s: s * 2),
            args=_along_axis_index_args,
        ),
        "index_select": OpSpec(
            lambda a, axis, index: a.index_select(axis, index),
            lambda a, axis, index: np.take(a, index, axis=axis),
            shapes_1(min_dims=1),
            args=_index_select_args,
        ),
        "masked_select": OpSpec(
            lambda a, mask: a.masked_select(mask),
            lambda a, mask: a[mask],
            args=_select_mask_args,
        ),
        "tril": OpSpec(
            lambda a, diagonal: a.tril(diagonal),
            lambda a, diagonal: np.tril(a, diagonal),
            shapes_1(min_dims=2),
            args=_diagonal_args,
        ),
        "triu": OpSpec(
            lambda a, diagonal: a.triu(diagonal),
            lambda a, diagonal: np.triu(a, diagonal),
            shapes_1(min_dims=2),
            args=_diagonal_args,
        ),
        "diag": OpSpec(
            lambda a, diagonal: a.diag(diagonal),
            lambda a, diagonal: np.diag(a, diagonal),
            shapes_1(min_dims=1, max_dims=2),
            args=_diagonal_args,
        ),
        "outer": OpSpec(
            mg.outer,
            np.outer,
            st.tuples(shapes_1(1, 1), shapes_1(1, 1)).map(lambda pair: (pair[0][0], pair[1][0])),
        ),
        "norm": OpSpec(
            lambda a, p, dim, keepdim: a.norm(p, dim, keepdim),
            np_norm,
            shapes_1(min_dims=1),
            each(KINK),
            args=_norm_args,
        ),
        "einsum": OpSpec(
            lambda *ts, equation: mg.einsum(equation, *ts),
            lambda *xs, equation: np.einsum(equation, *xs),
            st.sampled_from(sorted(_EINSUM)),
            args=lambda s: st.fixed_dictionaries({"equation": st.just(_EINSUM[s])}),
        ),
        "flip": OpSpec(
            lambda a, dims: a.flip(dims),
            lambda a, dims: np.flip(a, dims),
            shapes_1(min_dims=1),
            args=_flip_args,
        ),
        "roll": OpSpec(
            lambda a, shifts, dims: a.roll(shifts, dims),
            lambda a, shifts, dims: np.roll(a, shifts, dims),
            shapes_1(min_dims=1),
            args=_roll_args,
        ),
        "repeat": OpSpec(
            lambda a, sizes: a.repeat(*sizes),
            lambda a, sizes: np.tile(a, sizes),
            args=_repeat_args,
        ),
        "log2": OpSpec(mg.log2, np.log2, values=each(POS)),
        "log10": OpSpec(mg.log10, np.log10, values=each(POS)),
        "exp2": OpSpec(mg.exp2, np.exp2),
        "log1p": OpSpec(mg.log1p, np.log1p, values=each(POS)),
        "expm1": OpSpec(mg.expm1, np.expm1),
        "sin": OpSpec(mg.sin, np.sin),
        "cos": OpSpec(mg.cos, np.cos),
        "tan": OpSpec(mg.tan, np.tan, values=each(uniform(-1.2, 1.2))),
        "sign": OpSpec(mg.sign, np.sign, values=each(AWAY_FROM_JUMPS)),
        "floor": OpSpec(mg.floor, np.floor, values=each(AWAY_FROM_JUMPS)),
        "ceil": OpSpec(mg.ceil, np.ceil, values=each(AWAY_FROM_JUMPS)),
        "round": OpSpec(mg.round, np.round, values=each(AWAY_FROM_JUMPS)),
        "trunc": OpSpec(mg.trunc, np.trunc, values=each(AWAY_FROM_JUMPS)),
    }
)


def registry_name(key: str) -> str:
    """'getitem:int_array' -> 'getitem'."""
    return key.split(":")[0]


# ----------------------------------------------------------------------------------------------
# Drawing a case, and the factory
# ----------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One drawn example: NumPy float64 inputs and the op's non-tensor arguments."""

    arrays: list[np.ndarray]
    args: dict

    def tensors(self, device, dtype=mg.float64, requires_grad=True):
        return [
            mg.tensor(a.astype(dtype), dtype=dtype, requires_grad=requires_grad, device=device)
            for a in self.arrays
        ]


def draw_case(spec: OpSpec, data) -> Case:
    shapes = data.draw(spec.shapes, label="shapes")
    arrays = spec.values(data.draw, shapes)
    args = data.draw(spec.args(shapes), label="args")
    return Case(arrays, args)


def reference(spec: OpSpec, case: Case) -> tuple[np.ndarray, ...]:
    """The op computed by NumPy in float64, as a tuple of arrays."""
    return tuple(np.asarray(r) for r in as_tuple(spec.ref(*case.arrays, **to_numpy(case.args))))


def call(spec: OpSpec, case: Case, tensors, device) -> tuple:
    return as_tuple(spec.call(*tensors, **to_device(case.args, device)))


def check_gradient(spec: OpSpec, device: str, data) -> None:
    """The MyGrad-style factory body: gradcheck one op on one drawn case, plus invariants."""
    case = draw_case(spec, data)
    tensors = case.tensors(device)
    args = to_device(case.args, device)

    def fn(*ts):
        return spec.call(*ts, **args)

    # 1. the analytic Jacobian equals the numerical one (minigrad's own checker)
    assert mg.gradcheck(fn, tuple(tensors), eps=spec.eps) is True

    # 2. one backward with a random upstream gradient u
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    for t in tensors:
        t.grad = None
    outs = as_tuple(fn(*tensors))
    upstream = [rng.standard_normal(o.shape) for o in outs]
    mg.autograd.backward(
        list(outs), [mg.tensor(u, dtype=mg.float64, device=device) for u in upstream]
    )
    grads = []
    for t, a in zip(tensors, case.arrays, strict=True):
        np.testing.assert_array_equal(t.numpy(), a, err_msg="the op mutated its input")
        assert t.grad is not None, "an input that requires grad got no gradient"
        g = grad_numpy(t)
        assert g.shape == t.shape, f"grad shape {g.shape} != input shape {t.shape}"
        assert g.dtype == np.float64, f"grad dtype {g.dtype} != float64"
        grads.append(g)
    if device == "cpu":
        raw = [t.grad for t in tensors]
        for i in range(len(raw)):
            assert not np.shares_memory(raw[i], tensors[i].array), ".grad aliases the input"
            for j in range(i + 1, len(raw)):
                assert not np.shares_memory(raw[i], raw[j]), "two inputs share one .grad buffer"

    # 3. independent dot-product test in NumPy: <u, J v> (central difference) == <J^T u, v>
    eps = spec.eps
    v = [rng.standard_normal(a.shape) for a in case.arrays]
    with mg.no_grad():
        plus = as_tuple(
            fn(
                *[
                    mg.tensor(a + eps * d, dtype=mg.float64, device=device)
                    for a, d in zip(case.arrays, v, strict=True)
                ]
            )
        )
        minus = as_tuple(
            fn(
                *[
                    mg.tensor(a - eps * d, dtype=mg.float64, device=device)
                    for a, d in zip(case.arrays, v, strict=True)
                ]
            )
        )
    jv = sum(
        float(np.sum(u * (p.numpy() - m.numpy()))) / (2 * eps)
        for u, p, m in zip(upstream, plus, minus, strict=True)
    )
    jtu = sum(float(np.sum(g * d)) for g, d in zip(grads, v, strict=True))
    scale = sum(float(np.sum(np.abs(g * d))) for g, d in zip(grads, v, strict=True))
    assert abs(jv - jtu) <= 1e-6 + spec.rtol * scale, f"<u, Jv> = {jv} but <J^T u, v> = {jtu}"
