"""Every built-in differentiable op: one `Function` subclass each, its forward, backward and
formula side by side. The files group them by kind:

    arithmetic.py   + - * / ** neg maximum minimum
    unary.py        exp log sqrt abs tanh sigmoid relu gelu clip
    reductions.py   sum mean var std max min
    softmax.py      softmax log_softmax logsumexp
    shape.py        reshape permute broadcast_to getitem concat stack where masked_fill
    matmul.py       matmul
    conversion.py   cast (dtype) and to_device

REGISTRY maps each op's name to its class, so that tests and documentation can list them all.
"""

from minigrad.ops.arithmetic import Add, Div, Maximum, Minimum, Mul, Neg, Pow, Sub
from minigrad.ops.conversion import Cast, Clone, ToDevice
from minigrad.ops.inplace import IndexPut
from minigrad.ops.matmul import MatMul
from minigrad.ops.reductions import Max, Mean, Min, Std, Sum, Var
from minigrad.ops.shape import (
    BroadcastTo,
    Concat,
    GetItem,
    MaskedFill,
    Permute,
    Reshape,
    Stack,
    Where,
)
from minigrad.ops.softmax import LogSoftmax, LogSumExp, Softmax
from minigrad.ops.unary import GELU, Abs, Clip, Exp, Log, ReLU, Sigmoid, Sqrt, Tanh
from minigrad.ops.views import View, ViewUpdate

ALL_OPS = [
    Add, Sub, Mul, Div, Pow, Neg, Maximum, Minimum,
    Exp, Log, Sqrt, Abs, Tanh, Sigmoid, ReLU, GELU, Clip,
    Sum, Mean, Var, Std, Max, Min,
    Softmax, LogSoftmax, LogSumExp,
    Reshape, Permute, BroadcastTo, GetItem, Concat, Stack, Where, MaskedFill,
    MatMul,
    Cast, Clone, ToDevice,
    View, ViewUpdate, IndexPut,
]  # fmt: skip

REGISTRY = {op.name: op for op in ALL_OPS}
