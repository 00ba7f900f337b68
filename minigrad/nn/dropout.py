"""Dropout: randomly zero activations while training, a regulariser (S5 uses p = 0.1)."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module


class Dropout(Module):
    """Inverted dropout: in training, y = x · m / (1 - p) with m_i ~ Bernoulli(1 - p);
    in eval mode (`model.eval()`), y = x. Random numbers come from minigrad's global generator.

    `inplace` is accepted for PyTorch compatibility and ignored.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p!r}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
