"""Embedding: a trainable lookup table from token ids to vectors (S1, S3, S5)."""

from minigrad.creation import zeros
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter


class Embedding(Module):
    """out[..., :] = weight[input[...], :].

    input: integer ids (any shape) -> (*input.shape, embedding_dim)
    weight: (num_embeddings, embedding_dim), initialised N(0, 1) as in PyTorch.
    padding_idx: that row starts at zero and receives no gradient, so padding tokens stay at the
    zero vector during training.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None, dtype=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx={padding_idx} must be within "
                    f"[-{num_embeddings}, {num_embeddings - 1}]"
                )
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(zeros(num_embeddings, embedding_dim, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            # Zero one row: through the backend's array module, so it works on every device.
            data = self.weight.array.copy()
            data[self.padding_idx] = 0.0
            self.weight.array = data

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
