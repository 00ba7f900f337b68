"""The module-level functions: `minigrad.exp(x)` beside `x.exp()`, `minigrad.cat([...])`, ...
(as torch.exp beside Tensor.exp, and torch.cat).

Each name is the checked entry point of an op in minigrad/ops/, the same function the Tensor
method calls; nothing is defined here. (NumPy calls such module-level functions "routines"; the
name keeps them apart from nn.functional and from autograd's Function.)
"""

from minigrad.ops.arithmetic import floor_divide, maximum, minimum, remainder
from minigrad.ops.comparison import all, allclose, any, equal, isclose
from minigrad.ops.matmul import matmul
from minigrad.ops.reductions import amax, amin, max, mean, min, std, sum, var
from minigrad.ops.shape import broadcast_shapes, concat, split, stack, where
from minigrad.ops.softmax import log_softmax, logsumexp, softmax
from minigrad.ops.unary import abs, clip, exp, gelu, log, relu, sigmoid, sqrt, tanh

cat = concat  # PyTorch's name
clamp = clip  # PyTorch's name

__all__ = [
    "abs", "cat", "clamp", "clip", "concat", "exp", "gelu", "log", "log_softmax", "logsumexp",
    "matmul", "max", "maximum", "mean", "min", "minimum", "relu", "sigmoid", "softmax", "split",
    "sqrt", "stack", "std", "sum", "tanh", "var", "where", "broadcast_shapes",
    "all", "allclose", "amax", "amin", "any", "equal", "floor_divide", "isclose", "remainder",
]  # fmt: skip
