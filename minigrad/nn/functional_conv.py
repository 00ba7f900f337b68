"""The functional forms of the convolutional-network layers (PyTorch's torch.nn.functional names).

    F.conv1d  F.conv2d  F.max_pool1d  F.max_pool2d  F.avg_pool1d  F.avg_pool2d
    F.adaptive_avg_pool1d  F.adaptive_avg_pool2d  F.batch_norm  F.dropout2d

Each op lives in minigrad/ops/ (conv.py, pooling.py, normalization_batch.py) with its forward,
backward, formula and argument checks side by side; the names here are those entry points.
dropout2d is a few Tensor operations, so the engine differentiates it for free.
(These are to be folded into nn/functional.py.)
"""

from minigrad.autograd import TensorBase
from minigrad.creation import rand
from minigrad.ops.conv import conv1d, conv2d
from minigrad.ops.normalization_batch import batch_norm
from minigrad.ops.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = [
    "conv1d", "conv2d",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "batch_norm", "dropout2d",
]  # fmt: skip


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout: zero whole feature maps. y = x · m / (1 - p), with ONE m ~ Bernoulli(1 - p)
    per (example, channel), shared by all H·W positions of that channel.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    barely regularises a conv net; dropping whole channels does. input: (N, C, H, W) or
    (C, H, W). `inplace` is accepted for PyTorch compatibility and ignored.
    """
    if not isinstance(input, TensorBase):
        raise TypeError(f"dropout2d: input must be a Tensor, got {type(input).__name__}")
    if isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: probability p must be between 0 and 1, got {p!r}")
    if input.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected a 4-d input (N, C, H, W) or a 3-d one (C, H, W), got shape "
            f"{input.shape}"
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    mask_shape = input.shape[:-2] + (1, 1)  # one draw per channel, broadcast over H and W
    keep = rand(*mask_shape, dtype=input.dtype, device=input.device) >= p
    return input * keep * (1.0 / (1.0 - p))
