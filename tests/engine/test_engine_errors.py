"""Mistakes get clear errors: the right exception type, and a message that names the problem
(the op, the shapes, the dtypes, the devices) so a student can fix it without a debugger."""

import re

import numpy as np
import pytest

import minigrad as mg


def assert_mentions(excinfo, *parts):
    """The exception message contains every one of ``parts`` (plain substrings)."""
    message = str(excinfo.value)
    for part in parts:
        assert part in message, f"{part!r} missing from the message: {message!r}"


# ----------------------------------------------------------------------------------------------
# backward
# ----------------------------------------------------------------------------------------------


def test_backward_of_non_scalar_without_gradient():
    """y.backward() on a (2, 3) output needs an explicit gradient: RuntimeError about 'scalar'."""
    y = mg.ones(2, 3, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="scalar") as excinfo:
        y.backward()
    assert_mentions(excinfo, "(2, 3)")


def test_second_backward_through_freed_graph():
    """Backpropagating twice through one graph without retain_graph=True is an error that
    tells the fix."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_backward_gradient_of_wrong_shape():
    """y.backward(g) with g not shaped like y is refused, naming both shapes."""
    y = mg.ones(2, 3, requires_grad=True) * 2.0
    with pytest.raises(ValueError) as excinfo:
        y.backward(mg.ones(3, 2))
    assert_mentions(excinfo, "(3, 2)", "(2, 3)")


def test_backward_on_tensor_without_grad():
    """backward() on a tensor that does not require grad says why nothing can flow."""
    with pytest.raises(RuntimeError, match="requires?_grad"):
        (mg.ones(2) * 2.0).sum().backward()


# ----------------------------------------------------------------------------------------------
# shapes, dtypes, devices
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "fn"),
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("maximum", mg.maximum),
    ],
)
def test_binary_shape_mismatch_names_op_and_shapes(op, fn):
    """(2, 3) and (4,) do not broadcast: ValueError naming the op and both shapes."""
    with pytest.raises(ValueError, match=op) as excinfo:
        fn(mg.ones(2, 3), mg.ones(4))
    assert_mentions(excinfo, "(2, 3)", "(4,)")


@pytest.mark.parametrize(("sa", "sb"), [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,))])
def test_matmul_shape_mismatch_names_op_and_shapes(sa, sb):
    """Inner dimensions that differ: ValueError naming matmul and both shapes."""
    with pytest.raises(ValueError, match="matmul") as excinfo:
        mg.ones(*sa) @ mg.ones(*sb)
    assert_mentions(excinfo, str(sa), str(sb))


def test_matmul_batch_mismatch():
    """Batch dimensions that do not broadcast: ValueError naming matmul."""
    with pytest.raises(ValueError, match="matmul"):
        mg.ones(2, 3, 4) @ mg.ones(5, 4, 1)


def test_float32_float64_mismatch_names_op_and_dtypes():
    """float32 + float64 is a TypeError naming the op and both dtypes (no silent upcast)."""
    a = mg.ones(3, dtype=mg.float32)
    b = mg.ones(3, dtype=mg.float64)
    for op, fn in [("add", lambda: a + b), ("mul", lambda: b * a), ("matmul", lambda: a @ b)]:
        with pytest.raises(TypeError, match=op) as excinfo:
            fn()
        assert_mentions(excinfo, "float32", "float64")


def test_numpy_float64_array_with_float32_tensor():
    """A float64 NumPy array is not a weak scalar: mixing it with float32 is also refused."""
    with pytest.raises(TypeError) as excinfo:
        mg.ones(2, dtype=mg.float32) + np.ones(2)
    assert_mentions(excinfo, "float32", "float64")


def test_int_tensors_mix_with_float_tensors():
    """Integer/bool tensors mixed with a float tensor are cast to the float dtype (no error)."""
    out = mg.ones(2, dtype=mg.float32) + mg.tensor([1, 2])
    assert out.dtype == mg.float32
    np.testing.assert_array_equal(out.numpy(), [2.0, 3.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: mg.tensor([1, 2], requires_grad=True),
        lambda: mg.zeros(2, dtype=mg.int64, requires_grad=True),
        lambda: mg.tensor([True, False], requires_grad=True),
        lambda: mg.tensor([1, 2]).requires_grad_(),
    ],
)
def test_integer_tensor_cannot_require_grad(make):
    """Gradients of integers are undefined: TypeError saying so."""
    with pytest.raises(TypeError, match=re.compile("grad", re.IGNORECASE)):
        make()


@pytest.mark.parametrize(
    ("op", "fn"),
    [
        ("Add", lambda a, b: a + b),
        ("MatMul", lambda a, b: a @ b),
        ("Concat", lambda a, b: mg.concat([a, b])),
    ],
)
def test_device_mismatch_names_op_and_devices(op, fn):
    """A "cpu" tensor and a "strict" tensor in one op: RuntimeError naming op and devices."""
    a = mg.ones(3, device="cpu")
    b = mg.ones(3, device="strict")
    with pytest.raises(RuntimeError, match=re.compile(op, re.IGNORECASE)) as excinfo:
        fn(a, b)
    assert_mentions(excinfo, "cpu", "strict")


@pytest.mark.skipif(mg.cuda.is_available(), reason="a usable GPU is present")
def test_cuda_unavailable_is_a_clear_error():
    """Without CuPy or a GPU, asking for 'cuda' fails with a RuntimeError that says why."""
    for ask in (
        lambda: mg.tensor([1.0], device="cuda"),
        lambda: mg.ones(2).to("cuda"),
        lambda: mg.set_default_device("cuda"),
    ):
        with pytest.raises(RuntimeError, match=re.compile("cuda|cupy", re.IGNORECASE)):
            ask()
    assert mg.get_default_device() == "cpu"


def test_unknown_device_is_refused():
    """A device name minigrad does not know is a ValueError listing the known ones."""
    with pytest.raises(ValueError, match="tpu") as excinfo:
        mg.tensor([1.0], device="tpu")
    assert_mentions(excinfo, "cpu", "strict")


# ----------------------------------------------------------------------------------------------
# gradcheck and custom Functions
# ----------------------------------------------------------------------------------------------


def test_gradcheck_refuses_float32_inputs():
    """Finite differences need float64: gradcheck with a float32 input says so."""
    x = mg.tensor([1.0, 2.0], dtype=mg.float32, requires_grad=True)
    with pytest.raises((TypeError, ValueError), match="float64"):
        mg.gradcheck(lambda t: t * 2.0, (x,))


class WrongShapeGrad(mg.Function):
    """y = 2x, but backward returns a gradient of shape (2,) for an input of shape (3,)."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        return grad[:2] * 2


class WrongCountGrad(mg.Function):
    """y = a * b, but backward returns a single gradient for two inputs."""

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad


class WrongDtypeGrad(mg.Function):
    """y = 2x (float32), but backward returns a float64 gradient."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        return (grad * 2).astype(ctx.xp.float64)


def test_custom_function_wrong_gradient_shape_names_the_function():
    """The engine reports a wrongly shaped gradient, naming the Function and the shapes."""
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises((ValueError, RuntimeError), match="WrongShapeGrad") as excinfo:
        WrongShapeGrad.apply(x).sum().backward()
    assert_mentions(excinfo, "(2,)", "(3,)")


def test_custom_function_wrong_gradient_count_names_the_function():
    """Returning one gradient for a two-input Function is reported, naming the Function."""
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="WrongCountGrad"):
        WrongCountGrad.apply(a, b).sum().backward()


def test_custom_function_wrong_gradient_dtype_names_the_function():
    """A float64 gradient for a float32 input is reported, naming the Function and dtypes."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="WrongDtypeGrad") as excinfo:
        WrongDtypeGrad.apply(x).sum().backward()
    assert_mentions(excinfo, "float64", "float32")


def test_axis_out_of_range_names_the_op():
    """sum(axis=2) on a 2-D tensor is an IndexError naming the op and the shape."""
    with pytest.raises(IndexError, match="sum") as excinfo:
        mg.ones(2, 3).sum(axis=2)
    assert_mentions(excinfo, "(2, 3)")


def test_reshape_to_wrong_size():
    """reshape to a shape with a different number of elements says both shapes."""
    with pytest.raises(ValueError, match="reshape") as excinfo:
        mg.ones(2, 3).reshape(4, 2)
    assert_mentions(excinfo, "(2, 3)", "(4, 2)")


def test_broadcast_shapes_gives_the_common_shape_or_names_both_shapes():
    """minigrad.broadcast_shapes follows NumPy's rules (as torch.broadcast_shapes does)."""
    assert mg.broadcast_shapes((3, 1), (4,), ()) == (3, 4)
    assert mg.broadcast_shapes() == ()
    with pytest.raises(ValueError, match=r"shapes \(3, 4\) and \(2,\) cannot be broadcast"):
        mg.broadcast_shapes((3, 1), (4,), (2,))
