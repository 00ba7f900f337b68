"""W2: one Adam training step of a tiny GPT (minigrad.models.GPT and its twins elsewhere).

    vocab 65, context 64, d_model 128, 4 heads, 2 pre-LN blocks (GELU feed-forward of 512),
    learned positions, tied token embedding / output layer, batch 32, Adam(lr=1e-3)

    logits = GPT(idx)                       idx: (32, 64) int64 token ids
    loss   = cross_entropy(logits, targets) averaged over the 2048 positions

About 5.3 GFLOP per step, nearly all in matrix products, so here the BLAS floor matters: the
1024³ matmul of W5 bounds what any NumPy framework can reach.

The PyTorch twin below has the same parameter names and computation as minigrad's GPT, and
loads the same state dict; MyGrad, HIPS autograd and tinygrad versions are in w2_gpt_peers.py.
"""

import math

import numpy as np

from benchmarks.common import require

NAME = "W2"
TITLE = "tiny GPT (2 layers, d 128, T 64), batch 32, Adam"
UNIT = "ms"
VOCAB, CONTEXT, D_MODEL, HEADS, LAYERS, BATCH = 65, 64, 128, 4, 2, 32
D_FF = 4 * D_MODEL
LR = 1e-3


def _flops():
    tokens = BATCH * CONTEXT
    weights = LAYERS * (4 * D_MODEL * D_MODEL + 2 * D_MODEL * D_FF) + D_MODEL * VOCAB
    attention = LAYERS * 4 * BATCH * CONTEXT * CONTEXT * D_MODEL  # Q Kᵀ and P V, all heads
    return 3 * (2 * tokens * weights + attention)  # backward ≈ 2 × forward


FLOPS = _flops()
TOKENS_PER_STEP = BATCH * CONTEXT


def make_inputs(seed=0):
    """GPT-2's initialisation (as minigrad.models.GPT does it) and random token ids."""
    rng = np.random.default_rng(seed)

    def normal(*shape, std=0.02):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    residual_std = 0.02 / math.sqrt(2 * LAYERS)  # projections that write into the residual
    state = {"tok_emb.weight": normal(VOCAB, D_MODEL), "pos_emb.weight": normal(CONTEXT, D_MODEL)}
    for i in range(LAYERS):
        block = f"blocks.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            std = residual_std if name == "out_proj" else 0.02
            state[block + f"attn.{name}.weight"] = normal(D_MODEL, D_MODEL, std=std)
            state[block + f"attn.{name}.bias"] = np.zeros(D_MODEL, np.float32)
        for norm in ("norm1", "norm2"):
            state[block + f"{norm}.weight"] = np.ones(D_MODEL, np.float32)
            state[block + f"{norm}.bias"] = np.zeros(D_MODEL, np.float32)
        state[block + "ff.fc1.weight"] = normal(D_FF, D_MODEL)
        state[block + "ff.fc1.bias"] = np.zeros(D_FF, np.float32)
        state[block + "ff.fc2.weight"] = normal(D_MODEL, D_FF, std=residual_std)
        state[block + "ff.fc2.bias"] = np.zeros(D_MODEL, np.float32)
    state["ln_f.weight"] = np.ones(D_MODEL, np.float32)
    state["ln_f.bias"] = np.zeros(D_MODEL, np.float32)
    idx = rng.integers(0, VOCAB, (BATCH, CONTEXT)).astype(np.int64)
    targets = rng.integers(0, VOCAB, (BATCH, CONTEXT)).astype(np.int64)
    return {"state": state, "idx": idx, "targets": targets}


# --------------------------------------------------------------------------------------------
# minigrad
# --------------------------------------------------------------------------------------------


def build_minigrad(inputs):
    import minigrad
    from minigrad.models import GPT

    model = GPT(
        vocab_size=VOCAB,
        block_size=CONTEXT,
        n_layer=LAYERS,
        n_head=HEADS,
        d_model=D_MODEL,
        d_ff=D_FF,
    )
    state = dict(inputs["state"])
    state["lm_head.weight"] = state["tok_emb.weight"]  # tied: one Parameter under two names
    model.load_state_dict(state)
    idx, targets = minigrad.tensor(inputs["idx"]), minigrad.tensor(inputs["targets"])
    optimizer = minigrad.optim.Adam(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        _, loss = model(idx, targets)
        loss.backward()
        optimizer.step()
        return loss

    return step


# --------------------------------------------------------------------------------------------
# PyTorch: the same model, written the way a PyTorch user would (F.scaled_dot_product_attention)
# --------------------------------------------------------------------------------------------


def _torch_gpt_class(torch):
    nn, F = torch.nn, torch.nn.functional

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj, self.k_proj = nn.Linear(D_MODEL, D_MODEL), nn.Linear(D_MODEL, D_MODEL)
            self.v_proj, self.out_proj = nn.Linear(D_MODEL, D_MODEL), nn.Linear(D_MODEL, D_MODEL)

        def forward(self, x):
            N, T, _ = x.shape
            q, k, v = (
                proj(x).reshape(N, T, HEADS, -1).transpose(1, 2)
                for proj in (self.q_proj, self.k_proj, self.v_proj)
            )
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (N, H, T, d_head)
            return self.out_proj(out.transpose(1, 2).reshape(N, T, D_MODEL))

    class FeedForward(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(D_MODEL, D_FF), nn.Linear(D_FF, D_MODEL)

        def forward(self, x):
            return self.fc2(F.gelu(self.fc1(x)))  # exact GELU, as minigrad's GPT

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn, self.norm1 = Attention(), nn.LayerNorm(D_MODEL)
            self.ff, self.norm2 = FeedForward(), nn.LayerNorm(D_MODEL)

        def forward(self, x):
            x = x + self.attn(self.norm1(x))  # pre-LN
            return x + self.ff(self.norm2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = nn.Embedding(VOCAB, D_MODEL)
            self.pos_emb = nn.Embedding(CONTEXT, D_MODEL)  # used as a table: .weight[:T]
            self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
            self.ln_f = nn.LayerNorm(D_MODEL)

        def forward(self, idx, targets):
            N, T = idx.shape
            x = self.tok_emb(idx) + self.pos_emb.weight[:T]
            for block in self.blocks:
                x = block(x)
            logits = self.ln_f(x) @ self.tok_emb.weight.T  # tied output layer
            return F.cross_entropy(logits.reshape(N * T, VOCAB), targets.reshape(N * T))

    return GPT


def build_torch(inputs):
    torch = require("torch", "torch")
    model = _torch_gpt_class(torch)()
    model.load_state_dict({name: torch.from_numpy(a.copy()) for name, a in inputs["state"].items()})
    idx = torch.from_numpy(inputs["idx"].copy())
    targets = torch.from_numpy(inputs["targets"].copy())
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = model(idx, targets)
        loss.backward()
        optimizer.step()
        return loss

    return step


def _peer(name):
    def build(inputs):
        from benchmarks import w2_gpt_peers

        return getattr(w2_gpt_peers, f"build_{name}")(inputs)

    return build


BUILDERS = {
    "minigrad": build_minigrad,
    "torch": build_torch,
    "mygrad": _peer("mygrad"),
    "autograd": _peer("autograd"),
    "tinygrad": _peer("tinygrad"),
}
