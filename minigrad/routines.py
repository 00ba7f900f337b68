"""The module-level functions: `minigrad.exp(x)` beside `x.exp()`, `minigrad.cat([...])`, ...
(as torch.exp beside Tensor.exp, and torch.cat).

Each name is the checked entry point of an op in minigrad/ops/, the same function the Tensor
method calls; nothing is defined here. (NumPy calls such module-level functions "routines"; the
name keeps them apart from nn.functional and from autograd's Function.)
"""

from minigrad.ops.arithmetic import (
    add,
    div,
    floor_divide,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    remainder,
    sub,
)
from minigrad.ops.comparison import (
    all,
    allclose,
    any,
    eq,
    equal,
    ge,
    gt,
    isclose,
    le,
    logical_and,
    logical_not,
    logical_or,
    lt,
    ne,
)
from minigrad.ops.matmul import matmul
from minigrad.ops.reductions import (
    amax,
    amin,
    argmax,
    argmin,
    bincount,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from minigrad.ops.shape import (
    broadcast_shapes,
    concat,
    flatten,
    masked_fill,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
    where,
)
from minigrad.ops.softmax import log_softmax, logsumexp, softmax
from minigrad.ops.unary import abs, clip, exp, gelu, log, relu, sigmoid, sqrt, tanh

# isort: split
# Sorting, scans, indexing along a dim, matrix ops, moving elements, more elementwise functions.
from minigrad.ops.indexing import (
    gather,
    index_select,
    masked_select,
    scatter,
    scatter_add,
    take_along_dim,
)
from minigrad.ops.linalg import diag, einsum, norm, outer, tril, triu
from minigrad.ops.movement import chunk, flip, narrow, roll, tile, unbind
from minigrad.ops.scan import cumprod, cumsum
from minigrad.ops.sorting import argsort, kthvalue, sort, topk
from minigrad.ops.unary import (
    ceil,
    cos,
    exp2,
    expm1,
    floor,
    log1p,
    log2,
    log10,
    round,
    sign,
    sin,
    tan,
    trunc,
)

cat = concat  # PyTorch's name
clamp = clip  # PyTorch's name

__all__ = [
    "abs", "cat", "clamp", "clip", "concat", "exp", "gelu", "log", "log_softmax", "logsumexp",
    "matmul", "max", "maximum", "mean", "min", "minimum", "relu", "sigmoid", "softmax", "split",
    "sqrt", "stack", "std", "sum", "tanh", "var", "where", "broadcast_shapes",
    "all", "allclose", "amax", "amin", "any", "equal", "floor_divide", "isclose", "remainder",
]  # fmt: skip
__all__ += [
    "sort", "argsort", "topk", "kthvalue", "cumsum", "cumprod",
    "gather", "scatter", "scatter_add", "index_select", "masked_select", "take_along_dim",
    "tril", "triu", "diag", "outer", "norm", "einsum",
    "flip", "roll", "tile", "chunk", "unbind", "narrow",
    "log2", "log10", "exp2", "log1p", "expm1", "sin", "cos", "tan",
    "sign", "floor", "ceil", "round", "trunc",
]  # fmt: skip
__all__ += [
    "add", "sub", "mul", "div", "pow", "neg", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_not", "argmax", "argmin", "bincount",
    "flatten", "masked_fill", "permute", "reshape", "squeeze", "transpose", "unsqueeze",
]  # fmt: skip
