"""GPT: a decoder-only Transformer language model (S4; S3's text continuation done right).

    token ids (N, T)
      -> token embedding + position embedding          (N, T, d_model)
      -> n_layer causal TransformerBlocks (pre-LN)     (N, T, d_model)   F8, F11, F12
      -> final LayerNorm
      -> lm_head: one logit per vocabulary entry       (N, T, vocab_size)

The logits at position t are the model's guess of token t + 1, having seen tokens 0..t only
(the causal mask). Training minimises the cross-entropy (F2) of every position's guess at once;
generation appends one sampled token at a time.

    model = GPT(vocab_size=65, block_size=64, n_layer=2, n_head=4, d_model=64)
    logits, loss = model(x, targets=y)
    text_ids = model.generate(prompt_ids, max_new_tokens=100, temperature=0.8, top_k=10)

Save and reload with the constructor arguments kept in `model.config`:

    minigrad.save({"config": model.config, "model": model.state_dict()}, "gpt.npz")
    checkpoint = minigrad.load("gpt.npz")
    model = GPT(**checkpoint["config"]); model.load_state_dict(checkpoint["model"])
"""

import math

import minigrad
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.attention import KVCache
from minigrad.nn.containers import ModuleList
from minigrad.nn.dropout import Dropout
from minigrad.nn.embedding import Embedding
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.normalization import LayerNorm
from minigrad.nn.transformer import PositionalEmbedding, TransformerBlock


class GPT(Module):
    """A GPT-style language model.

    vocab_size: number of token ids; block_size: the longest context the model can read (its
    number of learned positions); n_layer blocks of n_head heads, width d_model, feed-forward
    width d_ff (default 4 · d_model). tie_weights=True shares the (vocab_size, d_model) matrix
    between the token embedding and the output layer (GPT-2 does: a token's input vector and
    the vector that scores it as an output are the same, which halves those parameters).
    """

    def __init__(self, vocab_size, block_size, n_layer=4, n_head=4, d_model=128, d_ff=None,
                 dropout=0.0, tie_weights=True, bias=True):
        super().__init__()
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.config = dict(vocab_size=vocab_size, block_size=block_size, n_layer=n_layer,
                           n_head=n_head, d_model=d_model, d_ff=d_ff, dropout=dropout,
                           tie_weights=tie_weights, bias=bias)
        self.vocab_size = vocab_size
        self.block_size = block_size
        self.tok_emb = Embedding(vocab_size, d_model)  # token id -> vector
        self.pos_emb = PositionalEmbedding(block_size, d_model)  # + position vector
        self.drop = Dropout(dropout)
        self.blocks = ModuleList([
            TransformerBlock(d_model, n_head, d_ff, dropout=dropout, norm_first=True,
                             causal=True, activation="gelu", bias=bias)
            for _ in range(n_layer)
        ])
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
        """idx: int64 (N, T) -> (logits (N, T, vocab_size), loss or None).

        targets: int64 (N, T), the next token at every position (-100 = no loss there).
        kv_caches: from new_kv_caches(); idx then holds only the NEW tokens, which attend to
        everything cached, and their keys/values are added to the caches.
        """
        if idx.ndim != 2:
            raise ValueError(f"GPT: expected token ids of shape (N, T), got {idx.shape}")
        N, T = idx.shape
        start = 0 if kv_caches is None else len(kv_caches[0])  # position of idx's first token
        if start + T > self.block_size:
            raise ValueError(f"GPT: {start + T} tokens do not fit the context of "
                             f"block_size={self.block_size} (idx {idx.shape}, {start} cached)")
        x = self.tok_emb(idx)  # (N, T, d_model)
        x = self.drop(self.pos_emb(x, start=start))  # + positions start..start+T-1
        caches = [None] * len(self.blocks) if kv_caches is None else kv_caches
        for block, cache in zip(self.blocks, caches):
            x = block(x, kv_cache=cache)  # (N, T, d_model)
        x = self.ln_f(x)
        logits = self.lm_head(x)  # (N, T, vocab_size)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(N * T, self.vocab_size),
                                   targets.reshape(N * T))  # F2, averaged over positions
        return logits, loss

    def attention_weights(self, idx):
        """Per-layer attention weights for heat maps: a list of n_layer tensors (N, H, T, T)."""
        maps = []
        was_training = self.training
        self.eval()  # weights without dropout
        with minigrad.no_grad():
            x = self.pos_emb(self.tok_emb(idx))  # (N, T, d_model)
            for block in self.blocks:
                x, weights = block(x, need_weights=True)
                maps.append(weights)  # (N, H, T, T)
        self.train(was_training)
        return maps

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True):
        """Continue each row of idx (N, T) by max_new_tokens sampled tokens; returns (N, T + new).

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
        was_training = self.training
        self.eval()
        try:
            with minigrad.no_grad():
                if use_cache:
                    return self._generate_cached(idx, max_new_tokens, temperature, top_k)
                return self._generate_uncached(idx, max_new_tokens, temperature, top_k)
        finally:
            self.train(was_training)

    def _generate_uncached(self, idx, max_new_tokens, temperature, top_k):
        for _ in range(max_new_tokens):
            context = idx[:, -self.block_size:]  # (N, ≤ block_size)
            logits, _ = self(context)
            next_id = sample_next_token(logits[:, -1, :], temperature, top_k)  # (N, 1)
            idx = minigrad.cat([idx, next_id], axis=1)
        return idx

    def _generate_cached(self, idx, max_new_tokens, temperature, top_k):
        if max_new_tokens <= 0:
            return idx
        caches = self.new_kv_caches()
        logits, _ = self(idx[:, -self.block_size:], kv_caches=caches)  # fill the caches
        for step in range(max_new_tokens):
            next_id = sample_next_token(logits[:, -1, :], temperature, top_k)  # (N, 1)
            idx = minigrad.cat([idx, next_id], axis=1)
            if step == max_new_tokens - 1:
                break  # no need to run the model on the last token
            if len(caches[0]) < self.block_size:
                logits, _ = self(next_id, kv_caches=caches)  # only the new token: O(context)
            else:
                # Out of positions: start again from the most recent half of the context.
                caches = self.new_kv_caches()
                logits, _ = self(idx[:, -(self.block_size // 2 or 1):], kv_caches=caches)
        return idx


def sample_next_token(logits, temperature=1.0, top_k=None):
    """Draw one token id per row of logits (N, V); returns int64 (N, 1) on logits' device.

    p = softmax(logits / temperature): temperature < 1 sharpens the distribution (safer, more
    repetitive text), > 1 flattens it. top_k keeps only the k largest logits. temperature=0
    means argmax. Random numbers come from minigrad's global generator (manual_seed repeats a
    sample).
    """
    if temperature < 0:
        raise ValueError(f"sample_next_token: temperature must be >= 0, got {temperature}")
    N, V = logits.shape
    if temperature == 0 or top_k == 1:
        return logits.argmax(axis=-1).reshape(N, 1)
    logits = logits / temperature
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"sample_next_token: top_k must be at least 1, got {top_k}")
        k = min(top_k, V)
        xp = logits.xp
        kth_largest = xp.sort(logits.array, axis=-1)[:, V - k : V - k + 1]  # (N, 1)
        logits = logits.masked_fill(logits < minigrad.Tensor(kth_largest, device=logits.device),
                                    -math.inf)
    probs = logits.softmax(axis=-1).numpy()  # (N, V), on the host for sampling
    # Inverse-CDF sampling: the first id whose cumulative probability exceeds u ~ U(0, 1).
    u = minigrad.random.generator().random((N, 1))
    cumulative = probs.cumsum(axis=-1)
    ids = (cumulative < u * cumulative[:, -1:]).sum(axis=-1).clip(max=V - 1)  # (N,)
    return minigrad.tensor(ids.astype("int64").reshape(N, 1), device=logits.device)
