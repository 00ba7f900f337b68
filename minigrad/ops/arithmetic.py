"""Binary arithmetic: + - * / ** % // maximum minimum, and negation.

Inputs broadcast as in NumPy. Each backward returns gradients shaped like the *output*; the engine
sums them back to each input's shape (see autograd.unbroadcast), so broadcasting never appears here.
`ctx.needs_input_grad` lets a backward skip the work for inputs that need no gradient.
"""

from minigrad._coerce import as_float, binary_operands
from minigrad.autograd import Function
from minigrad.ops import kernels


class Add(Function):
    """z = a + b.      dz/da = 1,  dz/db = 1."""

    name = "add"
    latex = r"""
        z = a + b
        \frac{\partial z}{\partial a} = 1, \quad \frac{\partial z}{\partial b} = 1
    """

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """z = a - b.      dz/da = 1,  dz/db = -1."""

    name = "sub"
    latex = r"""
        z = a - b
        \frac{\partial z}{\partial a} = 1, \quad \frac{\partial z}{\partial b} = -1
    """

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = a * b.      dz/da = b,  dz/db = a."""

    name = "mul"
    latex = r"""
        z = a\,b
        \frac{\partial z}{\partial a} = b, \quad \frac{\partial z}{\partial b} = a
    """

    @staticmethod
    def forward(ctx, a, b):
        # Save only what backward will use: a * 3 needs 3 (for dz/da), not a.
        need_a, need_b = ctx.needs_input_grad[:2]
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        grad_a = grad * b if ctx.needs_input_grad[0] else None
        grad_b = grad * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """z = a / b.      dz/da = 1/b,  dz/db = -a/b^2."""

    name = "div"
    latex = r"""
        z = \frac{a}{b}
        \frac{\partial z}{\partial a} = \frac{1}{b},
        \frac{\partial z}{\partial b} = -\frac{a}{b^2}
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # a only for dz/db
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad / b if ctx.needs_input_grad[0] else None
        # -a/b^2 computed as -(a/b)/b: b*b would underflow to 0 for tiny b (1e-200 in float64)
        grad_b = -grad * (a / b) / b if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    """z = a ** b.     dz/da = b a^(b-1),  dz/db = a^b ln(a)  (defined for a > 0).

    At a = 0 both formulas can read 0 * inf; PyTorch's values are used there:
        dz/da = 0 wherever b = 0        (z = a^0 = 1 does not change with a, even at a = 0)
        dz/db = 0 at a = 0 with b >= 0  (z = 0^b is 0, or 1 at b = 0: flat in b)
        dz/db = -z at a = 0 with b < 0  (z = 0^b = inf, and inf * ln 0 = -inf)
    """

    name = "pow"
    latex = r"""
        z = a^b
        \frac{\partial z}{\partial a} = b\,a^{b-1},
        \frac{\partial z}{\partial b} = a^b \ln a
    """

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        need_a, need_b = ctx.needs_input_grad[:2]
        ctx.save_for_backward(a, b, out if need_b else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        xp = ctx.xp
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            # a^(b-1) with the exponent 0 where b = 0: then b * a^0 = 0 exactly, even at a = 0
            # (0^(-1) would be inf, and 0 * inf = nan).
            grad_a = grad * b * a ** xp.where(b == 0, 0, b - 1)
        if ctx.needs_input_grad[1]:
            # Only computed when the exponent needs a gradient: ln(a) is undefined for a <= 0,
            # and x ** 2 with a constant exponent must not produce warnings for negative x.
            # ln a is taken of 1 where a = 0 (no log(0) warning); those places get the values
            # of the docstring instead.
            base_zero = a == 0
            dz_db = out * xp.log(xp.where(base_zero, 1, a))
            grad_b = grad * xp.where(base_zero, xp.where(b >= 0, 0, -out), dz_db)
        return grad_a, grad_b


class Neg(Function):
    """z = -a.         dz/da = -1."""

    name = "neg"
    latex = r"z = -a \qquad \frac{\partial z}{\partial a} = -1"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


def _shared(ctx, grad, share_a):
    """maximum/minimum's gradients: share_a of it to a (1, 1/2 on a tie, or 0), the rest to b.
    Selected with where, not multiplied, so that a NaN gradient gives 0 to the loser, as in
    PyTorch (NaN * 0 is NaN)."""
    xp = ctx.xp
    # Reference: xp.where(share_a != 0, grad * share_a, 0), and likewise for b
    grad_a = kernels.select(xp, share_a != 0, grad * share_a) if ctx.needs_input_grad[0] else None
    wins_b = share_a != 1
    grad_b = kernels.select(xp, wins_b, grad * (1 - share_a)) if ctx.needs_input_grad[1] else None
    return grad_a, grad_b


class Maximum(Function):
    """z = max(a, b) elementwise.   dz/da = [a > b],  dz/db = [b > a];  a tie splits it 1/2, 1/2."""

    name = "maximum"
    latex = r"""
        z = \max(a, b)
        \frac{\partial z}{\partial a} = [a > b], \quad \frac{\partial z}{\partial b} = [b > a]
        (\mathrm{a\ tie\ splits\ it}\ \frac{1}{2}, \frac{1}{2})
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # 1 where a wins, 1/2 on a tie, 0 where b wins (cast: 0.5 * a bool array is float64)
        share_a = (a > b).astype(grad.dtype) + (a == b).astype(grad.dtype) * 0.5
        return _shared(ctx, grad, share_a)


class Minimum(Function):
    """z = min(a, b) elementwise.   dz/da = [a < b],  dz/db = [b < a];  a tie splits it 1/2, 1/2."""

    name = "minimum"
    latex = r"""
        z = \min(a, b)
        \frac{\partial z}{\partial a} = [a < b], \quad \frac{\partial z}{\partial b} = [b < a]
        (\mathrm{a\ tie\ splits\ it}\ \frac{1}{2}, \frac{1}{2})
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a = (a < b).astype(grad.dtype) + (a == b).astype(grad.dtype) * 0.5
        return _shared(ctx, grad, share_a)


class Remainder(Function):
    """z = a mod b = a - b floor(a/b)   (Python's %: the sign of b, as PyTorch's remainder).
    dz/da = 1,  dz/db = -floor(a/b)    (between the jumps, where floor(a/b) is constant)."""

    name = "remainder"
    latex = r"""
        z = a\ \mathrm{mod}\ b = a - b \lfloor a/b \rfloor
        \frac{\partial z}{\partial a} = 1, \quad \frac{\partial z}{\partial b} = -\lfloor a/b\rfloor
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(*((a, b) if ctx.needs_input_grad[1] else (None, None)))
        return ctx.xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = -grad * ctx.xp.floor(a / b) if ctx.needs_input_grad[1] else None
        return grad, grad_b


# --------------------------------------------------------------------------------------------
# The entry points: `x + y`, `minigrad.maximum(x, y)`, ... Python numbers and arrays become
# tensors of the other operand's dtype, and the shapes are checked before the op runs.
# --------------------------------------------------------------------------------------------


def add(a, b):
    return Add.apply(*binary_operands(a, b, "add"))


def sub(a, b):
    return Sub.apply(*binary_operands(a, b, "sub"))


def mul(a, b):
    return Mul.apply(*binary_operands(a, b, "mul"))


def div(a, b):
    a, b = binary_operands(a, b, "div")
    return Div.apply(as_float(a), as_float(b))  # integers divide to floats, as in PyTorch


def pow(a, b):
    return Pow.apply(*binary_operands(a, b, "pow"))


def neg(a):
    return Neg.apply(a)


def maximum(a, b):
    return Maximum.apply(*binary_operands(a, b, "maximum"))


def minimum(a, b):
    return Minimum.apply(*binary_operands(a, b, "minimum"))


def remainder(a, b):
    """a % b with the sign of b (Python's and PyTorch's rule): -7 % 2 = 1, 7 % -2 = -1."""
    a, b = binary_operands(a, b, "remainder")
    _refuse_integer_division_by_zero(b, "remainder")
    return Remainder.apply(a, b)


def floor_divide(a, b):
    """a // b rounded down (towards -inf), as Python and PyTorch: -7 // 2 = -4.

    Not differentiable: the result is a step function of a and b (its slope is 0 wherever it
    is defined), so, like rounding, it records nothing and its result needs no gradient.
    """
    a, b = binary_operands(a, b, "floor_divide")
    _refuse_integer_division_by_zero(b, "floor_divide")
    return a._make(a.xp.floor_divide(a.array, b.array), a.device)


def _refuse_integer_division_by_zero(b, op):
    # NumPy would give 0 with a warning; PyTorch raises. (Floats give inf / nan, as in both.)
    if b.dtype.kind in "iub" and bool((b.array == 0).any()):
        raise ZeroDivisionError(f"{op}: integer division by zero (the divisor holds a 0)")
