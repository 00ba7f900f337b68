"""The backward tracer on a graph whose every step is known in advance."""

import numpy as np
import pytest

import minigrad


def known_graph():
    """L = mean(tanh(sum(a * b, axis=1))) with a (2, 3), b (3,): four ops, Mul first."""
    a = minigrad.tensor(np.arange(6, dtype=np.float64).reshape(2, 3) / 10, requires_grad=True)
    b = minigrad.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    loss = (a * b).sum(axis=1).tanh().mean()
    return a, b, loss


def test_tools_trace_records_every_step_in_backward_order():
    a, b, loss = known_graph()
    with minigrad.trace() as t:
        loss.backward()
    assert [step.op for step in t] == ["Mean", "Tanh", "Sum", "Mul"]
    assert [step.number for step in t] == [1, 2, 3, 4]
    assert [step.output_shape for step in t] == [(), (2,), (2,), (2, 3)]
    assert t[3].input_shapes == [(2, 3), (3,)]
    assert [s for s in t[0].input_shapes if s is not None] == [(2,)]  # None: axis, keepdims


def test_tools_trace_gradient_norms_match_the_gradients():
    a, b, loss = known_graph()
    with minigrad.trace() as t:
        loss.backward()
    assert t[0].output_grad_norm == pytest.approx(1.0)
    assert t[0].input_grad_norms[0] == pytest.approx(np.sqrt(2) / 2)  # d mean / d x_i = 1/2
    d = (a.numpy() * b.numpy()).sum(axis=1)
    dtanh = 0.5 * (1 - np.tanh(d) ** 2)
    assert t[1].input_grad_norms[0] == pytest.approx(np.linalg.norm(dtanh))
    assert t[3].input_grad_norms[0] == pytest.approx(np.linalg.norm(a.grad))
    assert t[3].input_grad_norms[1] == pytest.approx(np.linalg.norm(b.grad))


def test_tools_trace_step_walks_the_steps_then_returns_none():
    _, _, loss = known_graph()
    with minigrad.trace() as t:
        loss.backward()
    walked = []
    while (step := t.step()) is not None:
        walked.append(step.op)
    assert walked == ["Mean", "Tanh", "Sum", "Mul"] and t.step() is None


def test_tools_trace_table_and_step_text():
    _, _, loss = known_graph()
    with minigrad.trace() as t:
        loss.backward()
    table = str(t)
    lines = table.splitlines()
    assert len(lines) == 2 + 4 and "op" in lines[0]
    assert lines[2].split()[:2] == ["1", "Mean"] and lines[5].split()[:2] == ["4", "Mul"]
    assert "dz/da = b" in lines[5]  # the op's formula
    assert "step 4: Mul" in str(t[3]) and "(2, 3)" in str(t[3])


def test_tools_trace_only_inside_the_block():
    _, _, loss = known_graph()
    with minigrad.trace() as t:
        pass
    loss.backward()
    assert len(t) == 0


def test_tools_trace_branching_graph_visits_each_op_once():
    x = minigrad.tensor([0.5, -1.0], requires_grad=True)
    y = x * x + x.exp()  # x is used by two ops
    with minigrad.trace() as t:
        y.sum().backward()
    assert sorted(step.op for step in t) == ["Add", "Exp", "Mul", "Sum"]
    assert t[0].op == "Sum" and t[1].op == "Add"


def test_trace_follows_a_backward_across_devices():
    """The backward of .to(device) receives its gradient on the other device; the tracer must
    measure each gradient where it lives (it once called the input device's NumPy on it)."""
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with minigrad.trace() as t:
        (x.to("strict") * 2).to("cpu").sum().backward()
    assert [step.op for step in t] == ["Sum", "ToDevice", "Mul", "ToDevice"]
    assert t[0].output_grad_norm == 1.0
    assert abs(t[3].input_grad_norms[0] - 2 * 2**0.5) < 1e-6
