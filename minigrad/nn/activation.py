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

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x > 0 else negative_slope · x: a unit that is off still passes a
    gradient (the usual activation in a GAN's discriminator, lesson 17).

    `inplace` is accepted so that PyTorch code ports unchanged; the result is a new tensor.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace}"


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
