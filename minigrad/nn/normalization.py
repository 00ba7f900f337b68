"""LayerNorm (F12: the Transformer normalises every token's features)."""

from minigrad.creation import ones, zeros
from minigrad.nn import functional as F
from minigrad.nn.module import Module, Parameter


class LayerNorm(Module):
    """y = (x - μ) / √(σ² + ε) · γ + β, μ and σ² over the last len(normalized_shape) axes.

    x: (..., *normalized_shape) -> y: same shape. γ (weight) starts at 1 and β (bias) at 0, so a
    fresh LayerNorm just standardises each row. The formula and its backward are in
    ops.LayerNorm (ops/normalization.py).
    """

    def __init__(
        self,
        normalized_shape,
        eps=1e-5,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(zeros(self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
