"""Every built-in differentiable op: one `Function` subclass each, its forward, backward and
formula side by side. The files group them by kind:

    arithmetic.py      + - * / ** neg maximum minimum remainder (%)
    unary.py           exp log sqrt abs tanh sigmoid relu leaky_relu gelu clip (+ stable_sigmoid)
    reductions.py      sum mean var std max min amax amin
    softmax.py         softmax log_softmax logsumexp   (and shift_by_max, stable_log_softmax)
    shape.py           reshape permute broadcast_to getitem concat stack where masked_fill
    matmul.py          matmul
    linear.py          linear                      y = x Wᵀ + b (F7, F11)
    normalization.py   layer_norm                  (F12)
    losses.py          cross_entropy cross_entropy_probs nll_loss binary_cross_entropy
                       binary_cross_entropy_with_logits   (F2, F3)
    attention.py       scaled_dot_product_attention   (F8)
    conversion.py      cast (dtype), clone and to_device
    views.py           view view_update   (the graph of views and in-place changes)
    inplace.py         index_put   (x[i] = v; and the in-place methods add_, zero_, ...)
    conv.py            conv1d conv2d   (im2col + matmul)
    pooling.py         max_pool1d/2d avg_pool1d/2d adaptive_avg_pool1d/2d
    padding.py         pad   (constant; F.pad's other modes are indexing)
    normalization_batch.py   batch_norm
    sorting.py         sort topk kthvalue   (and argsort: the order, no gradient)
    scan.py            cumsum cumprod
    indexing.py        gather scatter scatter_add index_select masked_select   (take_along_dim)
    linalg.py          tril triu diag outer norm einsum
    movement.py        flip roll repeat   (tile, chunk, unbind, narrow, expand_as: views/calls)
    unary.py, also     log2 log10 exp2 log1p expm1 sin cos tan sign floor ceil round trunc

Two helper modules hold no ops:

    special.py         erf (Cephes rational approximations), for the exact GELU
    kernels.py         faster versions of a few array computations on hot paths

The readable path and the fast path: an op's forward and backward are its formula in plain
array code. Where a faster computation matters (BLAS row and column sums, LayerNorm's row
means, GELU's in-place backward), the op calls the function from kernels.py, with a comment
"Reference: <the plain expression>" right there, so the formula stays readable in the op file;
tests/engine/test_engine_kernels.py proves each kernel equals its reference.

REGISTRY maps each op's name to its class, so that tests, `minigrad gradcheck` and the
documentation can list them all. nn.functional checks the arguments and calls these ops.
"""

from minigrad.ops.arithmetic import Add, Div, Maximum, Minimum, Mul, Neg, Pow, Remainder, Sub
from minigrad.ops.attention import ScaledDotProductAttention
from minigrad.ops.conversion import Cast, Clone, ToDevice
from minigrad.ops.inplace import IndexPut
from minigrad.ops.linear import Linear
from minigrad.ops.losses import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    CrossEntropyProbs,
    NLLLoss,
)
from minigrad.ops.matmul import MatMul
from minigrad.ops.normalization import LayerNorm
from minigrad.ops.reductions import Amax, Amin, Max, Mean, Min, Std, Sum, Var
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
from minigrad.ops.unary import GELU, Abs, Clip, Exp, LeakyReLU, Log, ReLU, Sigmoid, Sqrt, Tanh
from minigrad.ops.views import View, ViewUpdate

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

# isort: split
# Padding (nn.functional.pad)
from minigrad.ops.padding import Pad

# isort: split
# Sorting, scans, indexing along a dim, matrix ops, moving elements, more elementwise functions.
from minigrad.ops.indexing import Gather, IndexSelect, MaskedSelect, Scatter, ScatterAdd
from minigrad.ops.linalg import Diag, Einsum, Norm, Outer, Tril, Triu
from minigrad.ops.movement import Flip, Repeat, Roll
from minigrad.ops.scan import CumProd, CumSum
from minigrad.ops.sorting import KthValue, Sort, TopK
from minigrad.ops.unary import (
    Ceil,
    Cos,
    Exp2,
    Expm1,
    Floor,
    Log1p,
    Log2,
    Log10,
    Round,
    Sign,
    Sin,
    Tan,
    Trunc,
)

ALL_OPS = [
    Add, Sub, Mul, Div, Pow, Neg, Maximum, Minimum,
    Exp, Log, Sqrt, Abs, Tanh, Sigmoid, ReLU, LeakyReLU, GELU, Clip,
    Sum, Mean, Var, Std, Max, Min,
    Amax, Amin, Remainder,
    Softmax, LogSoftmax, LogSumExp,
    Reshape, Permute, BroadcastTo, GetItem, Concat, Stack, Where, MaskedFill,
    MatMul,
    Linear,
    LayerNorm,
    CrossEntropy, CrossEntropyProbs, NLLLoss, BinaryCrossEntropy, BinaryCrossEntropyWithLogits,
    ScaledDotProductAttention,
    Cast, Clone, ToDevice,
    View, ViewUpdate, IndexPut,
]  # fmt: skip

# Convolutional networks (conv.py, pooling.py, normalization_batch.py)
ALL_OPS += [
    Conv1d, Conv2d,
    MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
    BatchNorm,
]  # fmt: skip

# Padding (padding.py)
ALL_OPS += [Pad]
# Sorting, scans, indexing along a dim, matrix ops, moving elements (sorting.py, scan.py,
# indexing.py, linalg.py, movement.py) and more elementwise functions (unary.py)
ALL_OPS += [
    Sort, TopK, KthValue, CumSum, CumProd,
    Gather, Scatter, ScatterAdd, IndexSelect, MaskedSelect,
    Tril, Triu, Diag, Outer, Norm, Einsum,
    Flip, Roll, Repeat,
    Log2, Log10, Exp2, Log1p, Expm1, Sin, Cos, Tan, Sign, Floor, Ceil, Round, Trunc,
]  # fmt: skip

REGISTRY = {op.name: op for op in ALL_OPS}
