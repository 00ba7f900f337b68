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

from minigrad import autograd, cuda, data, metrics, models, nn, ops, optim, tokenizers, utils, viz
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
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from minigrad.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.printing import get_printoptions, printoptions, set_printoptions
from minigrad.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    seed,
    set_rng_state,
)
from minigrad.routines import (
    abs,
    all,
    allclose,
    amax,
    amin,
    any,
    broadcast_shapes,
    cat,
    clamp,
    clip,
    concat,
    equal,
    exp,
    floor_divide,
    gelu,
    isclose,
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
    remainder,
    sigmoid,
    softmax,
    split,
    sqrt,
    stack,
    std,
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
# PyTorch's other module-level names for the Tensor methods (torch.add, torch.eq, torch.flatten...)
from minigrad.routines import (
    add,
    argmax,
    argmin,
    bincount,
    div,
    eq,
    flatten,
    ge,
    gt,
    le,
    logical_and,
    logical_not,
    logical_or,
    lt,
    masked_fill,
    mul,
    ne,
    neg,
    permute,
    pow,
    reshape,
    squeeze,
    sub,
    transpose,
    unsqueeze,
)

# isort: split
from minigrad.serialization import CheckpointError, load, save
from minigrad.tensor import Size, Tensor
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
    "eye", "linspace", "logspace", "empty", "empty_like", "rand_like", "randn_like",
    "randint_like", "from_numpy", "as_tensor", "Generator", "default_generator", "seed",
    "initial_seed", "get_rng_state", "set_rng_state", "multinomial", "inference_mode",
    "is_inference_mode_enabled", "autograd", "utils",
    "ops", "broadcast_shapes", "matmul", "concat", "cat", "stack", "split", "where",
    "abs", "clamp", "clip", "exp", "gelu", "log", "log_softmax", "logsumexp", "max", "maximum",
    "mean", "min", "minimum", "relu", "sigmoid", "softmax", "sqrt", "std", "sum", "tanh", "var",
    "Size", "long", "int", "float", "double", "half", "short", "int8", "int16",
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
