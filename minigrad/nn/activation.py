"""Activation functions as Modules, for use inside Sequential (F6)."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module


class ReLU(Module):
    """F6: ReLU(x) = max(0, x).

    `inplace` is accepted so that PyTorch code ports unchanged; minigrad never works in place,
    and the result is the same.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)


class Sigmoid(Module):
    """F6: σ(x) = 1 / (1 + e^{-x})."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """F6: tanh(x)."""

    def forward(self, input):
        return F.tanh(input)


class GELU(Module):
    """GELU(x) = x · Φ(x); approximate='tanh' uses 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate='{self.approximate}'"


class Softmax(Module):
    """softmax(x)_i = e^{x_i} / Σ_j e^{x_j} along `dim` (F8)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along `dim` (pair it with NLLLoss; or use CrossEntropyLoss on the logits)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
