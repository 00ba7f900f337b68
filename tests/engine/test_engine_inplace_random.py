"""Random programs that mix ordinary ops with in-place ones, checked two ways.

A program is a short list of steps over a list of live tensors `vals`, which starts as
[x0 (n, n) leaf, x1 (n,) leaf, buf (n, n) zeros that do not require grad]. Each step appends a
new tensor (+ - * / tanh exp sum matmul indexing) or changes one in place (+= -= *= on a
non-leaf or on the buffer, buf[r] = v, or += -= *= through a basic-slice view). Later steps see
the changed values; earlier consumers keep the old ones. The loss is a weighted sum of
tanh(v).sum() over every live tensor.

* Always: the gradients of x0 and x1 equal central finite differences (float64), and the loss
  is the same with and without gradient recording. A program whose backward raises must raise
  PyTorch's saved-tensor error ("modified by an inplace operation") or the leaf-view error.
* With torch installed: PyTorch runs the same program; values, gradients and whether it raises
  must agree.
"""

import operator

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from helpers_engine import grad_numpy
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}
IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul}
VIEWS = ["row", "column", "rows from", "tail"]
FIRST_FREE = 2  # vals[0], vals[1] are the leaves: in-place targets start at the buffer
EPS = 1e-6

# ----------------------------------------------------------------------------------------------
# Drawing a program
# ----------------------------------------------------------------------------------------------

pick = st.integers(0, 30)  # an index into vals, taken modulo len(vals) when the step runs

steps = st.one_of(
    st.tuples(st.just("binary"), st.sampled_from([*ARITHMETIC, "/"]), pick, pick),
    st.tuples(st.just("unary"), st.sampled_from(["tanh", "exp"]), pick),
    st.tuples(st.just("matmul"), pick, pick),
    st.tuples(st.just("sum"), pick),
    st.tuples(st.just("index"), pick, pick),
    st.tuples(st.just("inplace"), st.sampled_from(list(IN_PLACE)), pick, pick),
    st.tuples(st.just("setitem"), pick, pick),
    st.tuples(st.just("view inplace"), st.sampled_from(list(IN_PLACE)), pick, pick, pick),
)


@st.composite
def cases(draw):
    n = draw(st.integers(2, 3))
    values = st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False)
    x0 = draw(hnp.arrays(np.float64, (n, n), elements=values))
    x1 = draw(hnp.arrays(np.float64, (n,), elements=values))
    program = draw(st.lists(steps, min_size=2, max_size=7))
    return n, (x0, x1), program


# ----------------------------------------------------------------------------------------------
# Running a program (the same code for minigrad and torch)
# ----------------------------------------------------------------------------------------------


def broadcasts_to(source, target):
    """Whether an array of shape `source` broadcasts to `target` without changing it."""
    if len(source) > len(target):
        return False
    tail = target[len(target) - len(source) :]
    return all(s in (1, t) for s, t in zip(source, tail, strict=True))


def fit(value, shape):
    """`value` as an operand for an in-place update of a tensor of `shape`.

    Always a new tensor (`* 1.0`): the operand may be a view of the tensor being written, and
    PyTorch refuses an operand that overlaps the memory it writes ("clone() the tensor").
    """
    if broadcasts_to(tuple(value.shape), tuple(shape)):
        return value * 1.0
    if value.ndim == 2 and len(shape) == 1 and value.shape[1] == shape[0]:
        return value.sum(0)
    return value.mean()  # a 0-d value broadcasts to anything


def view_of(base, kind, r):
    """A basic-slice view of `base` (never a copy)."""
    n = base.shape[0]
    if base.ndim == 1 or kind == "tail":
        return base[r % n :]
    if kind == "row":
        return base[r % n]
    if kind == "column":
        return base[:, r % base.shape[1]]
    return base[r % n :]  # "rows from"


def new_value(lib, vals, step):
    """The tensor a step of kind binary/unary/matmul/sum/index appends."""
    kind, *args = step
    if kind == "binary":
        op, i, j = args
        a, b = vals[i % len(vals)], vals[j % len(vals)]
        return a / (b * b + 1.0) if op == "/" else ARITHMETIC[op](a, b)
    if kind == "unary":
        op, i = args
        v = vals[i % len(vals)]
        return v.tanh() if op == "tanh" else v.tanh().exp()  # exp of a bounded value
    if kind == "matmul":
        a, b = vals[args[0] % len(vals)], vals[args[1] % len(vals)]
        if a.ndim == 1 and b.ndim == 1:
            return a.unsqueeze(1) @ b.unsqueeze(0)  # the outer product, (n, n)
        return a @ b * 0.5
    if kind == "sum":
        v = vals[args[0] % len(vals)]
        return v.sum(0) if v.ndim == 2 else v + v.sum()
    v = vals[args[0] % len(vals)]  # "index"
    r = args[1] % v.shape[0]
    return v[r] if v.ndim == 2 else v * v[r]


def change_in_place(vals, step):
    """Steps inplace/setitem/view inplace: change a tensor in vals, append nothing."""
    kind, *args = step
    if kind == "inplace":
        op, t, j = args
        t = FIRST_FREE + t % (len(vals) - FIRST_FREE)
        target = vals[t]
        result = IN_PLACE[op](target, fit(vals[j % len(vals)], target.shape))
        assert result is target, "an in-place operator must return the tensor itself"
        vals[t] = result
    elif kind == "setitem":
        r, j = args
        buf, value = vals[FIRST_FREE], vals[j % len(vals)]
        row = r % buf.shape[0]
        buf[row] = fit(value if value.ndim == 1 else value[row], buf.shape[1:])
    else:  # "view inplace"
        op, t, r, j = args
        base = vals[FIRST_FREE + t % (len(vals) - FIRST_FREE)]
        view = view_of(base, VIEWS[r % len(VIEWS)], r)
        IN_PLACE[op](view, fit(vals[j % len(vals)], view.shape))


def run_program(lib, n, arrays, program, requires_grad):
    """Run the program; return (loss value, every live value, [x0.grad, x1.grad])."""
    x0, x1 = (lib.tensor(a.copy(), dtype=lib.float64, requires_grad=requires_grad) for a in arrays)
    vals = [x0, x1, lib.zeros(n, n, dtype=lib.float64)]
    for step in program:
        if step[0] in ("inplace", "setitem", "view inplace"):
            change_in_place(vals, step)
        else:
            vals.append(new_value(lib, vals, step))
    loss = vals[0].tanh().sum()
    for k, v in enumerate(vals[1:], start=1):
        loss = loss + v.tanh().sum() * (1.0 + 0.5 * k)
    values = [v.detach().numpy().copy() for v in vals]
    if not requires_grad:
        return loss.item(), values, None
    loss.backward()
    return loss.item(), values, [grad_of(x) for x in (x0, x1)]


def grad_of(x):
    """x.grad as a NumPy array (a minigrad .grad may still be a backend array)."""
    if isinstance(x, mg.Tensor):
        return grad_numpy(x).copy()
    return x.grad.numpy().copy()


def outcome(lib, n, arrays, program):
    """run_program with gradients, or the RuntimeError it raised."""
    try:
        return run_program(lib, n, arrays, program, requires_grad=True)
    except RuntimeError as error:
        return error


# ----------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------


def finite_difference(n, arrays, program, lib=mg):
    """Central differences of the loss with respect to every element of x0 and x1."""
    grads = []
    for index in range(len(arrays)):
        grad = np.zeros_like(arrays[index])
        for position in np.ndindex(arrays[index].shape):
            shifted = []
            for sign in (1.0, -1.0):
                moved = [a.copy() for a in arrays]
                moved[index][position] += sign * EPS
                shifted.append(run_program(lib, n, moved, program, requires_grad=False)[0])
            grad[position] = (shifted[0] - shifted[1]) / (2 * EPS)
        grads.append(grad)
    return grads


def assert_allowed_error(error):
    message = str(error)
    assert "modified by an inplace operation" in message or "leaf" in message, message


def as_device(device):
    """run_program makes its tensors on the default device."""
    mg.set_default_device(device)


@given(case=cases())
def test_random_program_matches_finite_differences(case, device):
    n, arrays, program = case
    as_device(device)
    got = outcome(mg, n, arrays, program)
    if isinstance(got, RuntimeError):
        assert_allowed_error(got)
        return
    loss, values, grads = got
    plain_loss, plain_values, _ = run_program(mg, n, arrays, program, requires_grad=False)
    np.testing.assert_allclose(loss, plain_loss, rtol=1e-12, err_msg="recording changed the loss")
    for ours, plain in zip(values, plain_values, strict=True):
        np.testing.assert_allclose(ours, plain, rtol=1e-12, atol=1e-14)
    for name, ours, numeric in zip(
        ("x0", "x1"), grads, finite_difference(n, arrays, program), strict=True
    ):
        scale = max(1.0, float(np.abs(numeric).max()))
        np.testing.assert_allclose(ours, numeric, rtol=1e-5, atol=1e-6 * scale, err_msg=name)


@given(case=cases())
def test_random_program_matches_torch(case):
    torch = pytest.importorskip("torch")
    n, arrays, program = case
    theirs = outcome(torch, n, arrays, program)
    ours = outcome(mg, n, arrays, program)
    if isinstance(theirs, RuntimeError):
        assert isinstance(ours, RuntimeError), f"PyTorch raised {theirs}; minigrad did not"
        return
    assert not isinstance(ours, Exception), f"minigrad raised {ours!r}; PyTorch did not"
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, err_msg="loss")
    for k, (a, b) in enumerate(zip(ours[1], theirs[1], strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"vals[{k}]")
    for name, a, b in zip(("x0", "x1"), ours[2], theirs[2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}.grad")


EVERY_KIND = [  # one hand-written program with every kind of step, in an order that works
    ("binary", "*", 0, 1),  # vals[3] = x0 * x1
    ("index", 3, 1),  # vals[4] = vals[3][1], a view of vals[3]
    ("unary", "tanh", 4),  # vals[5]
    ("inplace", "+=", 1, 0),  # vals[3] += x0 (vals[4] sees it)
    ("setitem", 0, 5),  # buf[0] = vals[5]: buf now requires grad
    ("view inplace", "*=", 1, 1, 1),  # vals[3][:, 1] *= x1
    ("matmul", 0, 3),  # vals[6] = x0 @ vals[3] * 0.5 (saves vals[3]: no change of it after)
    ("sum", 6),  # vals[7] = vals[6].sum(0)
    ("binary", "/", 7, 2),  # vals[8] = vals[7] / (buf^2 + 1) (saves buf)
    ("unary", "exp", 8),  # vals[9]
    ("inplace", "-=", 4, 9),  # vals[6] -= vals[9] (only sum used vals[6]: it saved nothing)
]
FIXED_ARRAYS = (
    np.array([[0.3, -0.7, 0.2], [0.9, 0.1, -0.4], [-0.5, 0.6, 0.8]]),
    np.array([0.25, -0.5, 0.75]),
)


def test_fixed_program_with_every_step_kind(device):
    """The random tests may not draw every kind of step in 15 examples; this program has all."""
    as_device(device)
    got = outcome(mg, 3, FIXED_ARRAYS, EVERY_KIND)
    assert not isinstance(got, Exception), f"minigrad raised {got!r}"
    numeric = finite_difference(3, FIXED_ARRAYS, EVERY_KIND)
    for name, ours, expected in zip(("x0", "x1"), got[2], numeric, strict=True):
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-7, err_msg=name)


def test_fixed_program_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = outcome(torch, 3, FIXED_ARRAYS, EVERY_KIND)
    ours = outcome(mg, 3, FIXED_ARRAYS, EVERY_KIND)
    assert not isinstance(theirs, Exception), theirs
    assert not isinstance(ours, Exception), f"minigrad raised {ours!r}"
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10)
    for a, b in zip(ours[2], theirs[2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
