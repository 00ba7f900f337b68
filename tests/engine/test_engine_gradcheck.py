"""gradcheck itself is tested: it must pass correct ops and CATCH wrong ones.

Every gradient test in this suite trusts mg.gradcheck, so here we plant mistakes on purpose --
copies of registry ops with a wrong backward, backwards that write into their arguments, and the
source documents' wrong cross-entropy derivative (seed-formulas F2) -- and demand that gradcheck
raises a readable GradcheckError for each."""

import re

import numpy as np
import pytest

import minigrad as mg

REGISTRY = mg.ops.REGISTRY


def f64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def as_tuple(grads):
    return grads if isinstance(grads, tuple) else (grads,)


def planted(name, transform):
    """A COPY of registry op ``name`` whose backward passes each input gradient through
    ``transform(index, grad)``; the real op stays untouched."""
    original = REGISTRY[name]

    class Planted(original):
        @staticmethod
        def backward(ctx, grad):
            grads = as_tuple(original.backward(ctx, grad))
            out = tuple(None if g is None else transform(i, g) for i, g in enumerate(grads))
            return out if len(out) > 1 else out[0]

    Planted.__name__ = f"Planted{original.__name__}"
    return Planted


# ----------------------------------------------------------------------------------------------
# Correct functions pass
# ----------------------------------------------------------------------------------------------


def test_gradcheck_passes_correct_ops():
    """Correct compositions of ops pass and gradcheck returns True."""
    x = f64([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]])
    w = f64([[1.0, -0.5], [0.2, 0.3], [-0.7, 0.9]])
    assert mg.gradcheck(lambda a, b: (a @ b).tanh().sum(), (x, w)) is True
    assert mg.gradcheck(lambda a: mg.softmax(a, axis=0), x) is True  # a single Tensor is fine
    assert mg.gradcheck(lambda a, b: (a.exp() * 2.0 + b.sum()).mean(axis=1), [x, w]) is True


def test_gradcheck_checks_multiple_outputs():
    """A function with two outputs passes when both are right ..."""
    x, y = f64([0.5, -1.0]), f64([2.0, 3.0])
    assert mg.gradcheck(lambda a, b: (a.exp(), a * b), (x, y)) is True


def test_gradcheck_catches_a_wrong_second_output():
    """... and fails when only the SECOND output's backward is wrong."""
    wrong_mul = planted("mul", lambda i, g: -g)
    x, y = f64([0.5, -1.0]), f64([2.0, 3.0])
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda a, b: (a.exp(), wrong_mul.apply(a, b)), (x, y))


def test_gradcheck_ignores_inputs_that_do_not_require_grad():
    """Only inputs with requires_grad=True are checked; the others are constants."""
    x, c = f64([0.5, 1.5]), f64([2.0, 3.0], requires_grad=False)
    assert mg.gradcheck(lambda a, b: a * b, (x, c)) is True


# ----------------------------------------------------------------------------------------------
# Planted mistakes in copies of registry ops
# ----------------------------------------------------------------------------------------------


def test_wrong_sign_is_caught_with_a_readable_report():
    """exp with a negated backward: the report names the input, the element, and shows the
    analytic and numeric values side by side -- here exact negatives of each other."""
    bad_exp = planted("exp", lambda i, g: -g)
    x = f64([0.3, np.log(2.5)])
    with pytest.raises(mg.GradcheckError) as excinfo:
        mg.gradcheck(lambda a: bad_exp.apply(a), (x,))
    message = str(excinfo.value)
    assert re.search(r"input 0", message), message
    assert re.search("analytic", message, re.IGNORECASE), message
    assert re.search("numeric", message, re.IGNORECASE), message
    # one row per wrong element: "(k,)  <analytic>  <numeric>  <error>"
    rows = re.findall(r"\((\d),\)\s+(\S+)\s+(\S+)\s+(\S+)", message)
    assert sorted(int(r[0]) for r in rows) == [0, 1], message
    for _, analytic, numeric, _error in rows:
        assert float(numeric) != 0
        assert float(analytic) == pytest.approx(-float(numeric), rel=1e-4), message


def test_dropped_factor_names_the_right_input():
    """mul whose backward halves only input 1's gradient: the report names input 1, not 0."""
    bad_mul = planted("mul", lambda i, g: g * 0.5 if i == 1 else g)
    a, b = f64([1.0, 2.0]), f64([3.0, -1.0])
    with pytest.raises(mg.GradcheckError) as excinfo:
        mg.gradcheck(lambda x, y: bad_mul.apply(x, y), (a, b))
    message = str(excinfo.value)
    assert re.search(r"input\D{0,3}1", message, re.IGNORECASE), message
    assert not re.search(r"input\D{0,3}0", message, re.IGNORECASE), message


def test_planted_errors_in_several_ops_are_caught():
    """A factor of 2 dropped from pow's backward, or sigmoid's gradient off by a small
    relative 1%, or a wrong sign in a reduction: all caught."""
    cases = [
        (planted("pow", lambda i, g: g * 0.5 if i == 0 else g), lambda op, a: op.apply(a, 2.0 * a)),
        (planted("sigmoid", lambda i, g: g * 1.01), lambda op, a: op.apply(a)),
        (planted("sum", lambda i, g: -g), lambda op, a: op.apply(a, None, False)),
    ]
    x = f64([0.7, 1.3, 0.4])
    for op, use in cases:
        with pytest.raises(mg.GradcheckError):
            mg.gradcheck(lambda a, op=op, use=use: use(op, a), (x,))
        # and the untouched original still passes: the planting did not leak into the registry
        original = REGISTRY[op.__mro__[1].name]
        assert mg.gradcheck(lambda a, o=original, use=use: use(o, a), (x,)) is True


def test_raise_exception_false_returns_false():
    """With raise_exception=False a wrong gradient gives False instead of an exception."""
    bad_exp = planted("exp", lambda i, g: -g)
    x = f64([0.3, -0.2])
    assert mg.gradcheck(lambda a: bad_exp.apply(a), (x,), raise_exception=False) is False
    assert mg.gradcheck(lambda a: a.exp(), (x,), raise_exception=False) is True


def test_gradcheck_error_is_a_runtime_error():
    """GradcheckError subclasses RuntimeError, so `except RuntimeError` also catches it."""
    assert issubclass(mg.GradcheckError, RuntimeError)


# ----------------------------------------------------------------------------------------------
# Backwards that misbehave in ways a Jacobian comparison alone might miss
# ----------------------------------------------------------------------------------------------


class MutatesUpstream(mg.Function):
    """y = x^2 whose backward returns the right value but writes it INTO the upstream grad."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        grad *= 2 * x
        return grad


class MutatesInput(mg.Function):
    """y = x^2 whose backward changes the saved input in place (x += 1) before using it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        result = 2 * x * grad
        x += 1.0
        return result


class NonZeroForZeroGrad(mg.Function):
    """y = x^2 whose backward is right for every non-zero upstream gradient but returns ones
    when the upstream gradient is all zeros."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if not bool((grad != 0).any()):
            return ctx.xp.ones_like(x)
        return 2 * x * grad


class CorrectSquare(mg.Function):
    """y = x^2, dy/dx = 2x: the control for the three broken versions above."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


@pytest.mark.parametrize(
    ("function", "complaint"),
    [
        (MutatesUpstream, "upstream"),
        (MutatesInput, "in place|changed|modified"),
        (NonZeroForZeroGrad, "zero"),
    ],
)
def test_gradcheck_catches_misbehaving_backwards(function, complaint):
    """In-place writes to the upstream gradient or to the input, and a non-zero gradient for a
    zero upstream gradient, all make gradcheck fail, with a message that says which."""
    x = f64([0.5, -1.5, 2.0])
    with pytest.raises(mg.GradcheckError, match=re.compile(complaint, re.IGNORECASE)):
        mg.gradcheck(lambda a: function.apply(a), (x,))


def test_control_square_passes():
    """The correct Square passes: the failures above come from the planted faults."""
    assert mg.gradcheck(lambda a: CorrectSquare.apply(a), (f64([0.5, -1.5, 2.0]),)) is True


# Regression test: gradcheck once failed on every 0-d input, because x + eps * t is a NumPy
# scalar for a 0-d x and mg.tensor turned NumPy scalars into float32.
def test_gradcheck_handles_0d_inputs():
    """A 0-d input (a scalar loss weight, a temperature) is checked like any other."""
    x = mg.tensor(np.array(0.5), dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda a: a.exp() * a, (x,)) is True
    bad_exp = planted("exp", lambda i, g: -g)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda a: bad_exp.apply(a), (x,))


def test_gradcheck_leaves_inputs_unchanged():
    """gradcheck perturbs inputs to take differences but restores them exactly."""
    values = np.array([0.5, -1.5, 2.0])
    x = f64(values)
    mg.gradcheck(lambda a: (a * a).sum(), (x,))
    np.testing.assert_array_equal(x.numpy(), values)


# ----------------------------------------------------------------------------------------------
# The documents' cross-entropy derivative (seed-formulas F2)
# ----------------------------------------------------------------------------------------------

Y_ONE_HOT = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
Y_HAT = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])


class CrossEntropyDocument(mg.Function):
    """CE = -(1/N) Σ y log ŷ with the document's derivative ∇ = 1/ŷ - y/ŷ (WRONG)."""

    @staticmethod
    def forward(ctx, y_hat, y):
        ctx.save_for_backward(y_hat, y)
        return -(y * ctx.xp.log(y_hat)).sum() / y_hat.shape[0]

    @staticmethod
    def backward(ctx, grad):
        y_hat, y = ctx.saved_tensors
        return grad * (1 / y_hat - y / y_hat), None


class CrossEntropyCorrect(CrossEntropyDocument):
    """The same loss with the correct derivative ∂CE/∂ŷ = -y / (N ŷ)."""

    @staticmethod
    def backward(ctx, grad):
        y_hat, y = ctx.saved_tensors
        return grad * (-y / (y_hat.shape[0] * y_hat)), None


def test_documents_cross_entropy_derivative_is_rejected():
    """seed-formulas F2: the document's ∇ = 1/ŷ - y/ŷ fails gradcheck ..."""
    y_hat, y = f64(Y_HAT), f64(Y_ONE_HOT, requires_grad=False)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda p, t: CrossEntropyDocument.apply(p, t), (y_hat, y))


def test_correct_cross_entropy_derivative_is_accepted():
    """... and the correct -y / (N ŷ) passes, with the expected closed-form values."""
    y_hat, y = f64(Y_HAT), f64(Y_ONE_HOT, requires_grad=False)
    assert mg.gradcheck(lambda p, t: CrossEntropyCorrect.apply(p, t), (y_hat, y)) is True
    CrossEntropyCorrect.apply(y_hat, y).backward()
    np.testing.assert_allclose(y_hat.grad, -Y_ONE_HOT / (2 * Y_HAT), rtol=1e-12)
