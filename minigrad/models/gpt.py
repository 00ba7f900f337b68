"""GPT: a decoder-only Transformer language model (S4; S3's text continuation done right).

One file, read top to bottom, in the style of Karpathy's nanoGPT (model.py):

    CausalSelfAttention   tokens look at themselves and EARLIER tokens (F8, F12)
    MLP                   then each token is transformed on its own (F11)
    Block                 the two, each with a pre-LayerNorm and a residual "+" (F12)
    GPT                   embeddings -> n_layer Blocks -> LayerNorm -> one logit per token id

Shapes in the comments: B batch size, T tokens in the input, C = d_model channels per token,
nh heads, hs = C / nh features per head, S keys a query can look at (T, or more with a cache),
V vocab_size.

    token ids (B, T)
      -> token embedding + position embedding          (B, T, C)
      -> n_layer Blocks                                (B, T, C)
      -> final LayerNorm
      -> lm_head: one logit per vocabulary entry       (B, T, V)

The logits at position t are the model's guess of token t + 1, having seen tokens 0..t only
(the causal mask). Training minimises the cross-entropy (F2) of every position's guess at once;
generation appends one sampled token at a time.

    model = GPT(vocab_size=65, block_size=64, n_layer=2, n_head=4, d_model=64)
    logits, loss = model(x, targets=y)
    text_ids = model.generate(prompt_ids, max_new_tokens=100, temperature=0.8, top_k=10)

Save and reload with the constructor arguments kept in `model.config`:

    minigrad.save({"config": model.config, "model": model.state_dict()}, "gpt.safetensors")
    checkpoint = minigrad.load("gpt.safetensors")
    model = GPT(**checkpoint["config"]); model.load_state_dict(checkpoint["model"])

Arguments are checked once, where they come in: GPT's constructor, forward and generate. The
small modules inside trust what GPT hands them.
"""

import math
from numbers import Integral

from minigrad import random
from minigrad.creation import arange, tensor
from minigrad.grad_mode import no_grad
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.activation import GELU
from minigrad.nn.attention import KVCache
from minigrad.nn.containers import ModuleList
from minigrad.nn.dropout import Dropout
from minigrad.nn.embedding import Embedding
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.normalization import LayerNorm
from minigrad.nn.transformer import PositionalEmbedding
from minigrad.routines import cat
from minigrad.tensor import Tensor


class CausalSelfAttention(Module):
    """Multi-head self-attention with a causal mask (F8, F12).

        q, k, v = x W_Qᵀ, x W_Kᵀ, x W_Vᵀ                     each (B, T, C)
        split C into nh heads of hs features                 (B, nh, T, hs)
        y_h = softmax(q_h k_hᵀ / √hs + causal mask) v_h      (B, nh, T, hs), F8 per head
        out = concat(y_1, ..., y_nh) W_Oᵀ                     (B, T, C)

    Token t may only look at tokens 0..t: its output must not depend on the token it is asked
    to predict. Each head can learn its own pattern (the previous character, the matching
    bracket, ...). bias: whether the four projections have a bias.

    With a KVCache the new tokens' keys and values are appended to those of the tokens before
    them, and the new queries look at all of them (generation, one token at a time).
    """

    def __init__(self, d_model, n_head, dropout=0.0, bias=True):
        super().__init__()
        self.n_head = n_head
        self.dropout = dropout  # on the attention weights, while training
        self.q_proj = Linear(d_model, d_model, bias=bias)  # W_Q of F8, all heads at once
        self.k_proj = Linear(d_model, d_model, bias=bias)  # W_K
        self.v_proj = Linear(d_model, d_model, bias=bias)  # W_V
        self.out_proj = Linear(d_model, d_model, bias=bias)  # W_O mixes the heads' results
        self.resid_drop = Dropout(dropout)  # on the output, before the residual "+"
        self.keep_weights = False  # GPT.attention_weights switches this on for one forward
        self.weights = None  # (B, nh, T, S): the attention weights of that forward

    def forward(self, x, kv_cache=None):
        B, T, C = x.shape
        nh, hs = self.n_head, C // self.n_head
        # (B, T, C) -> (B, T, nh, hs) -> (B, nh, T, hs): each head attends on its own
        q = self.q_proj(x).reshape(B, T, nh, hs).transpose(1, 2)
        k = self.k_proj(x).reshape(B, T, nh, hs).transpose(1, 2)
        v = self.v_proj(x).reshape(B, T, nh, hs).transpose(1, 2)
        past = 0  # tokens before x, already in the cache
        if kv_cache is not None:
            past = len(kv_cache)
            k, v = kv_cache.append(k, v)  # (B, nh, S, hs), S = past + T: every token so far

        # Without earlier tokens the mask is the plain lower triangle (is_causal). After `past`
        # cached tokens, new token i is token past + i and sees keys 0..past + i.
        mask = None if past == 0 else _causal_mask_after(past, T, x.device)  # (T, S)
        causal = past == 0
        p = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=p, is_causal=causal, return_weights=self.keep_weights
        )  # (B, nh, T, hs)
        if self.keep_weights:
            out, self.weights = out  # and the weights, (B, nh, T, S)
        y = out.transpose(1, 2).reshape(B, T, C)  # the heads side by side again: (B, T, C)
        return self.resid_drop(self.out_proj(y))  # (B, T, C)

    def extra_repr(self):
        return f"n_head={self.n_head}, dropout={self.dropout}"


def _causal_mask_after(past, T, device):
    """Boolean (T, past + T) mask for T new tokens after `past` cached ones: True where new
    token i (position past + i) may look at key j, i.e. j <= past + i."""
    query_position = arange(past, past + T, device=device).reshape(T, 1)  # (T, 1)
    key_position = arange(past + T, device=device).reshape(1, past + T)  # (1, S)
    return key_position <= query_position  # (T, S)


class MLP(Module):
    """F11: the feed-forward network, applied to every token on its own.

        (B, T, C) -> fc1 -> (B, T, d_ff) -> GELU -> fc2 -> (B, T, C) -> dropout

    Attention moves information between tokens; the MLP then works on what each token has
    gathered. d_ff is usually 4 · C: most of a Transformer's parameters are here.
    """

    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.fc1 = Linear(d_model, d_ff)  # W₁, b₁
        self.gelu = GELU()  # GPT-2's activation (exact, not the tanh approximation)
        self.fc2 = Linear(d_ff, d_model)  # W₂, b₂
        self.drop = Dropout(dropout)  # on the output, before the residual "+"

    def forward(self, x):
        h = self.gelu(self.fc1(x))  # (B, T, d_ff)
        return self.drop(self.fc2(h))  # (B, T, C)


class Block(Module):
    """One Transformer block, pre-LN as in GPT-2 (F12):

        x = x + attn(norm1(x))      tokens exchange information
        x = x + ff(norm2(x))        each token is transformed on its own

    The residual "+" means a block only learns a change to x, and gradients reach the early
    blocks undiminished. Normalising each sublayer's input (not its output, as the 2017 paper
    did) leaves an un-normalised "residual stream" from the embeddings to the last block; it
    trains stably without learning-rate warm-up, and GPT adds one final LayerNorm (ln_f).
    """

    def __init__(self, d_model, n_head, d_ff, dropout=0.0, bias=True):
        super().__init__()
        self.norm1 = LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head, dropout, bias)
        self.norm2 = LayerNorm(d_model)
        self.ff = MLP(d_model, d_ff, dropout)

    def forward(self, x, kv_cache=None):
        x = x + self.attn(self.norm1(x), kv_cache)  # (B, T, C)
        x = x + self.ff(self.norm2(x))  # (B, T, C)
        return x


class GPT(Module):
    """A GPT-style language model.

    vocab_size: number of token ids; block_size: the longest context the model can read (its
    number of learned positions); n_layer blocks of n_head heads, width d_model, feed-forward
    width d_ff (default 4 · d_model). dropout: on the embeddings, the attention weights and each
    sublayer's output, while training. tie_weights=True shares the (vocab_size, d_model) matrix
    between the token embedding and the output layer (GPT-2 does: a token's input vector and
    the vector that scores it as an output are the same, which halves those parameters).
    bias=False leaves out the biases of the attention projections (the MLP and LayerNorms keep
    theirs).

    Parameter names (state_dict): tok_emb, pos_emb, blocks.<i>.{norm1, attn.{q,k,v,out}_proj,
    norm2, ff.fc1, ff.fc2}, ln_f, lm_head.
    """

    def __init__(
        self,
        vocab_size,
        block_size,
        n_layer=4,
        n_head=4,
        d_model=128,
        d_ff=None,
        dropout=0.0,
        tie_weights=True,
        bias=True,
    ):
        super().__init__()
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.config = dict(
            vocab_size=vocab_size,
            block_size=block_size,
            n_layer=n_layer,
            n_head=n_head,
            d_model=d_model,
            d_ff=d_ff,
            dropout=dropout,
            tie_weights=tie_weights,
            bias=bias,
        )
        _check_config(self.config)
        self.vocab_size = vocab_size
        self.block_size = block_size
        self.tok_emb = Embedding(vocab_size, d_model)  # token id -> vector
        self.pos_emb = PositionalEmbedding(block_size, d_model)  # + the vector of its position
        self.drop = Dropout(dropout)
        self.blocks = ModuleList(
            [Block(d_model, n_head, d_ff, dropout, bias) for _ in range(n_layer)]
        )
        self.ln_f = LayerNorm(d_model)  # pre-LN blocks leave the residual stream unnormalised
        self.lm_head = Linear(d_model, vocab_size, bias=False)
        self.tie_weights = tie_weights
        self._init_weights(n_layer)
        if tie_weights:
            self.lm_head.weight = self.tok_emb.weight  # one Parameter, two uses

    def _init_weights(self, n_layer):
        """GPT-2's initialisation: weights N(0, 0.02²), biases 0, and the two projections that
        write into the residual stream scaled down by √(2 · n_layer), so that the sum of 2·n_layer
        residual additions starts with about the variance of one."""
        for module in self.modules():
            if isinstance(module, (Linear, Embedding)):
                init.normal_(module.weight, 0.0, 0.02)
            if isinstance(module, Linear) and module.bias is not None:
                init.zeros_(module.bias)
        for block in self.blocks:
            for layer in (block.attn.out_proj, block.ff.fc2):
                init.normal_(layer.weight, 0.0, 0.02 / math.sqrt(2 * n_layer))

    def new_kv_caches(self):
        """One empty KVCache per block, for `forward(..., kv_caches=...)`."""
        return [KVCache() for _ in self.blocks]

    def forward(self, idx, targets=None, kv_caches=None):
        """idx: int64 (B, T) -> (logits (B, T, V), loss or None).

        targets: int64 (B, T), the next token at every position (-100 = no loss there).
        kv_caches: from new_kv_caches(); idx then holds only the NEW tokens, which attend to
        everything cached, and their keys/values are added to the caches.
        """
        B, T = self._check_input(idx, targets, kv_caches)
        start = 0 if kv_caches is None else len(kv_caches[0])  # position of idx's first token
        x = self.tok_emb(idx)  # (B, T, C)
        x = self.drop(self.pos_emb(x, start=start))  # + positions start..start+T-1
        caches = [None] * len(self.blocks) if kv_caches is None else kv_caches
        for block, cache in zip(self.blocks, caches):
            x = block(x, cache)  # (B, T, C)
        x = self.ln_f(x)
        logits = self.lm_head(x)  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(
            logits.reshape(B * T, self.vocab_size), targets.reshape(B * T)
        )  # F2, averaged over positions
        return logits, loss

    def _check_input(self, idx, targets, kv_caches):
        """forward's checks, with errors that say what was expected; returns (B, T)."""
        _check_token_ids(idx, "GPT")
        B, T = idx.shape
        start = 0
        if kv_caches is not None:
            if len(kv_caches) != len(self.blocks):
                raise ValueError(
                    f"GPT: kv_caches must hold one KVCache per block "
                    f"({len(self.blocks)}), got {len(kv_caches)}"
                )
            start = len(kv_caches[0])
        if start + T > self.block_size:
            raise ValueError(
                f"GPT: {start + T} tokens do not fit the context of "
                f"block_size={self.block_size} (idx {idx.shape}, {start} cached)"
            )
        if targets is not None:
            _check_token_ids(targets, "GPT", what="targets")
            if targets.shape != idx.shape:
                raise ValueError(
                    f"GPT: targets {targets.shape} must have the shape of idx "
                    f"{idx.shape} (the next token at every position)"
                )
        return B, T

    def attention_weights(self, idx):
        """Every block's attention weights, for heat maps: a list of n_layer tensors
        (B, nh, T, T), row t = how much token t looks at each token 0..t.

        One ordinary forward pass (in eval mode, without gradients) during which each
        attention layer keeps the weights it computed.
        """
        was_training = self.training
        self.eval()  # weights without dropout
        for block in self.blocks:
            block.attn.keep_weights = True
        try:
            with no_grad():
                self(idx)
            return [block.attn.weights for block in self.blocks]
        finally:
            for block in self.blocks:
                block.attn.keep_weights = False
                block.attn.weights = None
            self.train(was_training)

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True):
        """Continue each row of idx (B, T) by max_new_tokens sampled tokens; returns (B, T + new).

        Each step samples from softmax(logits / temperature) of the last position, keeping only
        the top_k most likely tokens if top_k is given. temperature=0 (or top_k=1) picks the
        most likely token every time (greedy decoding). Runs in eval mode without gradients.

        With use_cache=True (default) each block keeps the keys and values of the tokens seen
        so far (a KVCache), so a new token costs one pass of ONE position through the model,
        O(context), instead of a pass over the whole prefix. The model can read at most
        block_size tokens: when the cache is full it is rebuilt from the last block_size // 2
        tokens (one full pass every block_size // 2 tokens, still O(context) per token on
        average). use_cache=False re-runs the last block_size tokens for every new token.
        """
        _check_token_ids(idx, "GPT.generate", what="prompt")
        if not isinstance(max_new_tokens, Integral) or max_new_tokens < 0:
            raise ValueError(
                f"GPT.generate: max_new_tokens must be an int >= 0, got {max_new_tokens!r}"
            )
        _check_sampling(temperature, top_k, "GPT.generate")
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                if use_cache:
                    return self._generate_cached(idx, max_new_tokens, temperature, top_k)
                return self._generate_uncached(idx, max_new_tokens, temperature, top_k)
        finally:
            self.train(was_training)

    def _generate_uncached(self, idx, max_new_tokens, temperature, top_k):
        for _ in range(max_new_tokens):
            context = idx[:, -self.block_size :]  # (B, ≤ block_size)
            logits, _ = self(context)
            next_id = _sample(logits[:, -1, :], temperature, top_k)  # (B, 1)
            idx = cat([idx, next_id], axis=1)
        return idx

    def _generate_cached(self, idx, max_new_tokens, temperature, top_k):
        if max_new_tokens == 0:
            return idx
        caches = self.new_kv_caches()
        logits, _ = self(idx[:, -self.block_size :], kv_caches=caches)  # fill the caches
        for step in range(max_new_tokens):
            next_id = _sample(logits[:, -1, :], temperature, top_k)  # (B, 1)
            idx = cat([idx, next_id], axis=1)
            if step == max_new_tokens - 1:
                break  # no need to run the model on the last token
            if len(caches[0]) < self.block_size:
                logits, _ = self(next_id, kv_caches=caches)  # only the new token: O(context)
            else:
                # Out of positions: start again from the most recent half of the context.
                caches = self.new_kv_caches()
                logits, _ = self(idx[:, -(self.block_size // 2 or 1) :], kv_caches=caches)
        return idx


def _check_token_ids(ids, who, what="idx"):
    """ids must be an integer Tensor (N, T) with T >= 1."""
    if not isinstance(ids, Tensor):
        raise TypeError(f"{who}: {what} must be a Tensor of token ids, got {type(ids).__name__}")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{who}: {what} must hold integer token ids, got {ids.dtype}")
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise ValueError(f"{who}: expected {what} of shape (N, T) with T >= 1, got {ids.shape}")


def _check_config(config):
    """GPT's constructor arguments: positive sizes, heads that divide d_model, a probability."""
    for name in ("vocab_size", "block_size", "n_layer", "n_head", "d_model", "d_ff"):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"GPT: {name} must be a positive int, got {value!r}")
    if config["d_model"] % config["n_head"] != 0:
        raise ValueError(
            f"GPT: d_model={config['d_model']} must be divisible by "
            f"n_head={config['n_head']} (each head gets d_model / n_head features)"
        )
    dropout = config["dropout"]
    if isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"GPT: dropout must be in [0, 1), got {dropout!r}")


def sample_next_token(logits, temperature=1.0, top_k=None):
    """Draw one token id per row of logits (N, V); returns int64 (N, 1) on logits' device.

    p = softmax(logits / temperature): temperature < 1 sharpens the distribution (safer, more
    repetitive text), > 1 flattens it. top_k keeps only the k largest logits. temperature=0
    means argmax. Logits tied with the k-th largest are all kept (as nanoGPT does), so top_k
    can keep more than k tokens. Random numbers come from minigrad's global generator
    (manual_seed repeats a sample).
    """
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        what = logits.shape if isinstance(logits, Tensor) else type(logits).__name__
        raise ValueError(f"sample_next_token: expected logits of shape (N, V), got {what}")
    _check_sampling(temperature, top_k, "sample_next_token")
    return _sample(logits, temperature, top_k)


def _check_sampling(temperature, top_k, who):
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"{who}: temperature must be a number, got {type(temperature).__name__}")
    if not math.isfinite(temperature) or temperature < 0:
        raise ValueError(f"{who}: temperature must be a finite number >= 0, got {temperature}")
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, Integral):
            raise TypeError(f"{who}: top_k must be an int or None, got {top_k!r}")
        if top_k < 1:
            raise ValueError(f"{who}: top_k must be at least 1, got {top_k}")


def _sample(logits, temperature, top_k):
    """sample_next_token without the checks (generate checks its arguments once)."""
    N, V = logits.shape
    xp = logits.xp
    if bool(xp.isnan(logits.array).any()) or bool(xp.isposinf(logits.array).any()):
        raise ValueError(
            "sample_next_token: the logits contain NaN or +inf (a diverged model?); "
            "-inf is allowed, for tokens masked out"
        )
    if bool(xp.isneginf(logits.array).all(axis=-1).any()):
        raise ValueError(
            "sample_next_token: a row of logits is all -inf: every token is masked out"
        )
    if temperature == 0 or top_k == 1:
        return logits.argmax(axis=-1).reshape(N, 1)
    # Shift each row so its largest logit is 0 before dividing: softmax does not change, and a
    # tiny temperature then sends the others to -inf instead of overflowing to inf - inf = NaN.
    logits = (logits - logits.amax(dim=-1, keepdim=True)) / temperature
    if top_k is not None:
        k = min(top_k, V)
        kth_largest = xp.sort(logits.array, axis=-1)[:, V - k : V - k + 1]  # (N, 1)
        logits = logits.masked_fill(logits < Tensor(kth_largest, device=logits.device), -math.inf)
    probs = logits.softmax(axis=-1).numpy()  # (N, V), on the host for sampling
    # Inverse-CDF sampling: the first id whose cumulative probability exceeds u ~ U(0, 1).
    u = random.generator().random((N, 1))
    cumulative = probs.cumsum(axis=-1)
    ids = (cumulative < u * cumulative[:, -1:]).sum(axis=-1).clip(max=V - 1)  # (N,)
    return tensor(ids.astype("int64").reshape(N, 1), device=logits.device)
