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

    scaled_dot_product_attention   the formula above on tensors (..., L, d): a fused Function
                                   with a hand-written backward, masks and dropout
    causal_mask                    the "no peeking at the future" mask of a language model
    MultiHeadAttention             F12: n_heads attentions side by side, each on its own slice of
                                   the features, with the learned W_Q, W_K, W_V and an output
                                   projection
    KVCache                        the keys and values of tokens already seen, so that generating
                                   one more token costs O(context) instead of re-running the prefix

Masks follow PyTorch's `scaled_dot_product_attention`: a boolean mask says True = "may attend",
a float mask is added to the scores (0 keeps a score, -inf removes it).
"""

import math

import minigrad
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module

# ============================================================================================
# Scaled dot-product attention
# ============================================================================================


class _ScaledDotProductAttention(minigrad.Function):
    r"""Attention for one batch of queries, keys and values, fused into one op.   (F8)

    Forward, for each batch element (Q: (L, d), K: (S, d), V: (S, dv)):
        A    = scale · Q Kᵀ + B                (L, S)   B: the additive float mask (or 0)
        A_ij = -inf where the boolean mask is False (query i must not look at key j)
        P    = softmax(A), row by row          (L, S)   the attention weights; each row sums to 1
        P̃    = P ⊙ D                                    D: dropout mask, 0 or 1/(1 - p) (or 1)
        O    = P̃ V                             (L, dv)  one context vector per query
    Backward, with G = ∂L/∂O:
        ∂L/∂V = P̃ᵀ G                                     (S, dv)
        ∂L/∂P = (G Vᵀ) ⊙ D                               (L, S)
        ∂L/∂A = P ⊙ (∂L/∂P - rowsum(∂L/∂P ⊙ P))          the softmax's vector-Jacobian product
        ∂L/∂Q = scale · ∂L/∂A K                          (L, d)
        ∂L/∂K = scale · ∂L/∂Aᵀ Q                         (S, d)
        ∂L/∂B = ∂L/∂A
    The softmax Jacobian ∂P_i/∂A_j = P_i (δ_ij - P_j) is never built: the formula for ∂L/∂A
    applies it to ∂L/∂P directly, in O(L·S) instead of O(L·S²).

    A fully masked row (every key removed, so every A_ij = -inf) has no softmax: e^{-inf} summed
    is 0 and 0/0 = nan. Such a row is defined to have P = 0: its output is the zero vector and it
    sends no gradient anywhere (∂L/∂A = P ⊙ (...) = 0).

    Batch dimensions broadcast (e.g. one key per head shared by all heads); the engine sums the
    gradients back to each input's shape.
    """

    @staticmethod
    def forward(ctx, q, k, v, bias, keep, drop, scale, weights_out):
        xp = ctx.xp
        scores = q @ xp.swapaxes(k, -1, -2)  # (..., L, d) @ (..., d, S) -> (..., L, S), new
        scores *= scale  # in place: the scores are the biggest array here, (..., L, S)
        if bias is not None:
            scores = scores + bias  # (may broadcast scores up to the mask's batch shape)
        if keep is not None:
            # Remove masked keys by adding -inf (0 where a key may be seen): one addition, where
            # xp.where(keep, scores, -inf) over every score is ~6x slower in NumPy.
            scores = scores + xp.where(keep, 0.0, -math.inf).astype(scores.dtype)
        # Subtract the row maximum so that e^x never overflows (softmax is unchanged by it). In a
        # fully masked row the maximum is -inf; subtracting it would give nan, so use 0 there.
        row_max = scores.max(axis=-1, keepdims=True)  # (..., L, 1)
        empty = row_max == -math.inf  # rows with no key to attend to
        scores -= xp.where(empty, 0.0, row_max)
        p = xp.exp(scores, out=scores)  # masked entries become e^-inf = 0
        p /= xp.where(empty, 1.0, _row_sums(xp, p))  # empty rows: 0 / 1 = 0
        p_used = p if drop is None else p * drop
        ctx.save_for_backward(q, k, v, p, drop)
        ctx.scale = scale
        if weights_out is not None:
            weights_out.append(p)  # forward returns one array; the weights leave this way
        return p_used @ v  # (..., L, S) @ (..., S, dv) -> (..., L, dv)

    @staticmethod
    def backward(ctx, grad):  # grad: (..., L, dv)
        q, k, v, p, drop = ctx.saved_tensors
        xp = ctx.xp
        scale = ctx.scale
        grad_q = grad_k = grad_v = grad_bias = None
        if ctx.needs_input_grad[2]:
            p_used = p if drop is None else p * drop
            grad_v = xp.swapaxes(p_used, -1, -2) @ grad  # (..., S, dv)
        if any(ctx.needs_input_grad[:2]) or ctx.needs_input_grad[3]:
            grad_p = grad @ xp.swapaxes(v, -1, -2)  # (..., L, S), a new array
            if drop is not None:
                grad_p *= drop
            # grad_scores = p * (grad_p - rowsum(grad_p * p)), computed in place in grad_p
            grad_p -= _row_sums(xp, grad_p * p)
            grad_p *= p
            grad_scores = grad_p
            if ctx.needs_input_grad[3]:
                grad_bias = grad_scores.copy()  # (the next line scales grad_scores in place)
            grad_scores *= scale  # once here rather than on both grad_q and grad_k
            if ctx.needs_input_grad[0]:
                grad_q = grad_scores @ k  # (..., L, d)
            if ctx.needs_input_grad[1]:
                grad_k = xp.swapaxes(grad_scores, -1, -2) @ q  # (..., S, d)
        return grad_q, grad_k, grad_v, grad_bias, None, None, None, None


def _row_sums(xp, a):
    """a.sum(axis=-1, keepdims=True), as a matrix-vector product (BLAS: faster than NumPy's sum
    along the last axis)."""
    S = a.shape[-1]
    rows = a.reshape(-1, S) @ xp.ones(S, dtype=a.dtype)
    return rows.reshape(a.shape[:-1] + (1,))


def _check_qkv(query, key, value):
    """Check the three inputs; return the shape of the scores, (*batch, L, S)."""
    fn = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, minigrad.Tensor):
            raise TypeError(f"{fn}: {name} must be a Tensor, got {type(t).__name__}")
        if t.dtype.kind != "f":
            raise TypeError(f"{fn}: {name} must be a floating-point tensor, got {t.dtype}")
        if t.ndim < 2:
            raise ValueError(f"{fn}: {name} must have shape (..., length, features), got {t.shape}")
        if t.dtype != query.dtype:
            raise TypeError(f"{fn}: query is {query.dtype} but {name} is {t.dtype}; "
                            f"convert one, e.g. {name}.astype(minigrad.{query.dtype})")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"{fn}: query {query.shape} and key {key.shape} must have the same last dimension "
            f"(the query/key size d), got {query.shape[-1]} and {key.shape[-1]}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"{fn}: key {key.shape} and value {value.shape} must have the same length S "
            f"(one value per key), got {key.shape[-2]} and {value.shape[-2]}"
        )
    if key.shape[-2] == 0:
        raise ValueError(f"{fn}: there are no keys to attend to (key has shape {key.shape})")
    try:
        batch = minigrad.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(f"{fn}: the batch dimensions of query {query.shape}, key {key.shape} "
                         f"and value {value.shape} cannot be broadcast together") from None
    return batch + (query.shape[-2], key.shape[-2])


def causal_mask(L, S=None, offset=0, device=None):
    """Boolean (L, S) mask, True where query i may look at key j:  j <= i + offset.

    With offset=0 and L = S this is the lower triangle: position t sees positions 0..t and never
    a later one, so a language model cannot peek at the token it has to predict. With a cache of
    `offset` earlier tokens, query i is token offset + i and sees keys 0..offset + i.
    """
    S = L if S is None else S
    rows = minigrad.arange(L, device=device).reshape(L, 1)  # (L, 1) query positions
    cols = minigrad.arange(S, device=device).reshape(1, S)  # (1, S) key positions
    return cols <= rows + offset  # (L, S)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, *, return_weights=False):
    """softmax(scale · Q Kᵀ + mask) V, with PyTorch's arguments and semantics.   (F8)

    query: (..., L, d)    key: (..., S, d)    value: (..., S, dv)    -> (..., L, dv)
    The leading dimensions (batch, heads) broadcast against each other.

    attn_mask: broadcastable to (..., L, S). Boolean: True = this query may attend to this key.
        Float: added to the scores (0 = keep, -inf = remove; other values bias the weights).
    dropout_p: drop attention weights with this probability (and scale the rest by
        1/(1 - dropout_p)). Applied whenever dropout_p > 0: pass 0.0 in evaluation, as
        MultiHeadAttention does for you.
    is_causal: query i attends to keys 0..i only (the top-left-aligned lower triangle, as in
        PyTorch). Cannot be combined with attn_mask; build one mask with `causal_mask` instead.
    scale: multiplies Q Kᵀ. None means 1/√d (Vaswani et al.); 1.0 gives the documents' F8.
    return_weights: also return the attention weights P (..., L, S), before dropout, as a
        constant tensor (for heat maps).

    A query whose keys are all masked gets the zero vector as output and no gradient (PyTorch
    2.5+ does the same); the rows of its weights are all 0 instead of summing to 1.
    """
    fn = "scaled_dot_product_attention"
    score_shape = _check_qkv(query, key, value)
    L, S = score_shape[-2], score_shape[-1]
    if isinstance(dropout_p, bool) or not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{fn}: dropout_p must be between 0 and 1, got {dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{fn}: give attn_mask or is_causal=True, not both (combine them into "
                         f"one boolean mask: causal_mask(L, S) & your_mask)")
    # A Python float keeps float32 float32; a NumPy float64 scalar would not.
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)

    keep = bias = None  # boolean "may attend" mask / additive float mask
    if is_causal:
        keep = causal_mask(L, S, device=query.device)
    if attn_mask is not None:
        if not isinstance(attn_mask, minigrad.Tensor):
            attn_mask = minigrad.tensor(attn_mask, device=query.device)
        try:
            fits = minigrad.broadcast_shapes(attn_mask.shape, score_shape) == score_shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{fn}: attn_mask of shape {attn_mask.shape} does not broadcast to "
                             f"the scores' shape {score_shape} (..., L, S)")
        if attn_mask.dtype == minigrad.bool:
            keep = attn_mask
        elif attn_mask.dtype == query.dtype:
            bias = attn_mask
        else:
            raise TypeError(f"{fn}: attn_mask must be boolean or have the query's dtype "
                            f"({query.dtype}), got {attn_mask.dtype}")

    drop = None
    if dropout_p > 0.0:
        uniform = minigrad.rand(score_shape, dtype=query.dtype, device=query.device)
        kept = (uniform >= dropout_p).astype(query.dtype)  # 1 with probability 1 - p
        drop = kept * (1.0 / (1.0 - dropout_p)) if dropout_p < 1.0 else kept

    weights_out = [] if return_weights else None
    out = _ScaledDotProductAttention.apply(query, key, value, bias, keep, drop, scale, weights_out)
    if return_weights:
        return out, minigrad.Tensor(weights_out[0], device=query.device)
    return out


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
            self.k = minigrad.cat([self.k, k], axis=-2)  # (N, H, T + T_new, d_head)
            self.v = minigrad.cat([self.v, v], axis=-2)
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

    def forward(self, query, key=None, value=None, attn_mask=None, key_padding_mask=None,
                is_causal=False, need_weights=False, kv_cache=None):
        key = query if key is None else key
        value = key if value is None else value
        who = f"MultiHeadAttention({self.extra_repr()})"
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.ndim not in (2, 3) or t.shape[-1] != self.d_model:
                raise ValueError(f"{who}: expected {name} of shape (N, length, {self.d_model}) "
                                 f"or (length, {self.d_model}), got {t.shape}")
        if not query.ndim == key.ndim == value.ndim:
            raise ValueError(f"{who}: query {query.shape}, key {key.shape} and value "
                             f"{value.shape} must all be batched (3-d) or all unbatched (2-d)")
        batched = query.ndim == 3
        if not batched:  # (L, E) -> (1, L, E): one code path below
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(f"{who}: query {query.shape}, key {key.shape} and value "
                             f"{value.shape} need the same batch size, and key and value the "
                             f"same length")

        q = self._split_heads(self.q_proj(query))  # (N, H, L, d_head)
        k = self._split_heads(self.k_proj(key))  # (N, H, S, d_head)
        v = self._split_heads(self.v_proj(value))  # (N, H, S, d_head)
        past = 0
        if kv_cache is not None:
            past = len(kv_cache)
            k, v = kv_cache.append(k, v)  # (N, H, past + S, d_head)

        mask = self._combined_mask(q.shape[2], k.shape[2], q.shape[0], past, attn_mask,
                                   key_padding_mask, is_causal, query, who)
        dropout_p = self.dropout if self.training else 0.0
        result = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p,
                                              return_weights=need_weights)
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
            if key_padding_mask.dtype != minigrad.bool or key_padding_mask.shape != (N, S):
                raise ValueError(f"{who}: key_padding_mask must be a boolean tensor of shape "
                                 f"(N, S) = {(N, S)} (True = padding), got "
                                 f"{key_padding_mask.dtype} {key_padding_mask.shape}")
            not_padding = (~key_padding_mask).reshape(N, 1, 1, S)  # one row for all heads
            keep = not_padding if keep is None else keep & not_padding
        bias = None
        if attn_mask is not None:
            if not isinstance(attn_mask, minigrad.Tensor):
                attn_mask = minigrad.tensor(attn_mask, device=like.device)
            if attn_mask.ndim == 3:
                attn_mask = attn_mask.unsqueeze(1)  # (N, L, S) -> (N, 1, L, S): same for all heads
            if attn_mask.ndim not in (2, 4) or attn_mask.shape[-2:] != (L, S):
                raise ValueError(f"{who}: attn_mask must have shape (L, S), (N, L, S) or "
                                 f"(N, H, L, S) with (L, S) = {(L, S)}, got {attn_mask.shape}")
            if attn_mask.dtype == minigrad.bool:
                keep = attn_mask if keep is None else keep & attn_mask
            else:
                bias = attn_mask
        if bias is None:
            return keep
        if keep is None:
            return bias
        return minigrad.where(keep, bias, -math.inf)  # one float mask that also removes keys

    def extra_repr(self):
        return f"d_model={self.d_model}, n_heads={self.n_heads}, dropout={self.dropout}"
