"""Linear (a fully connected layer) and Identity."""

import math

from minigrad.creation import zeros
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to switch a layer off)."""

    def __init__(self, *args, **kwargs):
        super().__init__()  # arguments are accepted and ignored, as in PyTorch

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b   (F7, F11).

    x: (..., in_features) -> y: (..., out_features)
    weight: (out_features, in_features), bias: (out_features,)

    Initialisation as PyTorch: weight ~ kaiming_uniform(a=√5), which is U(-1/√in, 1/√in), and
    bias ~ U(-1/√in, 1/√in). Small enough that stacked layers neither explode nor vanish at start.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.extra_repr()}): expected input of shape "
                f"(..., {self.in_features}), got {input.shape}"
            )
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
