"""Anomaly mode (`minigrad.detect_anomaly()`): a NaN or Inf is reported where it first appears.

The error must name the op, its formula, the shapes and the line of the user's code that
created the op; an explicit -inf from masked_fill is allowed; and the mode costs nothing when it
is off (no observers, no recorded stacks).
"""

import inspect
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad import anomaly, autograd

THIS_FILE = os.path.basename(__file__)


def _next_line():
    """The line number of the caller's next line (where the op under test is created)."""
    return inspect.currentframe().f_back.f_lineno + 1


@pytest.fixture(autouse=True)
def _quiet_numpy():
    """log(0) and sqrt(-1) are the point of these tests; NumPy's warnings about them are not."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        yield


def test_anomaly_mode_is_off_by_default_and_costs_nothing(monkeypatch):
    """Outside detect_anomaly() no observer is installed, no call stack is recorded for any op,
    and a NaN passes silently (as in PyTorch)."""
    assert autograd.forward_observers == [] and autograd.backward_observers == []
    assert not mg.is_anomaly_enabled()

    def no_stacks():
        raise AssertionError("a call stack was recorded outside anomaly mode")

    monkeypatch.setattr(anomaly, "_user_stack", no_stacks)
    x = mg.tensor([-1.0, 4.0], requires_grad=True)
    y = x.sqrt()
    y.sum().backward()
    assert np.isnan(y.numpy()[0]) and not hasattr(y.grad_fn, "created_at")


def test_observers_are_removed_on_exit_even_after_an_error():
    """Leaving the block -- normally or by an AnomalyError -- uninstalls both checks."""
    with mg.detect_anomaly():
        assert mg.is_anomaly_enabled()
        assert len(autograd.forward_observers) == 1 and len(autograd.backward_observers) == 1
    assert autograd.forward_observers == [] and autograd.backward_observers == []
    with pytest.raises(mg.AnomalyError):
        with mg.detect_anomaly():
            mg.tensor([0.0]).log()
    assert autograd.forward_observers == [] and autograd.backward_observers == []
    assert not mg.is_anomaly_enabled()


def test_nested_blocks_stay_on_until_the_outer_one_ends():
    """An inner detect_anomaly() block does not switch the outer one off."""
    with mg.detect_anomaly():
        with mg.detect_anomaly():
            pass
        assert mg.is_anomaly_enabled()
        with pytest.raises(mg.AnomalyError):
            mg.tensor([0.0]).log()
    assert not mg.is_anomaly_enabled()


def test_forward_inf_names_op_formula_shapes_and_the_users_line(device):
    """log(0) = -inf: the error names Log, its formula, the output and input shapes and dtype,
    and the file, line and source text where the user called .log()."""
    x = mg.tensor([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]], device=device)
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError) as info:
            line = _next_line()
            y = x.log()  # noqa: F841
    message = str(info.value)
    assert "forward pass: Log produced 1 inf value(s) in its output of shape (2, 3)" in message
    assert "formula: y = ln x." in message
    assert "input 0: shape (2, 3), float32, all finite" in message
    assert f'{THIS_FILE}", line {line}' in message
    assert "y = x.log()" in message


def test_forward_nan_is_counted():
    """sqrt of two negative numbers: two NaNs, reported as such (not as inf)."""
    x = mg.tensor([-1.0, 4.0, -9.0])
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"Sqrt produced 2 nan"):
        x.sqrt()


def test_forward_says_when_the_bad_value_came_from_an_input():
    """An Inf already present in an input (made outside anomaly mode) is blamed on that input,
    not on the op that merely passed it on."""
    x = mg.tensor([1.0, float("inf")])
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as info:
        x * 2.0
    message = str(info.value)
    assert "Mul produced 1 inf" in message
    assert "input 0: shape (2,), float32, already contains 1 inf" in message
    assert "the bad value came in through this input" in message


def test_backward_inf_names_op_and_where_it_was_created():
    """sqrt is finite at 0 but its derivative 1/(2 sqrt x) is not: the backward check names
    Sqrt, the gradient's shape, says the incoming gradient was finite, and shows the line."""
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with mg.detect_anomaly():
        line = _next_line()
        y = x.sqrt()
        loss = y.sum()
        with pytest.raises(mg.AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert (
        "backward pass: Sqrt.backward produced 1 inf value(s) in the gradient of input 0 "
        "(shape (2,))"
    ) in message
    assert "formula: y = sqrt(x)." in message
    assert "finite, so this op's derivative is where it broke" in message
    assert f'{THIS_FILE}", line {line}' in message and "y = x.sqrt()" in message


def test_backward_through_a_graph_built_outside_the_mode():
    """A graph built before the block still gets its gradients checked; the message says that
    the creation line was not recorded and how to get it."""
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    loss = (x**0.5).sum()
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as info:
        loss.backward()
    assert "Pow.backward produced 1 inf" in str(info.value)
    assert "not recorded: build the graph inside detect_anomaly()" in str(info.value)


def test_nan_loss_in_a_training_step_points_at_the_users_log():
    """The typical student bug: a hand-written BCE takes log(0) of a saturated sigmoid. The
    error points at the line with .log(), not at the loss or the optimizer."""
    w = mg.tensor([[200.0], [-200.0]], requires_grad=True)
    x = mg.tensor([[1.0, 0.0], [0.0, 1.0]])
    y = mg.tensor([[1.0], [0.0]])
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as info:
        p = (x @ w).sigmoid()
        line = _next_line()
        loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
        loss.backward()
    assert "Log produced" in str(info.value)
    assert f'{THIS_FILE}", line {line}' in str(info.value)


def test_explicit_minus_inf_from_masked_fill_is_allowed():
    """Masking scores with -inf before softmax is deliberate: no error, and the masked entries
    get weight 0 and gradient 0 while the others are the softmax of the kept scores."""
    scores = mg.tensor([[1.0, 2.0, 3.0], [0.5, -0.5, 0.0]], requires_grad=True)
    mask = mg.tensor([[False, True, False], [True, False, False]])
    with mg.detect_anomaly():
        masked = scores.masked_fill(mask, float("-inf"))
        weights = masked.softmax(-1)
        (weights * mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    kept = np.exp([1.0, 3.0]) / np.exp([1.0, 3.0]).sum()
    np.testing.assert_allclose(weights.numpy()[0], [kept[0], 0.0, kept[1]], rtol=1e-6)
    grad = scores.grad.numpy()
    assert grad[0, 1] == 0.0 and grad[1, 0] == 0.0
    assert np.all(np.isfinite(grad))


def test_nan_from_masked_fill_is_not_allowed():
    """Only an infinity can be asked for; a NaN is always an anomaly."""
    x = mg.tensor([1.0, 2.0])
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="MaskedFill produced 1 nan"):
        x.masked_fill(mg.tensor([True, False]), float("nan"))


def test_fully_masked_row_is_reported():
    """A row whose every score is -inf has no softmax (0/0): anomaly mode reports the NaN."""
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="Softmax produced 2 nan"):
        x.masked_fill(mg.tensor([[False, False], [True, True]]), float("-inf")).softmax(-1)


def test_decorator_form():
    """@detect_anomaly() on a function turns the checks on for its calls only."""

    @mg.detect_anomaly()
    def step(x):
        assert mg.is_anomaly_enabled()
        return x.log()

    with pytest.raises(mg.AnomalyError, match="Log produced"):
        step(mg.tensor([0.0]))
    assert not mg.is_anomaly_enabled()


def test_finite_computation_is_unchanged_by_the_mode():
    """With no anomaly, values and gradients are bit-identical with and without the mode."""

    def run():
        mg.manual_seed(3)
        model = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.Tanh(), mg.nn.Linear(4, 2))
        x = mg.randn(5, 3)
        loss = mg.nn.functional.cross_entropy(model(x), mg.tensor([0, 1, 1, 0, 1]))
        loss.backward()
        return loss.item(), [p.grad.numpy().copy() for p in model.parameters()]

    plain_loss, plain_grads = run()
    with mg.detect_anomaly():
        checked_loss, checked_grads = run()
    assert plain_loss == checked_loss
    for a, b in zip(plain_grads, checked_grads):
        np.testing.assert_array_equal(a, b)


def test_anomaly_error_is_a_runtime_error():
    """Code that catches RuntimeError (as for PyTorch's anomaly errors) also catches it."""
    assert issubclass(mg.AnomalyError, RuntimeError)
