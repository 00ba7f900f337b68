"""Matrix-shaped ops: tril, triu, diag, outer, norm, einsum.

(matmul has its own file, matmul.py.) Their backward passes, in one line each:

    tril/triu   keep a triangle            dL/dx = the same triangle of dL/dy
    diag        vector <-> diagonal        dL/dx = the other direction applied to dL/dy
    outer       y_ij = a_i b_j             dL/da = dL/dy b,  dL/db = dL/dyᵀ a
    norm        y = (sum |x_i|^p)^(1/p)    dL/dx_i = dL/dy sign(x_i) |x_i|^(p-1) / y^(p-1)
    einsum      a sum of products          dL/d(operand) = an einsum of dL/dy and the others
"""

import math

from minigrad._coerce import common_dtype
from minigrad.autograd import Function, TensorBase
from minigrad.ops.reductions import reduction_args


class Tril(Function):
    """y = x with the elements above diagonal `k` set to 0 (the last two dims are the matrix).
    dL/dx = tril(dL/dy): the kept elements pass their gradient, the zeroed ones get 0.
    """

    name = "tril"
    latex = r"""
        y_{ij} = x_{ij}\,[j - i \leq k]
        \frac{\partial L}{\partial x_{ij}} = \frac{\partial L}{\partial y_{ij}}\,[j - i \leq k]
    """

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return ctx.xp.tril(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.tril(grad, ctx.diagonal), None


class Triu(Function):
    """y = x with the elements below diagonal `k` set to 0.    dL/dx = triu(dL/dy)."""

    name = "triu"
    latex = r"""
        y_{ij} = x_{ij}\,[j - i \geq k]
        \frac{\partial L}{\partial x_{ij}} = \frac{\partial L}{\partial y_{ij}}\,[j - i \geq k]
    """

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return ctx.xp.triu(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.triu(grad, ctx.diagonal), None


def _diagonal_places(xp, length, diagonal):
    """(rows, columns) of the `length` elements on diagonal k of a matrix (k > 0 above)."""
    steps = xp.arange(length)
    if diagonal >= 0:
        return steps, steps + diagonal
    return steps - diagonal, steps


class Diag(Function):
    """y = diagonal k of a matrix, or the matrix with a vector on diagonal k (as torch.diag):
    1-D v -> 2-D:  y = the square matrix with v on diagonal k, 0 elsewhere.
                   dL/dv = diagonal k of dL/dy
    2-D m -> 1-D:  y = diagonal k of m.
                   dL/dm = zeros, with dL/dy on diagonal k
    """

    name = "diag"
    latex = r"""
        y_{i,\,i+k} = v_i \quad (\mathrm{vector}\ v \to \mathrm{matrix}\ y)
        \frac{\partial L}{\partial v_i} = \frac{\partial L}{\partial y_{i,\,i+k}}
        y_i = m_{i,\,i+k} \quad (\mathrm{matrix}\ m \to \mathrm{vector}\ y)
        \frac{\partial L}{\partial m_{i,\,i+k}} = \frac{\partial L}{\partial y_i}
    """

    @staticmethod
    def forward(ctx, x, diagonal):
        xp = ctx.xp
        ctx.shape, ctx.diagonal = x.shape, diagonal
        if x.ndim == 1:
            n = x.shape[0] + abs(diagonal)
            out = xp.zeros((n, n), dtype=x.dtype)
            out[_diagonal_places(xp, x.shape[0], diagonal)] = x
            return out
        return x[_diagonal_places(xp, _diagonal_length(x.shape, diagonal), diagonal)]

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        if len(ctx.shape) == 1:
            return grad[_diagonal_places(xp, ctx.shape[0], ctx.diagonal)], None
        grad_x = xp.zeros(ctx.shape, dtype=grad.dtype)
        grad_x[_diagonal_places(xp, grad.shape[0], ctx.diagonal)] = grad
        return grad_x, None


def _diagonal_length(shape, diagonal):
    rows, columns = shape
    if diagonal >= 0:
        return max(0, min(rows, columns - diagonal))
    return max(0, min(rows + diagonal, columns))


class Outer(Function):
    """y_ij = a_i b_j.     dL/da_i = sum_j dL/dy_ij b_j,   dL/db_j = sum_i dL/dy_ij a_i."""

    name = "outer"
    latex = r"""
        y_{ij} = a_i\,b_j
        \frac{\partial L}{\partial a_i} = \sum_j \frac{\partial L}{\partial y_{ij}} b_j
        \frac{\partial L}{\partial b_j} = \sum_i \frac{\partial L}{\partial y_{ij}} a_i
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a[:, None] * b[None, :]

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad @ b if ctx.needs_input_grad[0] else None
        grad_b = grad.T @ a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Norm(Function):
    """The vector p-norm over `axis` (all elements when None):
      p = 2 ('fro'):  y = sqrt(sum x_i^2)          dy/dx_i = x_i / y
      p = inf:        y = max |x_i|                dy/dx_i = sign(x_i), shared among the ties
      p = 0:          y = number of x_i != 0       dy/dx_i = 0
      other p:        y = (sum |x_i|^p)^(1/p)      dy/dx_i = sign(x_i) |x_i|^(p-1) / y^(p-1)

    (-inf is min |x_i|, like inf.) Where y = 0 (x = 0) the derivative does not exist; the
    gradient there is 0, as in PyTorch, so that a zero vector gives 0 and not NaN. Likewise an
    x_i = 0 gets 0 for p < 1, where |x_i|^(p-1) would be infinite.
    """

    name = "norm"
    latex = r"""
        y = \left(\sum_i |x_i|^p\right)^{1/p}
        \frac{\partial y}{\partial x_i} = \frac{\mathrm{sign}(x_i)\,|x_i|^{p-1}}{y^{p-1}}
        p = 2:\ \frac{\partial y}{\partial x_i} = \frac{x_i}{y}
    """

    @staticmethod
    def forward(ctx, x, p, axis, keepdims):
        xp = ctx.xp
        magnitude = xp.abs(x)
        if p == math.inf:
            y = magnitude.max(axis=axis, keepdims=True)
        elif p == -math.inf:
            y = magnitude.min(axis=axis, keepdims=True)
        elif p == 0:
            y = (x != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
        elif p == 2:
            y = xp.sqrt((x * x).sum(axis=axis, keepdims=True))
        else:
            y = ((magnitude**p).sum(axis=axis, keepdims=True)) ** (1 / p)
        ctx.p, ctx.axis, ctx.keepdims = p, axis, keepdims
        ctx.save_for_backward(x, y)
        return y if keepdims else _drop_axes(y, axis)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        xp, p = ctx.xp, ctx.p
        if not ctx.keepdims:
            grad = grad.reshape(y.shape)  # put the reduced axes back (size 1)
        if p == 0:
            return xp.zeros_like(x), None, None, None
        magnitude = xp.abs(x)
        if p in (math.inf, -math.inf):
            extreme = magnitude == y
            ties = extreme.sum(axis=ctx.axis, keepdims=True)
            slope = xp.sign(x) * extreme / ties.astype(x.dtype)
        else:
            safe_y = xp.where(y == 0, 1, y)
            if p == 2:
                slope = x / safe_y
            else:
                safe_magnitude = xp.where(x == 0, 1, magnitude)
                slope = xp.sign(x) * (safe_magnitude / safe_y) ** (p - 1)
            slope = xp.where(y == 0, 0, slope)
        return grad * slope, None, None, None


def _drop_axes(y, axis):
    """A keepdims=True result without its reduced axes."""
    if axis is None:
        return y.reshape(())
    return y.reshape(tuple(size for i, size in enumerate(y.shape) if i not in axis))


class Einsum(Function):
    """y = einsum(equation, *operands): multiply the operands element by element along
    matching subscripts, and sum over the subscripts that are not in the output.
    y is linear in each operand, so dL/d(operand k) is an einsum too: the one that multiplies
    dL/dy (subscripts: the output's) with all the other operands and keeps operand k's
    subscripts. For 'ij,jk->ik' (a matmul) that is dL/dA = einsum('ik,jk->ij', dL/dy, B).
    Two details make it general:
      * a subscript only operand k has (summed away, 'ij->i') is in neither dL/dy nor the
        others: a vector of ones with that subscript brings it back (every x_ij got dL/dy_i);
      * a subscript repeated in operand k ('ii->i', a diagonal) cannot be repeated in an
        einsum's output: the repeat gets a new letter, and an identity matrix ('iJ') puts the
        gradient on the diagonal and 0 elsewhere.
    """

    name = "einsum"
    latex = r"""
        \mathrm{e.g.}\ y_{ik} = \sum_j A_{ij} B_{jk} \quad (\mathrm{ij,jk} \to \mathrm{ik})
        \frac{\partial L}{\partial A_{ij}} = \sum_k \frac{\partial L}{\partial y_{ik}} B_{jk}
        \frac{\partial L}{\partial B_{jk}} = \sum_i A_{ij} \frac{\partial L}{\partial y_{ik}}
    """

    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*operands)
        # optimize=True: contractions go to BLAS (tensordot) in a good order, ~10x faster than
        # einsum's own loops on a batched matmul; the numbers are the same sums.
        return ctx.xp.einsum(_equation(inputs, output), *operands, optimize=True)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        grads = []
        for k in range(len(operands)):
            if ctx.needs_input_grad[k]:
                grads.append(_einsum_grad(ctx.xp, k, operands, ctx.inputs, ctx.output, grad))
            else:
                grads.append(None)
        return tuple(grads)


def _equation(inputs, output):
    return ",".join(inputs) + "->" + output


def _einsum_grad(xp, k, operands, inputs, output, grad):
    """dL/d(operands[k]) as one einsum (see Einsum's docstring)."""
    others = [i for i in range(len(operands)) if i != k]
    terms = [output] + [inputs[i] for i in others]
    arrays = [grad] + [operands[i] for i in others]
    known = set("".join(terms))
    used = set("".join(inputs) + output)
    fresh = (c for c in _LETTERS if c not in used)
    target = ""
    for position, letter in enumerate(inputs[k]):
        size = operands[k].shape[position]
        if letter in target:  # a repeated subscript: a new letter, tied to the first by eye
            new = next(fresh)
            terms.append(letter + new)
            arrays.append(xp.eye(size, dtype=grad.dtype))
            target += new
            continue
        if letter not in known:  # summed away inside operand k: ones bring it back
            terms.append(letter)
            arrays.append(xp.ones(size, dtype=grad.dtype))
            known.add(letter)
        target += letter
    return xp.einsum(_equation(terms, target), *arrays, optimize=True)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------------------------
# The entry points (`x.tril()`, `minigrad.einsum("ij,jk->ik", a, b)`, ...), with PyTorch's
# names and arguments.
# --------------------------------------------------------------------------------------------


def _check_diagonal(diagonal, op):
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        raise TypeError(f"{op}: diagonal must be an int, not {type(diagonal).__name__}")


def tril(input, diagonal=0):  # noqa: A002 - PyTorch's argument name
    """The lower triangle of the matrices in input (the last two dims); 0 above diagonal k."""
    _check_diagonal(diagonal, "tril")
    if input.ndim < 2:
        raise ValueError(f"tril: input must have at least 2 dimensions, not shape {input.shape}")
    return Tril.apply(input, diagonal)


def triu(input, diagonal=0):  # noqa: A002 - PyTorch's argument name
    """The upper triangle of the matrices in input (the last two dims); 0 below diagonal k."""
    _check_diagonal(diagonal, "triu")
    if input.ndim < 2:
        raise ValueError(f"triu: input must have at least 2 dimensions, not shape {input.shape}")
    return Triu.apply(input, diagonal)


def diag(input, diagonal=0):  # noqa: A002 - PyTorch's argument name
    """A 1-D input: the matrix with it on diagonal k. A 2-D input: its diagonal k, as 1-D."""
    _check_diagonal(diagonal, "diag")
    if input.ndim not in (1, 2):
        raise ValueError(f"diag: input must be 1-D or 2-D, not of shape {input.shape}")
    return Diag.apply(input, diagonal)


def outer(input, vec2):  # noqa: A002 - PyTorch's argument names
    """y_ij = input_i * vec2_j for two 1-D tensors."""
    for name, v in (("input", input), ("vec2", vec2)):
        if not isinstance(v, TensorBase):
            raise TypeError(f"outer: {name} must be a Tensor, not {type(v).__name__}")
        if v.ndim != 1:
            raise ValueError(f"outer: {name} must be 1-D, not of shape {v.shape}")
    if input.dtype != vec2.dtype:
        input, vec2 = common_dtype(input, vec2, "outer")
    return Outer.apply(input, vec2)


def _norm_order(p):
    if p in ("fro", None):
        return 2.0
    if isinstance(p, str):
        raise ValueError(
            f"norm: p={p!r} is not supported; use 'fro' or a number (2, 1, inf, ...). The "
            "nuclear norm ('nuc') needs singular values, which minigrad does not compute"
        )
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"norm: p must be 'fro' or a number, not {type(p).__name__}")
    return float(p)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002 - PyTorch's name
    """The vector p-norm of input over dim (over all elements when dim is None).

    p='fro' (the default) is the 2-norm: for a matrix and dim=None, the Frobenius norm.
    """
    p = _norm_order(p)
    if dtype is not None:
        input = input.astype(dtype)
    if input.dtype.kind != "f":
        raise TypeError(
            f"norm: expected a floating-point tensor, not {input.dtype}; convert it first, e.g. "
            "x.float()"
        )
    axis, keepdims = reduction_args(input, None, dim, keepdim, None, "norm")
    return Norm.apply(input, p, axis, keepdims)


def _parse_equation(equation, count):
    """'ij,jk->ik' -> (['ij', 'jk'], 'ik'); an equation without '->' gets NumPy's and
    PyTorch's implicit output: the subscripts that appear once, in alphabetical order."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string, not {type(equation).__name__}")
    equation = equation.replace(" ", "")
    if "." in equation:
        raise NotImplementedError(
            f"einsum: '...' (broadcast dimensions) is not supported in {equation!r}; write a "
            "letter for every dimension (e.g. 'bij,bjk->bik' instead of '...ij,...jk->...ik')"
        )
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    letters = "".join(inputs)
    for c in letters + output:
        if c not in _LETTERS:
            raise ValueError(f"einsum: {c!r} in {equation!r} is not a subscript letter (a-z, A-Z)")
    if not arrow:
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(inputs) != count:
        raise ValueError(
            f"einsum: the equation {equation!r} has {len(inputs)} operand(s) but {count} "
            "tensor(s) were given"
        )
    for c in output:
        if c not in letters:
            raise ValueError(f"einsum: output subscript {c!r} appears in no operand")
        if output.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} appears more than once")
    return inputs, output


def _check_einsum_operands(inputs, operands):
    """Every operand a Tensor with one subscript per dimension; a letter has one size."""
    sizes = {}
    for k, (subscripts, operand) in enumerate(zip(inputs, operands)):
        if not isinstance(operand, TensorBase):
            raise TypeError(f"einsum: operand {k} must be a Tensor, not {type(operand).__name__}")
        if len(subscripts) != operand.ndim:
            raise ValueError(
                f"einsum: operand {k} has {operand.ndim} dimension(s) (shape {operand.shape}) "
                f"but {len(subscripts)} subscript(s) {subscripts!r}"
            )
        for letter, size in zip(subscripts, operand.shape):
            if sizes.setdefault(letter, size) != size:
                raise ValueError(
                    f"einsum: subscript {letter!r} has size {size} in operand {k} but "
                    f"{sizes[letter]} earlier"
                )


def einsum(equation, *operands):
    """Einstein summation, as torch.einsum: einsum('ij,jk->ik', a, b) is a @ b.

    Supported: any letters a-z/A-Z, one or more operands, implicit output (no '->'), repeated
    subscripts in an operand (a diagonal: 'ii->i', a trace: 'ii'). Examples: 'ij,jk->ik'
    (matmul), 'bij,bjk->bik' (batched matmul), 'ij->ji' (transpose), 'ii' (trace), 'ij->'
    (sum), 'i,j->ij' (outer), 'bi,bj->bij', 'bi,ij,bj->b' (bilinear). Not supported: '...'.
    The operands must have one dtype (floats are never mixed silently).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])  # torch.einsum also takes a list of operands
    if not operands:
        raise ValueError("einsum: give at least one operand")
    inputs, output = _parse_equation(equation, len(operands))
    _check_einsum_operands(inputs, operands)
    dtypes = {operand.dtype for operand in operands}
    if len(dtypes) > 1:
        raise TypeError(
            f"einsum: the operands have different dtypes {sorted(str(d) for d in dtypes)}; "
            "convert them to one dtype first"
        )
    devices = {operand.device for operand in operands}
    if len(devices) > 1:
        raise RuntimeError(f"einsum: the operands are on different devices {sorted(devices)}")
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)
