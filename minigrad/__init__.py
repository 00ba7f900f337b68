"""minigrad: a small deep-learning framework to read, step through and learn from.

    import minigrad
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad        # tensor([2., 4., 6.])

Where things live:
    tensor.py      the Tensor class and its methods
    autograd.py    Function, ctx and the backward pass
    ops/           every differentiable op: forward, backward and formula together
    backend.py     NumPy / CuPy / the strict CuPy stand-in
    gradcheck.py   checking a backward against finite differences
"""

from minigrad import cuda, data, metrics, models, nn, ops, optim, tokenizers, viz
from minigrad import random as random
from minigrad.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from minigrad.autograd import Function, backward
from minigrad.backend import (
    DeviceUnavailableError,
    get_backend,
    get_default_device,
    keep_freed_memory,
    set_default_device,
)
from minigrad.creation import (
    arange,
    full,
    full_like,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.dtypes import (
    bool,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.printing import get_printoptions, printoptions, set_printoptions
from minigrad.random import manual_seed
from minigrad.routines import (
    abs,
    broadcast_shapes,
    cat,
    clamp,
    clip,
    concat,
    exp,
    gelu,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    relu,
    sigmoid,
    softmax,
    split,
    sqrt,
    stack,
    sum,
    tanh,
    var,
    where,
)

# isort: split
# Sorting, scans, indexing along a dim, matrix ops, moving elements, more elementwise functions.
from minigrad.routines import (
    argsort,
    ceil,
    chunk,
    cos,
    cumprod,
    cumsum,
    diag,
    einsum,
    exp2,
    expm1,
    flip,
    floor,
    gather,
    index_select,
    kthvalue,
    log1p,
    log2,
    log10,
    masked_select,
    narrow,
    norm,
    outer,
    roll,
    round,
    scatter,
    scatter_add,
    sign,
    sin,
    sort,
    take_along_dim,
    tan,
    tile,
    topk,
    tril,
    triu,
    trunc,
    unbind,
)

# isort: split
from minigrad.serialization import CheckpointError, load, save
from minigrad.tensor import Tensor
from minigrad.trace import trace

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "Function", "backward", "gradcheck", "GradcheckError",
    "zeros", "ones", "full", "arange", "randn", "rand", "randint", "randperm",
    "zeros_like", "ones_like", "full_like", "manual_seed", "random",
    "float16", "float32", "float64", "int32", "int64", "uint8", "bool",
    "get_default_dtype", "set_default_dtype",
    "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
    "get_backend", "set_default_device", "get_default_device", "DeviceUnavailableError", "cuda",
    "keep_freed_memory",
    "set_printoptions", "get_printoptions", "printoptions",
    "detect_anomaly", "is_anomaly_enabled", "AnomalyError", "trace",
    "nn", "optim", "data", "models", "tokenizers", "viz", "metrics",
    "save", "load", "CheckpointError",
    "ops", "broadcast_shapes", "matmul", "concat", "cat", "stack", "split", "where",
    "abs", "clamp", "clip", "exp", "gelu", "log", "log_softmax", "logsumexp", "max", "maximum",
    "mean", "min", "minimum", "relu", "sigmoid", "softmax", "sqrt", "sum", "tanh", "var",
]  # fmt: skip
__all__ += [
    "sort", "argsort", "topk", "kthvalue", "cumsum", "cumprod",
    "gather", "scatter", "scatter_add", "index_select", "masked_select", "take_along_dim",
    "tril", "triu", "diag", "outer", "norm", "einsum",
    "flip", "roll", "tile", "chunk", "unbind", "narrow",
    "log2", "log10", "exp2", "log1p", "expm1", "sin", "cos", "tan",
    "sign", "floor", "ceil", "round", "trunc",
]  # fmt: skip
