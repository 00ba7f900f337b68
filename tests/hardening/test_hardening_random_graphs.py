"""Random computation graphs: fuzzing the engine with programs built from the op registry.

A hypothesis strategy (`programs`) writes random, well-typed programs: leaves of random shapes,
then steps that each apply one op (or a small guarded combination of ops) from
`minigrad.ops.REGISTRY` to values computed so far -- with broadcasting, indexing, reductions and,
above all, REUSE of earlier values, so that the graph is a DAG and not a tree. The outputs are
every value that no later step uses.

For each program the tests check that
  * `minigrad.gradcheck` passes in float64 (every leaf, every output, random cotangents);
  * fan-out is a sum: a leaf used k times gets the sum of the gradients of k separate copies, and
    a DAG gives the same leaf gradients as the tree that recomputes every shared value;
  * two backward passes with retain_graph=True give exactly twice the gradients of one;
  * under no_grad nothing is recorded, and the values are bit-identical.

The program is generated while being run on its own leaf values, so each step is chosen to be
valid *there*: kinks (relu, abs, clip, max, maximum) are shifted at least MARGIN away from every
value, poles and domains are guarded (log(x^2 + 1/2)), and steps whose values would blow up are
dropped. Finite differences therefore never straddle a non-differentiable point.

Failures found while developing are kept below as explicit regression tests (hypothesis prints
the failing program as a `Program(...)` expression that can be pasted into one).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import minigrad as mg

MARGIN = 1e-3  # the least distance from any value to a kink (gradcheck's eps is 1e-6)
BOUND = 1e3  # steps whose values exceed this (or are not finite) are not kept
MAX_SIZE = 48  # steps whose outputs would have more elements are not kept
LEAF_SHAPES = [(), (2,), (3,), (2, 3), (3, 2), (3, 1), (1, 3), (2, 1, 3), (2, 2, 3)]


# ----------------------------------------------------------------------------------------------
# Programs
# ----------------------------------------------------------------------------------------------


@dataclass
class Step:
    """value = OPS[op].apply(values[inputs...], params)."""

    op: str
    inputs: tuple
    params: dict = field(default_factory=dict)


@dataclass
class Program:
    """Leaves (shapes and a seed for their values), then steps; outputs are the unused values."""

    leaf_shapes: tuple
    seed: int
    steps: list

    def leaves(self, dtype=mg.float64):
        rng = np.random.default_rng(self.seed)
        return [
            mg.tensor(rng.uniform(-1.5, 1.5, size=shape), dtype=dtype, requires_grad=True)
            for shape in self.leaf_shapes
        ]

    @property
    def outputs(self):
        """Indices of the values no step uses (leaves excluded): the program's results."""
        used = {i for step in self.steps for i in step.inputs}
        first = len(self.leaf_shapes)
        return [i for i in range(first, first + len(self.steps)) if i not in used]

    def run(self, leaves, mode="dag"):
        """Run on the given leaf tensors; return (outputs, every value).

        mode "dag":    each value is computed once and shared by all its uses (normal code)
        mode "untie":  every use of a leaf gets its own copy: a new leaf (returned as `copies`)
        mode "tree":   every use of a computed value recomputes it from the leaves
        """
        n = len(self.leaf_shapes)
        copies = {i: [] for i in range(n)}

        def leaf_use(i):
            if mode != "untie":
                return leaves[i]
            copy = mg.tensor(leaves[i].numpy().copy(), requires_grad=True)
            copies[i].append(copy)
            return copy

        values = list(leaves)

        def value(i):
            if i < n:
                return leaf_use(i)
            if mode == "tree":
                step = self.steps[i - n]
                return OPS[step.op].apply([value(j) for j in step.inputs], step.params)
            return values[i]

        for step in self.steps:
            out = OPS[step.op].apply([value(j) for j in step.inputs], step.params)
            values.append(out)
        outputs = tuple(value(i) if mode == "tree" else values[i] for i in self.outputs)
        return outputs, values, copies

    def __repr__(self):
        steps = ",\n        ".join(repr(s) for s in self.steps)
        return (
            f"Program(leaf_shapes={self.leaf_shapes!r}, seed={self.seed},\n"
            f"    steps=[\n        {steps},\n    ])"
        )


# ----------------------------------------------------------------------------------------------
# The ops a program can use. `choose` looks at the input values (float64 NumPy arrays) and
# returns the step's parameters, or None when the op does not fit there; `apply` runs it.
# ----------------------------------------------------------------------------------------------


@dataclass
class OpKind:
    arity: int  # 1, or 2 (the second input is chosen among values that broadcast with the first)
    apply: callable
    choose: callable = lambda draw, arrays: {}
    registry: tuple = ()  # the REGISTRY ops it exercises (checked by a meta-test)


def _margin(values, kink):
    """The distance of the values from `kink` (inf for an empty array)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.min(np.abs(values - kink))) if values.size else np.inf


def _choose_shift(draw, arrays):
    """A point at least MARGIN away from every value (for relu / abs), or None."""
    (x,) = arrays
    candidates = [s for s in (0.0, 0.1, -0.1, 0.37, -0.37, 0.81) if _margin(x, s) > MARGIN]
    return {"shift": draw(st.sampled_from(candidates))} if candidates else None


def _choose_clip(draw, arrays):
    (x,) = arrays
    points = [p for p in (-0.9, -0.3, 0.0, 0.25, 0.6, 1.1) if _margin(x, p) > MARGIN]
    if len(points) < 2:
        return None
    lo, hi = sorted(draw(st.lists(st.sampled_from(points), min_size=2, max_size=2, unique=True)))
    which = draw(st.sampled_from(["both", "lo", "hi"]))
    return {"lo": None if which == "hi" else lo, "hi": None if which == "lo" else hi}


def _choose_pad(draw, arrays):
    """F.pad on the last axis: up to 1 more on each side, or crop 1 before (when it has 2+)."""
    (x,) = arrays
    if x.ndim == 0:
        return None
    before = draw(st.integers(-1 if x.shape[-1] >= 2 else 0, 1))
    return {"pad": (before, draw(st.integers(0, 1)))}


def _choose_pair_kink(draw, arrays):
    """maximum / minimum: the two inputs must differ by MARGIN or be exactly equal (a tie of
    one value with itself, whose gradient is split but sums correctly)."""
    a, b = np.broadcast_arrays(*arrays)
    gap = np.abs(a - b)
    return {} if np.all((gap == 0) | (gap > MARGIN)) else None


def _draw_axes(draw, ndim, allow_none=True, allow_tuple=True):
    options = []
    if allow_none:
        options.append(None)
    options += list(range(-ndim, ndim))
    if allow_tuple and ndim >= 2:
        options += [(0, ndim - 1), tuple(range(ndim))]
    return draw(st.sampled_from(options)) if options else None


def _reduced_count(shape, axis):
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _choose_reduction(draw, arrays):
    (x,) = arrays
    return {"axis": _draw_axes(draw, x.ndim), "keepdims": draw(st.booleans())}


def _choose_var(draw, arrays):
    (x,) = arrays
    params = _choose_reduction(draw, arrays)
    params["correction"] = draw(st.sampled_from([0, 1]))
    if _reduced_count(x.shape, params["axis"]) <= params["correction"]:
        return None  # n - correction <= 0: the variance is nan by definition
    return params


def _choose_std(draw, arrays):
    """std is a cone at zero spread: every result must be exactly 0 (a constant group, whose
    gradient is defined as 0) or at least MARGIN."""
    params = _choose_var(draw, arrays)
    if params is None:
        return None
    (x,) = arrays
    spread = np.std(x, axis=params["axis"], ddof=params["correction"])
    return params if np.all((spread == 0) | (spread > MARGIN)) else None


def _choose_extreme(draw, arrays):
    """max / min: within each reduced group the two largest values must not nearly tie."""
    (x,) = arrays
    params = _choose_reduction(draw, arrays)
    axis = params["axis"]
    axes = tuple(range(x.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    axes = tuple(a % max(x.ndim, 1) for a in axes) if x.ndim else ()
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    groups = np.transpose(x, rest + axes).reshape(
        int(np.prod([x.shape[a] for a in rest], dtype=np.int64)), -1
    )
    ordered = np.sort(groups, axis=1)
    for row in ordered:
        for top in (row[::-1], row):  # max and min
            gaps = np.abs(np.diff(top[:2])) if top.size > 1 else np.array([np.inf])
            if np.any((gaps != 0) & (gaps <= MARGIN)):
                return None
    return params


def _choose_extreme_along(draw, arrays):
    """max / min along one axis (values, indices): no near-ties within each reduced row."""
    (x,) = arrays
    if x.ndim == 0:
        return None
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    rows = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis])
    ordered = np.sort(rows, axis=1)
    for top in (ordered[:, ::-1][:, :2], ordered[:, :2]):
        gaps = np.abs(np.diff(top, axis=1)) if top.shape[1] > 1 else np.array([np.inf])
        if np.any((gaps != 0) & (gaps <= MARGIN)):
            return None
    return {"axis": axis, "keepdims": draw(st.booleans())}


def _choose_axis(draw, arrays):
    (x,) = arrays
    if x.ndim == 0:
        return None
    return {"axis": draw(st.integers(-x.ndim, x.ndim - 1))}


def _choose_reshape(draw, arrays):
    (x,) = arrays
    shape = x.shape
    options = [(-1,), (1, *shape), (*shape, 1), tuple(reversed(shape))]
    options.append(tuple(s for s in shape if s != 1))
    # A reshape to the same shape returns its input unchanged (no op is recorded): skip those.
    options = [o for o in options if o != shape and not (o == (-1,) and x.ndim == 1)]
    return {"shape": draw(st.sampled_from(options))} if options else None


def _choose_permute(draw, arrays):
    (x,) = arrays
    if x.ndim < 2:
        return None
    return {"dims": tuple(draw(st.permutations(range(x.ndim))))}


def _choose_broadcast(draw, arrays):
    (x,) = arrays
    target = tuple(2 if s == 1 else s for s in x.shape)
    if draw(st.booleans()) or target == x.shape:
        target = (2, *target)
    if int(np.prod(target)) > MAX_SIZE:
        return None
    return {"shape": target}


def _choose_index(draw, arrays):
    """One of the kinds of index minigrad supports, valid for this shape."""
    (x,) = arrays
    shape = x.shape
    kinds = ["newaxis"]
    if x.ndim >= 1:
        kinds += ["int", "slice", "repeat", "mask"]
    if x.ndim >= 2:
        kinds += ["last_axis", "repeat_2d"]
    kind = draw(st.sampled_from(kinds))
    as_tensor = draw(st.booleans())
    if kind == "newaxis":
        index = draw(st.sampled_from(["None,...", "...,None"]))
    elif kind == "int":
        index = draw(st.integers(-shape[0], shape[0] - 1))
    elif kind == "slice":
        start = draw(st.integers(0, shape[0] - 1))
        index = ("slice", start, shape[0], draw(st.sampled_from([1, 2])))
    elif kind == "repeat":  # integer array with repeated positions: gradients must add up
        positions = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=4))
        index = ("array", tuple(positions), as_tensor)
    elif kind == "mask":
        flags = draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size))
        flags[draw(st.integers(0, x.size - 1))] = True  # never empty
        index = ("mask", tuple(flags), shape)
    elif kind == "last_axis":
        index = ("last_axis", draw(st.integers(0, shape[-1] - 1)))
    else:  # two integer arrays, broadcast together, with a repeat
        rows = draw(st.lists(st.integers(0, shape[0] - 1), min_size=2, max_size=3))
        cols = draw(st.lists(st.integers(0, shape[1] - 1), min_size=2, max_size=3))
        size = min(len(rows), len(cols))
        index = ("repeat_2d", tuple(rows[:size]), tuple(cols[:size]))
    return {"index": index}


def _index(spec):
    """The Python index a spec stands for."""
    if spec == "None,...":
        return (None, Ellipsis)
    if spec == "...,None":
        return (Ellipsis, None)
    if isinstance(spec, int):
        return spec
    kind = spec[0]
    if kind == "slice":
        return slice(spec[1], spec[2], spec[3])
    if kind == "array":
        return mg.tensor(list(spec[1])) if spec[2] else list(spec[1])
    if kind == "mask":
        return mg.tensor(np.array(spec[1], dtype=bool).reshape(spec[2]))
    if kind == "last_axis":
        return (Ellipsis, spec[1])
    return (list(spec[1]), list(spec[2]))


def _choose_mask(draw, arrays):
    (x,) = arrays
    if x.ndim == 0:
        return None
    flags = draw(st.lists(st.booleans(), min_size=x.shape[-1], max_size=x.shape[-1]))
    return {"mask": tuple(flags), "value": draw(st.sampled_from([0.0, -0.5, 2.0]))}


def _choose_where(draw, arrays):
    a, b = np.broadcast_arrays(*arrays)
    if a.ndim == 0:
        return None
    return {
        "cond": tuple(draw(st.lists(st.booleans(), min_size=a.shape[-1], max_size=a.shape[-1])))
    }


def _choose_join(draw, arrays):
    a, b = arrays
    if a.shape != b.shape or a.ndim == 0 or 2 * a.size > MAX_SIZE:
        return None
    return {"axis": draw(st.integers(-a.ndim, a.ndim - 1))}


def _choose_stack(draw, arrays):
    a, b = arrays
    if a.shape != b.shape or 2 * a.size > MAX_SIZE:
        return None
    return {"axis": draw(st.integers(-a.ndim - 1, a.ndim))}


def _choose_matmul(draw, arrays):
    a, b = arrays
    if a.ndim == 0:
        return None
    # a @ b when the shapes multiply; otherwise a @ a^T (always valid): more reuse.
    inner = b.shape[0] if b.ndim == 1 else (b.shape[-2] if b.ndim >= 2 else None)
    if inner == a.shape[-1] and (a.ndim <= 2 or b.ndim <= 2 or a.shape[:-2] == b.shape[:-2]):
        return {"with_transpose": False}
    return {"with_transpose": True}


def _choose_exp(draw, arrays):
    return {} if arrays[0].max(initial=-np.inf) < 4 else None


def _choose_scalar(draw, arrays):
    return {
        "c": draw(st.sampled_from([0.5, -1.25, 2.0])),
        "how": draw(st.sampled_from(["x+c", "c-x", "x*c", "x/c", "c/g", "2**x"])),
    }


def _apply_scalar(xs, p):
    x, c = xs[0], p["c"]
    return {
        "x+c": lambda: x + c,
        "c-x": lambda: c - x,
        "x*c": lambda: x * c,
        "x/c": lambda: x / c,
        "c/g": lambda: c / (x * x + 0.5),
        "2**x": lambda: 2.0**x,
    }[p["how"]]()


def _other_device(x):
    return "strict" if x.device == "cpu" else "cpu"


def _matmul(xs, p):
    a, b = xs
    if p["with_transpose"]:
        b = a if a.ndim == 1 else a.transpose(-1, -2)
    return a @ b


OPS = {
    "neg": OpKind(1, lambda xs, p: -xs[0], registry=("neg",)),
    "exp": OpKind(1, lambda xs, p: xs[0].exp(), _choose_exp, ("exp",)),
    "tanh": OpKind(1, lambda xs, p: xs[0].tanh(), registry=("tanh",)),
    "sigmoid": OpKind(1, lambda xs, p: xs[0].sigmoid(), registry=("sigmoid",)),
    "gelu": OpKind(
        1,
        lambda xs, p: xs[0].gelu(p["approximate"]),
        lambda draw, a: {"approximate": draw(st.sampled_from(["none", "tanh"]))},
        ("gelu",),
    ),
    "log": OpKind(1, lambda xs, p: (xs[0] * xs[0] + 0.5).log(), registry=("log", "mul", "add")),
    "sqrt": OpKind(1, lambda xs, p: (xs[0] * xs[0] + 0.25).sqrt(), registry=("sqrt",)),
    "pow_const": OpKind(
        1,
        lambda xs, p: xs[0] ** p["k"] if p["k"] in (2, 3) else (xs[0] * xs[0] + 0.5) ** p["k"],
        lambda draw, a: {"k": draw(st.sampled_from([2, 3, 0.5, -1.5]))},
        ("pow",),
    ),
    "scalar": OpKind(1, _apply_scalar, _choose_scalar, ("add", "sub", "mul", "div", "pow")),
    "relu": OpKind(1, lambda xs, p: (xs[0] - p["shift"]).relu(), _choose_shift, ("relu",)),
    "leaky_relu": OpKind(
        1,
        lambda xs, p: mg.nn.functional.leaky_relu(xs[0] - p["shift"], 0.1),
        _choose_shift,
        ("leaky_relu",),
    ),
    "abs": OpKind(1, lambda xs, p: (xs[0] - p["shift"]).abs(), _choose_shift, ("abs",)),
    "clip": OpKind(1, lambda xs, p: xs[0].clip(p["lo"], p["hi"]), _choose_clip, ("clip",)),
    "device": OpKind(
        1,
        lambda xs, p: (xs[0].to(_other_device(xs[0])) * 1.5).to(xs[0].device),
        registry=("to_device",),
    ),
    "sum": OpKind(
        1, lambda xs, p: xs[0].sum(p["axis"], p["keepdims"]), _choose_reduction, ("sum",)
    ),
    "mean": OpKind(
        1, lambda xs, p: xs[0].mean(p["axis"], p["keepdims"]), _choose_reduction, ("mean",)
    ),
    "var": OpKind(
        1, lambda xs, p: xs[0].var(p["axis"], p["correction"], p["keepdims"]), _choose_var, ("var",)
    ),
    "std": OpKind(
        1, lambda xs, p: xs[0].std(p["axis"], p["correction"], p["keepdims"]), _choose_std, ("std",)
    ),
    "max": OpKind(
        1,
        lambda xs, p: xs[0].max(p["axis"], p["keepdims"]).values,
        _choose_extreme_along,
        ("max",),
    ),
    "min": OpKind(
        1,
        lambda xs, p: xs[0].min(dim=p["axis"], keepdim=p["keepdims"]).values,
        _choose_extreme_along,
        ("min",),
    ),
    "amax": OpKind(
        1, lambda xs, p: xs[0].amax(p["axis"], p["keepdims"]), _choose_extreme, ("amax",)
    ),
    "amin": OpKind(
        1, lambda xs, p: xs[0].amin(p["axis"], p["keepdims"]), _choose_extreme, ("amin",)
    ),
    "logsumexp": OpKind(
        1,
        lambda xs, p: xs[0].logsumexp(p["axis"], p["keepdims"]),
        _choose_reduction,
        ("logsumexp",),
    ),
    "softmax": OpKind(1, lambda xs, p: xs[0].softmax(p["axis"]), _choose_axis, ("softmax",)),
    "log_softmax": OpKind(
        1, lambda xs, p: xs[0].log_softmax(p["axis"]), _choose_axis, ("log_softmax",)
    ),
    "reshape": OpKind(1, lambda xs, p: xs[0].reshape(p["shape"]), _choose_reshape, ("reshape",)),
    "permute": OpKind(1, lambda xs, p: xs[0].permute(*p["dims"]), _choose_permute, ("permute",)),
    "broadcast_to": OpKind(
        1, lambda xs, p: xs[0].broadcast_to(p["shape"]), _choose_broadcast, ("broadcast_to",)
    ),
    "getitem": OpKind(1, lambda xs, p: xs[0][_index(p["index"])], _choose_index, ("getitem",)),
    "masked_fill": OpKind(
        1,
        lambda xs, p: xs[0].masked_fill(mg.tensor(list(p["mask"])), p["value"]),
        _choose_mask,
        ("masked_fill",),
    ),
    "add": OpKind(2, lambda xs, p: xs[0] + xs[1], registry=("add",)),
    "sub": OpKind(2, lambda xs, p: xs[0] - xs[1], registry=("sub",)),
    "mul": OpKind(2, lambda xs, p: xs[0] * xs[1], registry=("mul",)),
    "div": OpKind(2, lambda xs, p: xs[0] / (xs[1] * xs[1] + 0.5), registry=("div",)),
    "pow": OpKind(2, lambda xs, p: (xs[0] * xs[0] + 0.5) ** xs[1].tanh(), registry=("pow",)),
    "maximum": OpKind(2, lambda xs, p: mg.maximum(xs[0], xs[1]), _choose_pair_kink, ("maximum",)),
    # a in (0.2, 0.8), b <= -1: a / b in (-0.8, 0) never crosses an integer (no jump of a % b)
    "remainder": OpKind(
        2,
        lambda xs, p: (xs[0].tanh() * 0.3 + 0.5) % -(xs[1] * xs[1] + 1.0),
        registry=("remainder",),
    ),
    "minimum": OpKind(2, lambda xs, p: mg.minimum(xs[0], xs[1]), _choose_pair_kink, ("minimum",)),
    "where": OpKind(
        2,
        lambda xs, p: mg.where(mg.tensor(list(p["cond"])), xs[0], xs[1]),
        _choose_where,
        ("where",),
    ),
    "concat": OpKind(
        2, lambda xs, p: mg.concat([xs[0], xs[1]], axis=p["axis"]), _choose_join, ("concat",)
    ),
    "stack": OpKind(
        2, lambda xs, p: mg.stack([xs[0], xs[1]], axis=p["axis"]), _choose_stack, ("stack",)
    ),
    "matmul": OpKind(2, _matmul, _choose_matmul, ("matmul",)),
    "pad": OpKind(
        1, lambda xs, p: mg.nn.functional.pad(xs[0], p["pad"], value=0.25), _choose_pad, ("pad",)
    ),
}

# Hypothesis starts from (and shrinks towards) the first entry: a binary op, so that even the
# simplest programs share values.
OP_NAMES = ["mul"] + sorted(set(OPS) - {"mul"})

# The one registry op the programs leave out, and why.
NOT_IN_PROGRAMS = {
    "cast": "float64 -> float32 -> float64 loses precision, so finite "
    "differences cannot check it; tests/engine checks it directly",
    # Fused layer and loss ops take arguments of particular shapes and kinds (weights,
    # class indices); tests/engine SPECS and the nn/attention tests check their gradients.
    **{
        name: "a fused layer/loss op: gradient-tested in tests/engine SPECS"
        for name in (
            "linear",
            "layer_norm",
            "cross_entropy",
            "cross_entropy_probs",
            "nll_loss",
            "binary_cross_entropy",
            "binary_cross_entropy_with_logits",
            "scaled_dot_product_attention",
        )
    },
    # The in-place machinery's ops: random programs with in-place steps are in
    # tests/engine/test_engine_inplace_random.py.
    **{
        name: "made by in-place changes: fuzzed by tests/engine/test_engine_inplace_random.py"
        for name in ("view", "view_update", "index_put")
    },
    "clone": "the identity on values: tests/engine SPECS",
    **{
        name: "3-d/4-d inputs of particular shapes: tests/engine SPECS and tests/nn/test_nn_conv.py"
        for name in (
            "conv1d",
            "conv2d",
            "max_pool1d",
            "max_pool2d",
            "avg_pool1d",
            "avg_pool2d",
            "adaptive_avg_pool1d",
            "adaptive_avg_pool2d",
            "batch_norm",
        )
    },
}

# Sorting, scans, indexing along a dim, matrix ops, moving elements and more elementwise
# functions: not yet program step kinds (a step kind for them is a follow-up).
NOT_IN_PROGRAMS.update(
    {
        name: "gradient-tested in tests/engine SPECS and against PyTorch in "
        "tests/engine/test_engine_ops_*.py; not yet a random-program step"
        for name in (
            *("sort", "topk", "kthvalue", "cumsum", "cumprod"),
            *("gather", "scatter", "scatter_add", "index_select", "masked_select"),
            *("tril", "triu", "diag", "outer", "norm", "einsum", "flip", "roll", "repeat"),
            *("log2", "log10", "exp2", "log1p", "expm1", "sin", "cos", "tan"),
            *("sign", "floor", "ceil", "round", "trunc"),
        )
    }
)


def _broadcastable(a, b):
    try:
        shape = np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return int(np.prod(shape, dtype=np.int64)) <= MAX_SIZE


@st.composite
def programs(draw, max_steps=8):
    """A random program, generated while running it on its leaf values (see the docstring)."""
    n_leaves = draw(st.integers(1, 3))
    leaf_shapes = tuple(draw(st.sampled_from(LEAF_SHAPES)) for _ in range(n_leaves))
    seed = draw(st.integers(0, 2**16))
    program = Program(leaf_shapes, seed, [])
    with mg.no_grad():
        values = [leaf.numpy() for leaf in program.leaves()]
        target = draw(st.integers(2, max_steps))
        for _ in range(3 * target):  # some attempts do not fit and are skipped
            if len(program.steps) == target:
                break
            name = draw(st.sampled_from(OP_NAMES))
            kind = OPS[name]
            first = draw(st.integers(0, len(values) - 1))
            inputs = (first,)
            if kind.arity == 2:
                partners = [
                    j for j, v in enumerate(values) if _broadcastable(values[first].shape, v.shape)
                ]
                inputs += (draw(st.sampled_from(partners)),)
            params = kind.choose(draw, [values[i] for i in inputs])
            if params is None:
                continue  # this op does not fit these values: draw another step
            out = kind.apply([mg.tensor(values[i], dtype=mg.float64) for i in inputs], params)
            data = out.numpy()
            if data.size > MAX_SIZE or not np.all(np.abs(data) <= BOUND):
                continue
            program.steps.append(Step(name, inputs, params))
            values.append(data)
    if not program.steps:
        program.steps.append(Step("neg", (0,)))
        values.append(-values[0])
    uses = [i for step in program.steps for i in step.inputs]
    if len(uses) == len(set(uses)):  # no value used twice yet: make it a DAG
        last = len(values) - 1
        big = np.abs(values[last]).max(initial=0) > 30
        program.steps.append(Step("add" if big else "mul", (last, last)))
    return program


# ----------------------------------------------------------------------------------------------
# The properties
# ----------------------------------------------------------------------------------------------


def _cotangents(outputs, seed=1):
    rng = np.random.default_rng(seed)
    return [mg.tensor(rng.standard_normal(o.shape), dtype=mg.float64) for o in outputs]


def _host_grad(x):
    """x.grad as a NumPy array on the host (zeros when no gradient arrived)."""
    if x.grad is None:
        return np.zeros(x.shape)
    return x.grad.numpy().copy()


def _leaf_grads(leaves):
    return [_host_grad(x) for x in leaves]


def check_gradcheck(program):
    leaves = program.leaves()
    assert mg.gradcheck(lambda *xs: program.run(xs)[0], leaves)


def check_fan_out(program):
    """Shared leaves and values get the sum of the gradients of their separate uses."""
    uses = [i for step in program.steps for i in step.inputs]
    assert len(uses) > len(set(uses)), "the program has no shared value: nothing to check"
    dag_leaves = program.leaves()
    outputs, _, _ = program.run(dag_leaves)
    mg.autograd.backward(list(outputs), _cotangents(outputs))
    dag = _leaf_grads(dag_leaves)

    untied_leaves = program.leaves()
    outputs, _, copies = program.run(untied_leaves, mode="untie")
    mg.autograd.backward(list(outputs), _cotangents(outputs))
    for i, expected in enumerate(dag):
        total = sum((_host_grad(c) for c in copies[i]), np.zeros(expected.shape))
        np.testing.assert_allclose(total, expected, rtol=1e-10, atol=1e-12)

    tree_leaves = program.leaves()
    outputs, _, _ = program.run(tree_leaves, mode="tree")
    mg.autograd.backward(list(outputs), _cotangents(outputs))
    for tree, expected in zip(_leaf_grads(tree_leaves), dag):
        np.testing.assert_allclose(tree, expected, rtol=1e-10, atol=1e-12)


def check_retain_graph(program):
    """backward twice with retain_graph=True doubles every leaf gradient, exactly; a third
    backward without it still works, and a fourth is an error naming retain_graph."""
    leaves = program.leaves()
    outputs, _, _ = program.run(leaves)
    cotangents = _cotangents(outputs)
    mg.autograd.backward(list(outputs), cotangents, retain_graph=True)
    once = _leaf_grads(leaves)
    mg.autograd.backward(list(outputs), cotangents, retain_graph=True)
    for twice, first in zip(_leaf_grads(leaves), once):
        np.testing.assert_array_equal(twice, 2 * first)
    mg.autograd.backward(list(outputs), cotangents)
    for thrice, first in zip(_leaf_grads(leaves), once):
        np.testing.assert_allclose(thrice, 3 * first, rtol=1e-15, atol=0)
    with pytest.raises(RuntimeError, match="retain_graph"):
        mg.autograd.backward(list(outputs), cotangents)


def check_no_grad(program):
    """Under no_grad every value is a plain tensor with no grad_fn, bit-identical to the
    values computed with the graph recorded."""
    leaves = program.leaves()
    _, recorded, _ = program.run(leaves)
    with mg.no_grad():
        outputs, values, _ = program.run(leaves)
    n = len(program.leaf_shapes)
    for out in outputs:
        assert not out.requires_grad and out.grad_fn is None
    for value, reference in zip(values[n:], recorded[n:]):
        assert value.grad_fn is None and not value.requires_grad
        assert reference.grad_fn is not None
        np.testing.assert_array_equal(value.numpy(), reference.numpy())


@given(programs())
def test_random_programs_pass_gradcheck(program):
    """Every random program's backward agrees with finite differences (float64)."""
    note(repr(program))
    check_gradcheck(program)


@given(programs())
def test_random_programs_fan_out_is_a_sum(program):
    """A value used several times gets the sum of the gradients of its separate uses."""
    note(repr(program))
    check_fan_out(program)


@given(programs())
def test_random_programs_backward_twice_with_retain_graph(program):
    """retain_graph=True lets backward run again and the leaf gradients accumulate exactly."""
    note(repr(program))
    check_retain_graph(program)


@given(programs())
def test_random_programs_under_no_grad_build_no_graph(program):
    """no_grad records nothing and does not change any value."""
    note(repr(program))
    check_no_grad(program)


@given(programs())
def test_random_programs_on_every_device(device, program):
    """The same checks with every tensor of the program on each test device (the strict CuPy
    stand-in included), hopping to the other device and back in "device" steps."""
    note(repr(program))
    mg.set_default_device(device)
    check_gradcheck(program)
    check_fan_out(program)
    check_retain_graph(program)


def test_programs_cover_the_registry():
    """Every op in minigrad.ops.REGISTRY appears in some program step kind (or is listed, with
    a reason, in NOT_IN_PROGRAMS): a new op cannot slip past the fuzzer unnoticed."""
    covered = set(itertools.chain.from_iterable(kind.registry for kind in OPS.values()))
    missing = set(mg.ops.REGISTRY) - covered - set(NOT_IN_PROGRAMS)
    assert not missing, f"ops not exercised by the random programs: {sorted(missing)}"
    assert covered <= set(mg.ops.REGISTRY)


# ----------------------------------------------------------------------------------------------
# Regression tests: explicit programs (shrunk failures and hand-picked DAG shapes)
# ----------------------------------------------------------------------------------------------

REGRESSIONS = {
    # A diamond: one exp feeds both factors of a product.
    "diamond": Program(
        ((2, 3),), 3, [Step("exp", (0,)), Step("sigmoid", (1,)), Step("mul", (1, 2))]
    ),
    # A (3, 1) leaf meets its own transpose: broadcasting in both directions, then reused again.
    "broadcast_with_itself": Program(
        ((3, 1),),
        4,
        [Step("permute", (0,), {"dims": (1, 0)}), Step("add", (0, 1)), Step("mul", (2, 0))],
    ),
    # Repeated integer indices must add their gradients (scatter-add), from a list and a tensor.
    "repeated_indices": Program(
        ((3, 2),),
        5,
        [
            Step("getitem", (0,), {"index": ("array", (0, 0, 2, 0), False)}),
            Step("getitem", (0,), {"index": ("array", (1, 1), True)}),
            Step("sum", (1,), {"axis": 0, "keepdims": False}),
            Step("mul", (3, 2)),
        ],
    ),
    # The same tensor twice in concat, stack and matmul.
    "same_tensor_twice": Program(
        ((2, 3),),
        6,
        [
            Step("concat", (0, 0), {"axis": 1}),
            Step("stack", (0, 0), {"axis": 0}),
            Step("matmul", (0, 0), {"with_transpose": True}),
            Step("sum", (1,), {"axis": None, "keepdims": False}),
            Step("mul", (4, 3)),
        ],
    ),
    # softmax, log_softmax and logsumexp of one value, combined.
    "softmax_family": Program(
        ((2, 3),),
        7,
        [
            Step("softmax", (0,), {"axis": -1}),
            Step("log_softmax", (0,), {"axis": 0}),
            Step("logsumexp", (0,), {"axis": (0, 1), "keepdims": True}),
            Step("add", (1, 2)),
            Step("sub", (4, 3)),
        ],
    ),
    # max / min over exact copies of one value (broadcast, stack): the tie shares the gradient.
    "ties_between_copies": Program(
        ((3,),),
        9,
        [
            Step("broadcast_to", (0,), {"shape": (2, 3)}),
            Step("amax", (1,), {"axis": 0, "keepdims": False}),
            Step("stack", (0, 0), {"axis": 1}),
            Step("amin", (3,), {"axis": None, "keepdims": False}),
            Step("mul", (2, 4)),
        ],
    ),
    # A value that crosses devices and comes back, reused on the way.
    "device_round_trip": Program(
        ((3,),),
        8,
        [
            Step("device", (0,)),
            Step("mul", (1, 0)),
            Step("var", (2,), {"axis": None, "keepdims": False, "correction": 1}),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regression_programs(name):
    """The fixed programs pass every check of the random ones."""
    program = REGRESSIONS[name]
    check_gradcheck(program)
    check_fan_out(program)
    check_retain_graph(program)
    check_no_grad(program)
