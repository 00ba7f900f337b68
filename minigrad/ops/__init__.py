"""Every built-in differentiable op: one `Function` subclass each, its forward, backward and
formula side by side. The files group them by kind:

    arithmetic.py   + - * / ** neg maximum minimum
    unary.py        exp log sqrt abs tanh sigmoid relu gelu clip
    reductions.py   sum mean var std max min
    softmax.py      softmax log_softmax logsumexp
    shape.py        reshape permute broadcast_to getitem concat stack where masked_fill
    matmul.py       matmul
    conversion.py   cast (dtype) and to_device
    conv.py         conv1d conv2d (im2col + matmul)
    pooling.py      max_pool1d/2d avg_pool1d/2d adaptive_avg_pool1d/2d
    normalization_batch.py  batch_norm

REGISTRY maps each op's name to its class, so that tests and documentation can list them all.
"""

from minigrad.ops.arithmetic import Add, Div, Maximum, Minimum, Mul, Neg, Pow, Sub
from minigrad.ops.conversion import Cast, ToDevice
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

# isort: split
# Convolutional networks: convolution, pooling, batch normalisation.
from minigrad.ops.conv import Conv1d, Conv2d
from minigrad.ops.normalization_batch import BatchNorm
from minigrad.ops.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)

ALL_OPS = [
    Add, Sub, Mul, Div, Pow, Neg, Maximum, Minimum,
    Exp, Log, Sqrt, Abs, Tanh, Sigmoid, ReLU, GELU, Clip,
    Sum, Mean, Var, Std, Max, Min,
    Softmax, LogSoftmax, LogSumExp,
    Reshape, Permute, BroadcastTo, GetItem, Concat, Stack, Where, MaskedFill,
    MatMul,
    Cast, ToDevice,
]  # fmt: skip

# Convolutional networks (conv.py, pooling.py, normalization_batch.py)
ALL_OPS += [
    Conv1d, Conv2d,
    MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
    BatchNorm,
]  # fmt: skip

REGISTRY = {op.name: op for op in ALL_OPS}
