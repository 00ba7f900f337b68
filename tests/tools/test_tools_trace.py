"""The backward tracer: every step, named, with signed values equal to the engine's gradients
(checked against closed forms computed here with NumPy), and compare()'s verdicts and hints."""

import numpy as np
import pytest
from matplotlib.mathtext import MathTextParser

import minigrad
from minigrad import autograd, nn, ops
from minigrad.trace import formula_of


def known_graph():
    """L = mean(tanh(sum(a * b, axis=1))), a (2, 3), b (3,) broadcast over a's rows."""
    a = minigrad.tensor(np.arange(6, dtype=np.float64).reshape(2, 3) / 10, requires_grad=True)
    b = minigrad.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    loss = (a * b).sum(axis=1).tanh().mean()
    return a, b, loss


def closed_form(a, b):
    """The gradients of known_graph, by hand: dL/dd = (1 - tanh^2 d) / 2 for d = rowsum(a b)."""
    d = (a * b).sum(axis=1)
    dd = (1 - np.tanh(d) ** 2) / 2
    return {
        "dd": dd,
        "a": dd[:, None] * b,
        "b_rows": dd[:, None] * a,
        "b": (dd[:, None] * a).sum(0),
    }


def traced(names=None):
    a, b, loss = known_graph()
    with minigrad.trace(names=names if names is not None else {"a": a, "b": b}) as t:
        loss.backward()
    return a, b, loss, t


def test_trace_steps_in_engine_order_with_public_names_and_kinds():
    _, _, _, t = traced()
    assert [(s.kind, s.op) for s in t] == [
        ("op", "mean"),
        ("op", "tanh"),
        ("op", "sum"),
        ("op", "mul"),
        ("un-broadcast", "un-broadcast"),
        ("store .grad", "store .grad"),
        ("store .grad", "store .grad"),
    ]
    assert [s.number for s in t] == list(range(1, 8))
    mul = t[3]
    assert mul.inputs == ["a", "b"] and mul.output == "t1" and mul.output_shape == (2, 3)
    assert t[0].inputs[0] == "t3" and t[0].output == "t4"  # generated, in forward order
    assert {t[5].output, t[6].output} == {"a", "b"}


def test_trace_values_are_signed_and_equal_the_engine_and_the_closed_form():
    a, b, loss, t = traced()
    expected = closed_form(a.numpy(), b.numpy())
    np.testing.assert_allclose(t[0].output_grad, 1.0)
    np.testing.assert_allclose(t[0].input_grads[0], [0.5, 0.5])
    np.testing.assert_allclose(t[1].input_grads[0], expected["dd"])
    mul = t[3]
    np.testing.assert_allclose(mul.input_grads[0], expected["a"])
    np.testing.assert_allclose(mul.input_grads[1], expected["b_rows"])  # before the row sum
    assert (mul.input_grads[0] < 0).any()  # signs kept (b has a negative entry)
    np.testing.assert_array_equal(mul.input_grads[0], a.grad.numpy())
    np.testing.assert_array_equal(t.grad_of("a"), a.grad.numpy())
    np.testing.assert_array_equal(t.grad_of(b), b.grad.numpy())
    np.testing.assert_allclose(t.grad_of("b"), expected["b"])


def test_trace_broadcast_bias_gets_an_unbroadcast_step_with_its_axes():
    x = minigrad.tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True)
    bias = minigrad.tensor(np.array([0.5, -1.0]), requires_grad=True)
    with minigrad.trace(names={"x": x, "bias": bias}) as t:
        h = x + bias
        (h * h).sum().backward()
    rows = [s for s in t if s.kind == "un-broadcast"]
    assert [s.output for s in rows] == ["bias"]
    (step,) = rows
    assert step.axes == (0,) and step.output_shape == (2,) and step.output_grad.shape == (3, 2)
    h = x.numpy() + bias.numpy()
    np.testing.assert_allclose(step.output_grad, 2 * h)
    np.testing.assert_allclose(step.input_grads[0], (2 * h).sum(axis=0))
    np.testing.assert_array_equal(step.input_grads[0], bias.grad.numpy())
    assert "summed over axis 0" in str(step)


def test_trace_tensor_used_twice_gets_an_accumulate_step_with_each_term():
    x = minigrad.tensor(np.array([0.5, -1.0]), requires_grad=True)
    x.name = "x"
    with minigrad.trace() as t:
        (x * 3.0 + x.exp()).sum().backward()
    (step,) = [s for s in t if s.kind == "accumulate"]
    assert step.output == "x" and len(step.terms) == 2
    terms = {source.split(" ")[1]: grad for grad, source in step.terms}
    np.testing.assert_allclose(terms["mul"], [3.0, 3.0])
    np.testing.assert_allclose(terms["exp"], np.exp([0.5, -1.0]))
    np.testing.assert_allclose(step.output_grad, 3.0 + np.exp([0.5, -1.0]), rtol=1e-6)
    np.testing.assert_array_equal(step.output_grad, x.grad.numpy())
    index = t.steps.index(step)
    assert t[index + 1].kind == "store .grad" and t[index + 1].output == "x"
    assert "x is used 2 times" in str(step)


def test_trace_store_step_shows_grad_before_and_after_accumulating():
    x = minigrad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 2.0).sum().backward()
    with minigrad.trace(names={"x": x}) as t:
        (x * x).sum().backward()
    store = t[-1]
    before, after = store.input_grads
    np.testing.assert_allclose(before, [2.0, 2.0])
    np.testing.assert_allclose(after, [4.0, 6.0])
    np.testing.assert_array_equal(after, x.grad.numpy())
    np.testing.assert_allclose(t.grad_of("x"), [2.0, 4.0])  # this pass's gradient


def test_trace_names_parameters_by_module_path():
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))

        def forward(self, x):
            return self.layers(x)

    minigrad.manual_seed(0)
    model = MLP()
    x = minigrad.randn(4, 2)
    with minigrad.trace() as t:
        model(x).sum().backward()
    linears = [s for s in t if s.op == "linear"]
    assert linears[0].inputs == ["t3", "layers.2.weight", "layers.2.bias"]
    assert linears[0].module == "layers.2 · Linear"
    assert [s for s in t if s.op == "relu"][0].module == "layers.1 · ReLU"
    for name, parameter in model.named_parameters():
        np.testing.assert_array_equal(t.grad_of(name), parameter.grad.numpy())


def test_trace_generated_names_are_stable():
    first = [(s.output, s.inputs) for s in traced(names={})[3]]
    second = [(s.output, s.inputs) for s in traced(names={})[3]]
    assert first == second and first[0][0] == "t6"  # a, b are t1, t2 here


def test_trace_prints_like_a_worked_solution():
    _, _, _, t = traced()
    text = str(t)
    assert text.startswith("Backward pass: 7 steps")
    assert "step 4  mul" in text and "t1 = mul(a, b)" in text
    assert "z = a * b.      dz/da = b,  dz/db = a." in text
    assert "dL/da sent" in text and "-" in text.split("dL/da sent")[1].splitlines()[0]
    assert "un-broadcast  b was broadcast from (3,) to (2, 3)" in text
    lines = t.table().splitlines()
    assert lines[2].split()[:3] == ["1", "op", "mean"]


def test_trace_prints_large_arrays_summarised():
    x = minigrad.randn(50, 40, requires_grad=True)
    with minigrad.trace(names={"x": x}) as t:
        (x * 2.0).sum().backward()
    text = str(t[1])
    assert "..." in text and len(text.splitlines()) < 20


def test_every_op_has_a_full_formula_and_latex_that_renders():
    parser = MathTextParser("path")
    for name, op in ops.REGISTRY.items():
        formula = formula_of(op)
        assert "/d" in formula or "∂" in formula, f"{name}: no derivative in {formula!r}"
        assert op.latex, f"{name} has no latex"
        for line in op.latex.strip().splitlines():
            parser.parse(f"${line.strip()}$")  # raises on LaTeX that mathtext cannot draw
    ce = formula_of(ops.REGISTRY["cross_entropy"])
    assert "p - onehot(y)" in ce and ce.rstrip().endswith(")")


def test_compare_match_and_mismatch_reports():
    a, b, _, t = traced()
    ok = t.compare("a", a.grad)  # a Tensor is accepted
    assert ok and "matches" in str(ok)
    wrong = a.grad.numpy().copy()
    wrong[1, 2] += 0.5
    result = t.compare(a, wrong)
    assert not result
    report = str(result)
    assert "1 of 6 elements are off" in report and "at element (1, 2)" in report
    assert result.max_error == pytest.approx(0.5) and result.where == (1, 2)


@pytest.mark.parametrize(
    "mistake, hint",
    [
        (lambda g, _: -g, "signs are flipped"),
        (lambda g, _: 2 * g, "2 times the gradient"),
        (lambda g, _: g.T, "transpose"),
        (lambda g, _: g.reshape(-1), "reshape yours"),
    ],
)
def test_compare_hints(mistake, hint):
    a, _, _, t = traced()
    result = t.compare("a", mistake(a.grad.numpy(), None))
    assert not result and hint in str(result)


def test_compare_hints_for_broadcast_and_accumulation_mistakes():
    x = minigrad.tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True)
    bias = minigrad.tensor(np.array([0.5, -1.0]), requires_grad=True)
    with minigrad.trace(names={"x": x, "bias": bias}) as t:
        (x + bias).sum().backward()
    assert "before un-broadcasting" in str(t.compare("bias", np.ones((3, 2))))
    assert t.compare("bias", [3.0, 3.0])
    w = minigrad.tensor(np.array([1.0, -2.0]), requires_grad=True)
    with minigrad.trace(names={"w": w}) as t:
        (w * 3.0 + w * w).sum().backward()
    assert "the sum of all 3" in str(t.compare("w", [3.0, 3.0]))  # w * w uses it twice


def test_compare_unknown_name_lists_the_recorded_ones():
    _, _, _, t = traced()
    with pytest.raises(KeyError, match="recorded: "):
        t.grad_of("nope")


def test_trace_only_inside_the_block_and_always_detached():
    _, _, loss = known_graph()
    with minigrad.trace() as t:
        pass
    loss.backward()
    assert len(t) == 0 and autograd.tracer is None
    with pytest.raises(ValueError), minigrad.trace():
        raise ValueError("boom")
    assert autograd.tracer is None
    with minigrad.trace(), pytest.raises(RuntimeError, match="already recording"):
        with minigrad.trace():
            pass


def test_trace_step_walks_the_steps_then_returns_none():
    _, _, _, t = traced()
    walked = []
    while (step := t.step()) is not None:
        walked.append(step.kind)
    assert len(walked) == 7 and t.step() is None


def test_trace_follows_a_backward_across_devices():
    """The backward of .to(device) receives its gradient on the other device; the tracer must
    copy each gradient from where it lives."""
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with minigrad.trace() as t:
        (x.to("strict") * 2).to("cpu").sum().backward()
    assert [s.op for s in t if s.kind == "op"] == ["sum", "to_device", "mul", "to_device"]
    np.testing.assert_allclose(t[-1].output_grad, [2.0, 2.0])
    np.testing.assert_array_equal(t.grad_of(x), x.grad.numpy())


def test_trace_repr_html_is_the_page_in_an_iframe():
    _, _, _, t = traced()
    html = t._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "trace-data" in html
