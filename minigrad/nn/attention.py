"""Attention: scaled dot-product attention and multi-head attention (F8, F9, F10, F12).

Self-attention (F8) lets every position of a sequence look at every other position and take a
weighted average of what it finds there:

    Q = X W_Q,   K = X W_K,   V = X W_V            queries, keys, values
    score_ij     = scale · Q_i · K_j               how well query i matches key j
    attention_ij = e^{score_ij} / Σ_k e^{score_ik} softmax over the keys: row i sums to 1
    context_i    = Σ_j attention_ij V_j            a weighted average of the values

The documents (F8) use no scale, which is `scale=1.0` here. The Transformer paper divides the
scores by √d (d = the length of a query), the default here: without it, dot products of long
vectors are large, the softmax saturates, and its gradients vanish.

    scaled_dot_product_attention   the formula above on tensors (..., L, d), with masks and
                                   dropout (nn/functional.py, as F.scaled_dot_product_attention
                                   in PyTorch; the op and its backward: ops/attention.py)
    causal_mask                    the "no peeking at the future" mask of a language model
                                   (also in nn/functional.py)
    MultiHeadAttention             F12: n_heads attentions side by side, each on its own slice of
                                   the features, with the learned W_Q, W_K, W_V and an output
                                   projection
    KVCache                        the keys and values of tokens already seen, so that generating
                                   one more token costs O(context) instead of re-running the prefix

Masks follow PyTorch's `scaled_dot_product_attention`: a boolean mask says True = "may attend",
a float mask is added to the scores (0 keeps a score, -inf removes it).
"""

import math

from minigrad import dtypes
from minigrad.creation import tensor
from minigrad.nn.functional import causal_mask, scaled_dot_product_attention
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module
from minigrad.routines import cat, where
from minigrad.tensor import Tensor

# ============================================================================================
# Multi-head attention
# ============================================================================================


class KVCache:
    """The keys and values one self-attention layer has computed for the tokens seen so far.

    During generation, token t's key and value never change once computed (causal attention:
    later tokens do not affect earlier ones). So instead of re-running the whole prefix for every
    new token, each layer keeps them here and the new token only computes its own q, k, v:

        k, v: (N, n_heads, T, d_head) after T tokens (None before the first)

    One KVCache per layer; pass the same object to every call. `len(cache)` is T.
    """

    def __init__(self):
        self.k = None
        self.v = None

    def __len__(self):
        return 0 if self.k is None else self.k.shape[-2]

    def append(self, k, v):
        """Add the keys/values of new tokens (N, H, T_new, d_head); return all of them so far."""
        if self.k is None:
            self.k, self.v = k, v
        else:
            self.k = cat([self.k, k], axis=-2)  # (N, H, T + T_new, d_head)
            self.v = cat([self.v, v], axis=-2)
        return self.k, self.v


class MultiHeadAttention(Module):
    """Multi-head attention (F8, F12): n_heads attentions in parallel, then one projection.

        Q = query W_Qᵀ,  K = key W_Kᵀ,  V = value W_Vᵀ        q_proj, k_proj, v_proj: (E, E)
        split E = n_heads · d_head features into heads:       (N, L, E) -> (N, H, L, d_head)
        head_h = softmax(Q_h K_hᵀ / √d_head + mask) V_h       (F8, per head)
        out    = concat(head_1, ..., head_H) W_Oᵀ             out_proj: (E, E)

    Each head can learn a different pattern (one follows the previous token, one looks for a
    matching bracket, ...) at the cost of one attention of the full width.

    query: (N, L, E) (or (L, E) unbatched); key, value: (N, S, E). key=None means self-attention
    (key = value = query); value=None means value = key.

    Masks (True always means "may attend" in attn_mask, as in scaled_dot_product_attention; note
    that torch.nn.MultiheadAttention uses the opposite for its boolean attn_mask):
        attn_mask: (L, S), (N, L, S) or (N, H, L, S); boolean (True = may attend) or float
            (added to the scores).
        key_padding_mask: (N, S) boolean, True where the KEY IS PADDING (ignored), as in
            PyTorch. A padded key gets attention weight exactly 0 from every query.
        is_causal: query i attends to keys up to i only (with a kv_cache: up to the cached
            length + i, so the newest token sees the whole past).
    need_weights: also return the per-head attention weights (N, H, L, S), for heat maps.
    kv_cache: a KVCache, for self-attention during generation: the new tokens' keys and values
        are appended to it and the queries attend to everything cached.

    Returns out (N, L, E), or (out, weights) when need_weights=True.
    """

    def __init__(self, d_model, n_heads, dropout=0.0, bias=True):
        super().__init__()
        if n_heads <= 0 or d_model % n_heads != 0:
            raise ValueError(
                f"MultiHeadAttention: d_model={d_model} must be divisible by n_heads={n_heads} "
                f"(each head gets d_model / n_heads features)"
            )
        if isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        self.d_model = d_model
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.dropout = dropout  # on the attention weights, in training mode only
        self.q_proj = Linear(d_model, d_model, bias=bias)  # W_Q of F8, all heads at once
        self.k_proj = Linear(d_model, d_model, bias=bias)  # W_K
        self.v_proj = Linear(d_model, d_model, bias=bias)  # W_V
        self.out_proj = Linear(d_model, d_model, bias=bias)  # W_O mixes the heads' results

    def _split_heads(self, x):
        # (N, T, E) -> (N, T, H, d_head) -> (N, H, T, d_head): each head attends separately.
        N, T, _ = x.shape
        return x.reshape(N, T, self.n_heads, self.d_head).transpose(1, 2)

    def _merge_heads(self, x):
        # (N, H, T, d_head) -> (N, T, H, d_head) -> (N, T, E): the heads side by side again.
        N, _, T, _ = x.shape
        return x.transpose(1, 2).reshape(N, T, self.d_model)

    def forward(
        self,
        query,
        key=None,
        value=None,
        attn_mask=None,
        key_padding_mask=None,
        is_causal=False,
        need_weights=False,
        kv_cache=None,
    ):
        key = query if key is None else key
        value = key if value is None else value
        who = f"MultiHeadAttention({self.extra_repr()})"
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.ndim not in (2, 3) or t.shape[-1] != self.d_model:
                raise ValueError(
                    f"{who}: expected {name} of shape (N, length, {self.d_model}) "
                    f"or (length, {self.d_model}), got {t.shape}"
                )
        if not query.ndim == key.ndim == value.ndim:
            raise ValueError(
                f"{who}: query {query.shape}, key {key.shape} and value "
                f"{value.shape} must all be batched (3-d) or all unbatched (2-d)"
            )
        batched = query.ndim == 3
        if not batched:  # (L, E) -> (1, L, E): one code path below
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(
                f"{who}: query {query.shape}, key {key.shape} and value "
                f"{value.shape} need the same batch size, and key and value the "
                f"same length"
            )

        q = self._split_heads(self.q_proj(query))  # (N, H, L, d_head)
        k = self._split_heads(self.k_proj(key))  # (N, H, S, d_head)
        v = self._split_heads(self.v_proj(value))  # (N, H, S, d_head)
        past = 0
        if kv_cache is not None:
            past = len(kv_cache)
            k, v = kv_cache.append(k, v)  # (N, H, past + S, d_head)

        mask = self._combined_mask(
            q.shape[2],
            k.shape[2],
            q.shape[0],
            past,
            attn_mask,
            key_padding_mask,
            is_causal,
            query,
            who,
        )
        dropout_p = self.dropout if self.training else 0.0
        result = scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=dropout_p, return_weights=need_weights
        )
        out, weights = result if need_weights else (result, None)
        out = self.out_proj(self._merge_heads(out))  # (N, L, E)
        if not batched:
            out = out.squeeze(0)
            weights = None if weights is None else weights.squeeze(0)
        return (out, weights) if need_weights else out

    def _combined_mask(self, L, S, N, past, attn_mask, key_padding_mask, is_causal, like, who):
        """One mask for scaled_dot_product_attention, broadcastable to (N, H, L, S), or None."""
        keep = None  # boolean, True = may attend
        if is_causal:
            keep = causal_mask(L, S, offset=past, device=like.device)  # (L, S)
        if key_padding_mask is not None:
            if key_padding_mask.dtype != dtypes.bool or key_padding_mask.shape != (N, S):
                raise ValueError(
                    f"{who}: key_padding_mask must be a boolean tensor of shape "
                    f"(N, S) = {(N, S)} (True = padding), got "
                    f"{key_padding_mask.dtype} {key_padding_mask.shape}"
                )
            not_padding = (~key_padding_mask).reshape(N, 1, 1, S)  # one row for all heads
            keep = not_padding if keep is None else keep & not_padding
        bias = None
        if attn_mask is not None:
            if not isinstance(attn_mask, Tensor):
                attn_mask = tensor(attn_mask, device=like.device)
            if attn_mask.ndim == 3:
                attn_mask = attn_mask.unsqueeze(1)  # (N, L, S) -> (N, 1, L, S): same for all heads
            if attn_mask.ndim not in (2, 4) or attn_mask.shape[-2:] != (L, S):
                raise ValueError(
                    f"{who}: attn_mask must have shape (L, S), (N, L, S) or "
                    f"(N, H, L, S) with (L, S) = {(L, S)}, got {attn_mask.shape}"
                )
            if attn_mask.dtype == dtypes.bool:
                keep = attn_mask if keep is None else keep & attn_mask
            else:
                bias = attn_mask
        if bias is None:
            return keep
        if keep is None:
            return bias
        return where(keep, bias, -math.inf)  # one float mask that also removes keys

    def extra_repr(self):
        return f"d_model={self.d_model}, n_heads={self.n_heads}, dropout={self.dropout}"
