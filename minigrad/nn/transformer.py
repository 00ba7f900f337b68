"""The Transformer's building blocks: feed-forward network, block, positional information.

    FeedForward                    F11: the per-position two-layer network
    TransformerBlock               F12: attention + feed-forward, each with a residual connection
                                   and LayerNorm, pre-LN (GPT-2) or post-LN (Vaswani et al. 2017)
    PositionalEmbedding            learned position vectors (GPT, BERT)
    SinusoidalPositionalEncoding   the fixed sines and cosines of Vaswani et al. 2017

Attention itself (F8) does not know where a token is: permute the input tokens and the outputs
are permuted the same way. Word order reaches the model only through the positional vectors
added to the token embeddings.
"""

import math

import numpy as np

from minigrad.creation import tensor, zeros
from minigrad.nn import init
from minigrad.nn.attention import MultiHeadAttention
from minigrad.nn.dropout import Dropout
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module, Parameter
from minigrad.nn.normalization import LayerNorm

ACTIVATIONS = ("relu", "gelu")


class FeedForward(Module):
    """F11: FFN(x) = max(0, x W₁ + b₁) W₂ + b₂, applied to every position separately.

    x: (..., d_model) -> fc1 -> (..., d_ff) -> ReLU (or GELU) -> dropout -> fc2 -> (..., d_model)

    Attention mixes information between positions; this network then transforms each position
    on its own. d_ff is usually 4 · d_model: the wide hidden layer is where most of a
    Transformer's parameters are.
    """

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"FeedForward: activation must be one of {ACTIVATIONS}, got {activation!r}"
            )
        self.activation = activation
        self.fc1 = Linear(d_model, d_ff)  # W₁, b₁
        self.fc2 = Linear(d_ff, d_model)  # W₂, b₂
        self.dropout = Dropout(dropout)

    def forward(self, x):
        h = self.fc1(x)  # (..., d_ff)
        h = h.relu() if self.activation == "relu" else h.gelu()
        return self.fc2(self.dropout(h))  # (..., d_model)

    def extra_repr(self):
        return f"activation={self.activation!r}"


class TransformerBlock(Module):
    """One Transformer layer (F12): self-attention, then the feed-forward network (F11).

    Each sublayer is wrapped in a residual connection (x + sublayer(x): the block only has to
    learn a change to x, and gradients reach early layers undiminished through the "+") and a
    LayerNorm. Where the LayerNorm goes is the one difference between the two classic layouts:

        norm_first=True  (pre-LN, GPT-2):        x = x + drop(attn(norm1(x)))
                                                 x = x + drop(ff(norm2(x)))
        norm_first=False (post-LN, 2017 paper):  x = norm1(x + drop(attn(x)))
                                                 x = norm2(x + drop(ff(x)))

    Pre-LN keeps an un-normalised "residual stream" from input to output and trains stably
    without learning-rate warm-up; a pre-LN model needs one final LayerNorm after its last block.
    Post-LN normalises the output of every block.

    causal=True: each position attends only to itself and earlier positions (a decoder / GPT);
    False: to every position (an encoder / BERT).

    x: (N, T, d_model) -> (N, T, d_model); with need_weights=True also the attention weights
    (N, n_heads, T, S). key_padding_mask (N, S), True = padding; kv_cache: see
    MultiHeadAttention.
    """

    def __init__(
        self,
        d_model,
        n_heads,
        d_ff,
        dropout=0.0,
        norm_first=True,
        causal=False,
        activation="relu",
        bias=True,
    ):
        super().__init__()
        self.norm_first = norm_first
        self.causal = causal
        self.attn = MultiHeadAttention(d_model, n_heads, dropout=dropout, bias=bias)
        self.norm1 = LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm2 = LayerNorm(d_model)
        self.dropout1 = Dropout(dropout)  # on each sublayer's output, before the residual "+"
        self.dropout2 = Dropout(dropout)

    def forward(self, x, key_padding_mask=None, attn_mask=None, kv_cache=None, need_weights=False):
        if x.ndim != 3:
            raise ValueError(
                f"TransformerBlock: expected x of shape (N, T, d_model), got {x.shape}"
            )
        h = self.norm1(x) if self.norm_first else x
        attended = self.attn(
            h,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            is_causal=self.causal,
            need_weights=need_weights,
            kv_cache=kv_cache,
        )
        attended, weights = attended if need_weights else (attended, None)
        if self.norm_first:
            x = x + self.dropout1(attended)  # (N, T, d_model)
            x = x + self.dropout2(self.ff(self.norm2(x)))
        else:
            x = self.norm1(x + self.dropout1(attended))
            x = self.norm2(x + self.dropout2(self.ff(x)))
        return (x, weights) if need_weights else x

    def extra_repr(self):
        return f"norm_first={self.norm_first}, causal={self.causal}"


def _check_positions(x, start, max_len, who):
    if x.ndim < 2:
        raise ValueError(f"{who}: expected x of shape (..., T, d_model), got {x.shape}")
    T = x.shape[-2]
    if start < 0 or start + T > max_len:
        raise ValueError(
            f"{who}: positions {start}..{start + T - 1} are needed (x has shape "
            f"{x.shape}, start={start}), but max_len is {max_len}"
        )
    return T


class PositionalEmbedding(Module):
    """Learned positions: out = x + P[start : start + T], P a (max_len, d_model) Parameter.

    x: (..., T, d_model) -> the same shape. `start` is the position of x's first token (non-zero
    when earlier tokens are already in a KVCache). Positions beyond max_len do not exist: a model
    with learned positions cannot read longer sequences than it was built for.
    P starts as N(0, 0.02²), the GPT-2 initialisation.
    """

    def __init__(self, max_len, d_model):
        super().__init__()
        self.max_len = max_len
        self.d_model = d_model
        self.weight = Parameter(zeros(max_len, d_model))
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x, start=0):
        T = _check_positions(x, start, self.max_len, "PositionalEmbedding")
        return x + self.weight[start : start + T]  # (T, d_model) broadcasts over the batch

    def extra_repr(self):
        return f"{self.max_len}, {self.d_model}"


class SinusoidalPositionalEncoding(Module):
    """Fixed positions (Vaswani et al. 2017): out = x + PE[start : start + T], where

        PE[pos, 2i]     = sin(pos / 10000^(2i / d_model))
        PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))

    Each pair of features is a clock turning at its own speed, from once every 2π positions to
    once every 10000 · 2π, so every position gets a distinct pattern and PE[pos + k] is a fixed
    linear function (a rotation) of PE[pos]. No parameters: nothing to learn.
    """

    def __init__(self, d_model, max_len=5000):
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len
        # A host (NumPy) table of constants, built once; forward copies the rows it needs to
        # x's device and dtype.
        position = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
        rate = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)  # (⌈d/2⌉,)
        angle = position * rate  # (max_len, ⌈d/2⌉)
        table = np.zeros((max_len, d_model))
        table[:, 0::2] = np.sin(angle)
        table[:, 1::2] = np.cos(angle)[:, : d_model // 2]  # odd d_model: one cosine fewer
        self.table = table

    def forward(self, x, start=0):
        T = _check_positions(x, start, self.max_len, "SinusoidalPositionalEncoding")
        pe = tensor(self.table[start : start + T], dtype=x.dtype, device=x.device)
        return x + pe  # (T, d_model) broadcasts over the batch

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"
