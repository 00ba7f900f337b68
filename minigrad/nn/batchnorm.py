"""BatchNorm1d and BatchNorm2d: normalise each channel over the batch (Ioffe & Szegedy 2015).

Parameters and buffers have PyTorch's names, so a PyTorch state_dict loads unchanged:

    weight (γ, ones), bias (β, zeros)                                   Parameters, (C,)
    running_mean (zeros), running_var (ones), num_batches_tracked (0)   buffers (not trained)

model.train(): normalise with the batch's mean and var, and update the running averages.
model.eval():  normalise with the running averages (one example's output no longer depends on
               the rest of its batch). Forgetting model.eval() before testing is the classic bug.
The op and its backward are in minigrad/ops/normalization_batch.py.
"""

from minigrad import dtypes
from minigrad.creation import ones, tensor, zeros
from minigrad.nn import functional as F
from minigrad.nn.module import Module, Parameter


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks accepted."""

    ranks = ()  # the input ranks the subclass accepts
    layout = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):  # fmt: skip
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum  # None: a cumulative average (1 / batches seen) instead
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer(
                "num_batches_tracked", tensor(0, dtype=dtypes.int64, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def _check_input(self, input):
        where = f"{type(self).__name__}({self.extra_repr()})"
        if input.ndim not in self.ranks:
            raise ValueError(f"{where}: expected an input {self.layout}, got shape {input.shape}")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{where}: expected {self.num_features} channels (axis 1), got an input of "
                f"shape {input.shape}"
            )

    def forward(self, input):
        self._check_input(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1  # in place: the buffer is the same Tensor
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / int(self.num_batches_tracked.array)
        # Batch statistics while training, and also in eval when there are no running ones.
        use_batch_stats = self.training or not self.track_running_stats
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Per-feature normalisation of (N, C) or (N, C, L): statistics over N (and L)."""

    ranks = (2, 3)
    layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Per-channel normalisation of images (N, C, H, W): statistics over N, H and W."""

    ranks = (4,)
    layout = "(N, C, H, W)"
