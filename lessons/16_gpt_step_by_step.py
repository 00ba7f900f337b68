# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 16 — Building the GPT step by step
#
# **Formulas:** S4 (a Transformer that generates text), F8 (self-attention), F12 (multi-head
# attention, stacking), F11 (the feed-forward network), F2 (the loss), F5 (Adam)
#
# Lesson 8 trained `minigrad.models.GPT` as a finished machine. Here we build it ourselves,
# one small module at a time, on the same data (Python source, one token per character), and
# train every step briefly so that a growing table shows what each piece buys:
#
# 1. a **bigram** model: a table of logits, one row per character;
# 2. the **averaging trick**: a running mean of the past as one matrix product;
# 3. **one self-attention head**: an average whose weights depend on the data;
# 4. **several heads** side by side;
# 5. **blocks**: feed-forward, residual connections and LayerNorm, stacked — the GPT.
#
# Then we load our trained weights into `minigrad.models.GPT` (same numbers out), write
# **sampling** with temperature and top-k by hand, and look at the **KV cache**, the trick
# that makes generating a long text affordable.

# %%
import math
import os
import time

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.data import CharDataset, load_text_corpus
from minigrad.models import GPT
from minigrad.models.gpt import sample_next_token

FAST = os.environ.get("MINIGRAD_FAST") == "1"
STEPS = 40 if FAST else 400  # training steps per model of the ladder
BLOCK = 32  # characters of context
BATCH = 32
N_EMBD, N_HEAD, N_LAYER = 64, 4, 2  # the final model's width, heads and blocks
OUT = viz.lesson_output_dir("16_gpt_step_by_step")
plt = viz.pyplot()

# %% [markdown]
# ## 1. The data
#
# The corpus of lesson 8. A training example is a window of `BLOCK` characters $x$ and the
# same window shifted by one, $y$: the target at position $t$ is the character after
# $x_0 \dots x_t$. The last 10% of the windows are held out; the validation loss of every
# model below is measured on the same fixed validation batches.

# %%
text = load_text_corpus()
data = CharDataset(text, block_size=BLOCK)
V = data.vocab_size
split = int(0.9 * len(data))
print(f"{len(text):,} characters, vocabulary V = {V}")

val_batches = [
    data.get_batch(np.random.default_rng(100 + i).integers(split, len(data), BATCH))
    for i in range(2 if FAST else 8)
]


def shown(ch):
    """A character as a readable label: a space as ␣, a newline as \\n."""
    return "␣" if ch == " " else repr(ch)[1:-1]


def evaluate(model):
    """Mean cross-entropy (F2) of the model's logits on the validation batches."""
    model.eval()
    with minigrad.no_grad():
        losses = [
            F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1)).item() for x, y in val_batches
        ]
    model.train()
    return float(np.mean(losses))


def train(model, lr, steps=STEPS):
    """Adam (F5) on random training windows; the same batches for every model (seed 0)."""
    rng = np.random.default_rng(0)
    optimizer = minigrad.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x, y = data.get_batch(rng.integers(0, split, BATCH))  # (B, T) each
        logits = model(x)  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


ladder = []  # one row per model: name, parameters, learning rate, validation loss before/after


def climb(name, model, lr):
    """Train one model of the ladder, add its row to the table and print the whole table."""
    before = evaluate(model)
    start = time.process_time()
    train(model, lr)
    seconds = time.process_time() - start
    ladder.append((name, model.num_parameters(), lr, before, evaluate(model)))
    print(f"{'model':<24}{'parameters':>11}{'lr':>7}{'val loss at init':>18}{'after training':>16}")
    for row_name, parameters, row_lr, loss_before, loss_after in ladder:
        print(f"{row_name:<24}{parameters:>11,}{row_lr:>7g}{loss_before:>18.3f}{loss_after:>16.3f}")
    print(f"({STEPS} steps in {seconds:.1f} s of CPU time)")


# %% [markdown]
# ## 2. Step 1: the bigram model
#
# The simplest language model looks only at the current character $c$ and reads the logits
# of the next one from row $c$ of a $V \times V$ table: `nn.Embedding(V, V)` is exactly that
# table. Like the GPT, we start it with small random numbers, $\mathcal N(0, 0.02^2)$.
#
# **Predict, then run.** What validation loss will the bigram model have *before* any
# training? (Hint: with all logits nearly equal, what probability does it give the right
# character?)


# %%
class Bigram(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(V, V)  # row c: the logits of the character after c
        nn.init.normal_(self.table.weight, 0.0, 0.02)

    def forward(self, idx):  # idx: (B, T) character ids
        return self.table(idx)  # (B, T, V) logits


minigrad.manual_seed(0)
bigram = Bigram()
print(f"ln V = ln {V} = {math.log(V):.3f}")
climb("1 bigram", bigram, lr=0.1)

# %% [markdown]
# Nearly equal logits mean nearly $1/V$ for every character, so the loss starts at
# $-\ln(1/V) = \ln V$. What is the best a bigram can do? The table that minimises the
# training loss is known in closed form: row $c$ holds the log of how often each character
# followed $c$ in the training text, $p(b \mid c) = n_{cb} / \sum_{b'} n_{cb'}$. Its
# validation loss is the mark a trained bigram can hope to reach (a tiny count
# $\alpha = 0.01$ is added everywhere so that a pair never seen in training does not cost
# $-\ln 0 = \infty$). The lookup table is
# trained with a large learning rate (0.1): each entry only receives a gradient when its
# character occurs, and has far to go from 0.

# %%
train_ids = np.array(data.encode(text[: split + BLOCK]))
counts = np.zeros((V, V))
np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1)
log_p = np.log((counts + 0.01) / (counts + 0.01).sum(axis=1, keepdims=True))
best_bigram = float(np.mean([-log_p[x.numpy(), y.numpy()].mean() for x, y in val_batches]))
print(f"counting bigrams: validation loss {best_bigram:.3f} (trained table: {ladder[0][4]:.3f})")

# %% [markdown]
# ## 3. Step 2: the averaging trick
#
# A bigram sees one character. The simplest way to let position $t$ use everything before it
# is to average: $\bar x_t = \frac{1}{t+1} \sum_{s \le t} x_s$. Written as a loop it is slow;
# written as a matrix product it is one operation, $\bar X = W X$ with the lower-triangular
#
# $$W_{ts} = \begin{cases} \frac{1}{t+1} & s \le t \\ 0 & s > t \end{cases}
#   \qquad\text{(row } t \text{ averages positions } 0 \dots t\text{)}.$$
#
# And a third way, the one attention uses: start from scores (here all zero), set the scores
# of the future to $-\infty$, take a softmax along each row. $e^{-\infty} = 0$ removes the
# future, and equal scores share the rest equally — the same $W$. The three must agree:

# %%
minigrad.manual_seed(1)
B, T, C = 2, 8, 4
x = minigrad.randn(B, T, C)

# (a) a loop over positions
by_loop = minigrad.zeros(B, T, C)
for t in range(T):
    by_loop[:, t] = x[:, : t + 1].mean(axis=1)  # the mean of positions 0..t

# (b) one matrix product with the lower triangle, each row divided by its length
lower = minigrad.tril(minigrad.ones(T, T))  # (T, T): 1 where s <= t
W = lower / lower.sum(axis=1, keepdim=True)
by_matrix = W @ x  # (T, T) @ (B, T, C) -> (B, T, C)

# (c) masked softmax of zero scores
scores = minigrad.zeros(T, T).masked_fill(lower == 0, float("-inf"))
W_softmax = scores.softmax(axis=-1)
by_softmax = W_softmax @ x

averaging_gap = max(
    np.abs(by_loop.numpy() - by_matrix.numpy()).max(),
    np.abs(by_loop.numpy() - by_softmax.numpy()).max(),
)
print("W =\n", np.round(W.numpy(), 2))
print(f"largest difference between the three: {averaging_gap:.1e}")

# %% [markdown]
# As a model: embed each character, add a learned vector for its position (so that the
# average knows *where* things were), average the past with $W$, map to logits.
#
# **Predict, then run.** This model sees the whole context, the bigram only one character.
# Will its validation loss be lower or higher than the bigram's?


# %%
class Average(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(V, N_EMBD)  # character -> vector
        self.pos_emb = nn.Embedding(BLOCK, N_EMBD)  # position -> vector
        self.lm_head = nn.Linear(N_EMBD, V)
        self.register_buffer("lower", minigrad.tril(minigrad.ones(BLOCK, BLOCK)))

    def forward(self, idx):  # (B, T)
        T = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(minigrad.arange(T))  # (B, T, C)
        scores = minigrad.zeros(T, T).masked_fill(self.lower[:T, :T] == 0, float("-inf"))
        x = scores.softmax(axis=-1) @ x  # (B, T, C): the mean of positions 0..t
        return self.lm_head(x)  # (B, T, V)


def gpt_init(model):
    """GPT-2's initialisation, used for every model from here on: N(0, 0.02²), biases 0."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    return model


minigrad.manual_seed(0)
climb("2 average of the past", gpt_init(Average()), lr=1e-2)

# %% [markdown]
# Higher. The uniform average gives the character just before the target — by far the most
# useful one — the weight $1/(t+1)$, the same as a character twenty positions back. Having
# more information is useless if you cannot choose what to look at. That choice is what
# attention adds: the weights become a softmax of *scores computed from the data*.
#
# ## 4. Step 3: one self-attention head (F8)
#
# Each position emits a query $q_t = W_Q x_t$ ("what am I looking for?"), a key
# $k_s = W_K x_s$ ("what do I contain?") and a value $v_s = W_V x_s$ ("what I pass on").
#
# $$\text{score}_{ts} = \frac{q_t \cdot k_s}{\sqrt{d}}, \qquad
#   w_{ts} = \operatorname{softmax}_s\bigl(\text{score}_{ts} \text{ with } s > t
#   \text{ set to } -\infty\bigr), \qquad \text{out}_t = \sum_{s \le t} w_{ts}\, v_s$$
#
# Exactly the masked softmax of step 2, with the zero scores replaced by $q_t \cdot k_s$.
# Why divide by $\sqrt d$ ($d$ = the head size)? If the entries of $q$ and $k$ are
# independent with variance 1, $q \cdot k$ is a sum of $d$ such products and has variance
# $d$: with $d = 64$ the scores would have a standard deviation of 8 and the softmax would be
# almost one-hot, with vanishing gradients (lesson 6 shows this saturation). After dividing
# by $\sqrt d$ the variance is 1 again:

# %%
q, k = np.random.default_rng(0).standard_normal((2, 10_000, 64))
dots = (q * k).sum(axis=1)
print(f"variance of q·k: {dots.var():.1f} (d = 64); divided by √d: {(dots / 8).var():.2f}")


# %%
class Head(nn.Module):
    """One head of causal self-attention: (B, T, C) -> (B, T, head_size)."""

    def __init__(self, head_size):
        super().__init__()
        self.query = nn.Linear(N_EMBD, head_size, bias=False)  # W_Q
        self.key = nn.Linear(N_EMBD, head_size, bias=False)  # W_K
        self.value = nn.Linear(N_EMBD, head_size, bias=False)  # W_V
        self.register_buffer("lower", minigrad.tril(minigrad.ones(BLOCK, BLOCK)))
        self.weights = None  # the last forward's attention weights (B, T, T), for plots

    def forward(self, x):  # (B, T, C)
        T, d = x.shape[1], self.query.out_features
        q, k, v = self.query(x), self.key(x), self.value(x)  # (B, T, d) each
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (B, T, T)
        scores = scores.masked_fill(self.lower[:T, :T] == 0, float("-inf"))  # no future
        self.weights = scores.softmax(axis=-1)  # (B, T, T), each row sums to 1
        return self.weights @ v  # (B, T, d)


class OneHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(V, N_EMBD)
        self.pos_emb = nn.Embedding(BLOCK, N_EMBD)
        self.head = Head(N_EMBD)  # one head as wide as the embedding
        self.lm_head = nn.Linear(N_EMBD, V)

    def forward(self, idx):  # (B, T)
        x = self.tok_emb(idx) + self.pos_emb(minigrad.arange(idx.shape[1]))  # (B, T, C)
        return self.lm_head(self.head(x))  # (B, T, V)


minigrad.manual_seed(0)
one_head = gpt_init(OneHead())
climb("3 one attention head", one_head, lr=1e-2)

# %% [markdown]
# Below the bigram now: the head can put its weight on the characters that matter. Compare
# its weights on a line of code with the uniform $W$ of step 2 (the same colour scale):
# each row is one position, the columns are the positions it reads.

# %%
snippet = "    def __init__(self, name):\n    "[:BLOCK]
labels = [shown(ch) for ch in snippet]
one_head.eval()
with minigrad.no_grad():
    one_head(minigrad.tensor([data.encode(snippet)]))
head_weights = one_head.head.weights[0].numpy()  # (T, T)
uniform = minigrad.tril(minigrad.ones(len(snippet), len(snippet)))
uniform = (uniform / uniform.sum(axis=1, keepdim=True)).numpy()

fig, axes = plt.subplots(1, 2, figsize=(13, 6.2), constrained_layout=True)
for ax, weights, title in (
    (axes[0], uniform, "step 2: the average of the past (tril / row length)"),
    (axes[1], head_weights, "step 3: one trained attention head"),
):
    im = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("position read (key)")
    ax.set_ylabel("position predicting the next character (query)")
    ax.set_title(title)
fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
viz.save_figure(fig, OUT / "averaging_vs_head.png")
look_back = (head_weights * (np.arange(len(snippet))[:, None] - np.arange(len(snippet)))).sum(1)
print(
    f"mean distance the head looks back: {look_back.mean():.1f} characters "
    f"(the uniform average: {(np.arange(len(snippet)) / 2).mean():.1f})"
)

# %% [markdown]
# Where the average spreads its weight evenly, the trained head puts most of it on the
# current character or the one before: the character just read is what best predicts the
# next one. It is a bigram that can also glance back (after `def`, after `(`) when that
# helps — and that glance is what beats the bigram.
#
# ## 5. Step 4: multi-head attention (F12)
#
# One head makes one weighted average per position. Several smaller heads, each with its own
# $W_Q, W_K, W_V$, can follow different patterns at once (the previous character, the start
# of the word, the indentation); their outputs are put side by side and mixed by one more
# linear map $W_O$. With 4 heads of $64 / 4 = 16$ features the width stays 64:
#
# $$\text{MultiHead}(X) = \bigl[\text{head}_1(X), \dots, \text{head}_4(X)\bigr]\, W_O^\top$$


# %%
class MultiHead(nn.Module):
    """N_HEAD heads of N_EMBD / N_HEAD features, concatenated and projected: (B, T, C) -> same."""

    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([Head(N_EMBD // N_HEAD) for _ in range(N_HEAD)])
        self.proj = nn.Linear(N_EMBD, N_EMBD, bias=False)  # W_O

    def forward(self, x):  # (B, T, C)
        y = minigrad.cat([head(x) for head in self.heads], axis=-1)  # (B, T, C)
        return self.proj(y)  # (B, T, C)


class MultiHeadModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(V, N_EMBD)
        self.pos_emb = nn.Embedding(BLOCK, N_EMBD)
        self.attn = MultiHead()
        self.lm_head = nn.Linear(N_EMBD, V)

    def forward(self, idx):  # (B, T)
        x = self.tok_emb(idx) + self.pos_emb(minigrad.arange(idx.shape[1]))  # (B, T, C)
        return self.lm_head(self.attn(x))  # (B, T, V)


minigrad.manual_seed(0)
climb("4 four heads", gpt_init(MultiHeadModel()), lr=1e-2)

# %% [markdown]
# Four heads of 16 features do better than one head of 64 (2.48 against 2.53 in the normal
# run), for 4,096 more parameters (the projection $W_O$). They need the larger learning
# rate to show it within 400 steps: with $3 \cdot 10^{-3}$ they were still behind the single
# head after 400 steps (2.85 against 2.75) and overtook it only after about 1,000. Every
# model so far is a single layer of attention feeding the output layer directly.

# %% [markdown]
# ## 6. Step 5: blocks — feed-forward, residual connections, LayerNorm (F11, F12)
#
# Attention *moves* information between positions; it never transforms it (its output is an
# average of values). A feed-forward network (F11), applied to each position on its own,
# does that: $\text{FFN}(x) = \text{GELU}(x W_1 + b_1) W_2 + b_2$ with 4 times the width
# inside. To stack several such layers and still train them, each sublayer *adds* its result
# to a running "residual stream" and reads a LayerNorm of it (pre-LN, as GPT-2):
#
# $$x \leftarrow x + \text{MultiHead}(\text{LN}_1(x)), \qquad
#   x \leftarrow x + \text{FFN}(\text{LN}_2(x))$$
#
# The "+" gives the gradient a direct path to every layer (lesson 7). Two such blocks, a
# final LayerNorm and the output layer make our GPT.


# %%
class FeedForward(nn.Module):
    """F11 on every position: (B, T, C) -> (B, T, 4C) -> GELU -> (B, T, C)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(N_EMBD, 4 * N_EMBD)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(4 * N_EMBD, N_EMBD)

    def forward(self, x):
        return self.fc2(self.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(N_EMBD)
        self.attn = MultiHead()
        self.ln2 = nn.LayerNorm(N_EMBD)
        self.ffn = FeedForward()

    def forward(self, x):  # (B, T, C)
        x = x + self.attn(self.ln1(x))  # positions exchange information
        x = x + self.ffn(self.ln2(x))  # each position is transformed on its own
        return x


class MyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(V, N_EMBD)
        self.pos_emb = nn.Embedding(BLOCK, N_EMBD)
        self.blocks = nn.ModuleList([Block() for _ in range(N_LAYER)])
        self.ln_f = nn.LayerNorm(N_EMBD)
        self.lm_head = nn.Linear(N_EMBD, V, bias=False)

    def forward(self, idx):  # (B, T)
        x = self.tok_emb(idx) + self.pos_emb(minigrad.arange(idx.shape[1]))  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C)
        return self.lm_head(self.ln_f(x))  # (B, T, V)


minigrad.manual_seed(0)
my_gpt = gpt_init(MyGPT())
climb(f"5 GPT: {N_LAYER} blocks", my_gpt, lr=3e-3)

# %% [markdown]
# The biggest step of the ladder. The deeper model trains with a smaller learning rate,
# $3 \cdot 10^{-3}$: with $10^{-2}$, like the steps before, it ended at 2.49 instead of 2.23.

# %% [markdown]
# The whole ladder in one picture:

# %%
fig, ax = plt.subplots(figsize=(9, 4.5), constrained_layout=True)
names = [row[0] for row in ladder]
after = [row[4] for row in ladder]
bars = ax.barh(names, after, color="tab:blue")
ax.bar_label(bars, labels=[f"{v:.2f}" for v in after], label_type="center", color="white")
ax.axvline(math.log(V), color="grey", linestyle="--", label=f"uniform guess, ln {V}")
ax.axvline(best_bigram, color="tab:orange", linestyle=":", label="bigram from counts")
ax.invert_yaxis()
ax.set_xlim(0, math.log(V) + 0.4)
ax.set_xlabel("validation cross-entropy (nats per character)")
ax.set_title(f"what each step buys ({STEPS} Adam steps each, {BLOCK} characters of context)")
ax.legend(loc="lower right")
viz.save_figure(fig, OUT / "ladder.png")

# %% [markdown]
# ## 7. Our GPT is `minigrad.models.GPT`
#
# `GPT(bias=False, tie_weights=False)` has the same parts: its attention keeps all heads'
# queries in one $(C, C)$ matrix `q_proj` (head $h$ = rows $16h \dots 16h + 15$), ours keeps
# one $(16, C)$ matrix per head. Same parameter count — and if we copy our trained weights
# in, the same logits.

# %%
gpt = GPT(V, BLOCK, n_layer=N_LAYER, n_head=N_HEAD, d_model=N_EMBD, bias=False, tie_weights=False)
print(
    f"MyGPT: {my_gpt.num_parameters():,} parameters; minigrad.models.GPT: {gpt.num_parameters():,}"
)

with minigrad.no_grad():
    gpt.tok_emb.weight.copy_(my_gpt.tok_emb.weight)
    gpt.pos_emb.weight.copy_(my_gpt.pos_emb.weight)
    for mine, theirs in zip(my_gpt.blocks, gpt.blocks):
        for name in ("query", "key", "value"):  # stack the heads' rows: (4 x 16, C) = (C, C)
            stacked = minigrad.cat([getattr(h, name).weight for h in mine.attn.heads], axis=0)
            getattr(theirs.attn, name[0] + "_proj").weight.copy_(stacked)
        pairs = [
            (theirs.attn.out_proj, mine.attn.proj),
            (theirs.norm1, mine.ln1),
            (theirs.norm2, mine.ln2),
            (theirs.ff.fc1, mine.ffn.fc1),
            (theirs.ff.fc2, mine.ffn.fc2),
        ]
        for target, source in pairs:
            target.load_state_dict(source.state_dict())
    gpt.ln_f.load_state_dict(my_gpt.ln_f.state_dict())
    gpt.lm_head.weight.copy_(my_gpt.lm_head.weight)

x_val = val_batches[0][0]
my_gpt.eval()
gpt.eval()
with minigrad.no_grad():
    same_logits_gap = np.abs(my_gpt(x_val).numpy() - gpt(x_val)[0].numpy()).max()
print(f"largest difference between the two models' logits: {same_logits_gap:.1e}")

# %% [markdown]
# ## 8. Sampling: temperature and top-k
#
# The model gives logits $z$ for the next character. Sampling draws from
#
# $$p_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}$$
#
# with a *temperature* $T$. $T = 1$ is the model's own distribution; $T < 1$ stretches the
# differences between logits (the likely get likelier: safer, more repetitive text);
# $T > 1$ flattens them (more diverse, more mistakes). As $T \to 0$ all the probability goes
# to the largest logit: sampling becomes $\arg\max$ (greedy decoding).
#
# **Top-k** sets every probability outside the $k$ largest to zero and renormalises the rest:
# $p_i \propto e^{z_i/T}$ if $z_i$ is among the $k$ largest, else 0. It cuts off the long
# tail of unlikely characters, each of which is rare but together are drawn now and then.
# (Logits that tie with the $k$-th largest are all kept, here and in minigrad.)

# %%
prompt = "    def __init__(self, na"
prompt_ids = minigrad.tensor([data.encode(prompt)])
with minigrad.no_grad():
    next_logits = gpt(prompt_ids)[0][:, -1, :]  # (1, V): the logits of the next character
z = next_logits.numpy()[0]


def softmax_t(z, temperature):
    e = np.exp((z - z.max()) / temperature)
    return e / e.sum()


def entropy(p):
    return float(-(p[p > 0] * np.log(p[p > 0])).sum())


temperatures = [0.5, 1.0, 1.5]
top = np.argsort(-z)[:12]  # the 12 most likely characters at T = 1
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), constrained_layout=True)
width = 0.27
for i, temperature in enumerate(temperatures):
    p = softmax_t(z, temperature)
    axes[0].bar(
        np.arange(12) + (i - 1) * width,
        p[top],
        width,
        label=f"T = {temperature}: entropy {entropy(p):.2f} nats",
    )
axes[0].set_xticks(range(12), [shown(data.decode([int(j)])) for j in top])
axes[0].set_xlabel(f"next character after {prompt.strip()!r}")
axes[0].set_ylabel("probability")
axes[0].set_title("the next-character distribution at three temperatures")
axes[0].legend()
grid = np.linspace(0.05, 3.0, 60)
axes[1].plot(grid, [entropy(softmax_t(z, t)) for t in grid])
axes[1].axhline(math.log(V), color="grey", linestyle="--", label=f"uniform, ln {V}")
axes[1].set_xlabel("temperature T")
axes[1].set_ylabel("entropy of p (nats)")
axes[1].set_title("T → 0: argmax (entropy 0); T → ∞: uniform")
axes[1].legend()
viz.save_figure(fig, OUT / "temperature.png")

sample_prompt = "    def "
eight_prompts = minigrad.tensor([data.encode(sample_prompt)] * 8)  # (8, 8): eight at once
distinct = {}
for temperature in temperatures:
    minigrad.manual_seed(0)
    out = gpt.generate(eight_prompts, max_new_tokens=BLOCK - 8, temperature=temperature)
    continuations = [data.decode(row)[len(sample_prompt) :] for row in out]  # 8 x 24 chars
    distinct[temperature] = len(set("".join(continuations)))
    print(f"T = {temperature}: {distinct[temperature]} different characters in 8 samples, e.g.")
    for c in continuations[:3]:
        print(f"    {sample_prompt + c!r}")

# %% [markdown]
# The lower the temperature, the fewer different characters the samples use: at $T = 0.5$
# mostly letters, spaces and brackets; at $T = 1.5$ the rare characters of the tail come in.
#
# Now sampling by hand. To draw from $p$: take $u$ uniform in $[0, 1)$ and return the first
# index whose cumulative probability $p_0 + \dots + p_i$ exceeds $u$ (each index $i$ owns
# a slice of $[0, 1)$ of length $p_i$). `sample_next_token` does the same with minigrad's
# random generator, so with the same seed our function must return the same characters.


# %%
def my_sample(logits, temperature=1.0, top_k=None):
    """logits (N, V) -> one token id per row, int64 (N, 1)."""
    if temperature == 0:
        return logits.argmax(axis=-1).reshape(-1, 1)  # the limit T -> 0
    logits = logits / temperature
    if top_k is not None:
        kth = logits.topk(top_k, dim=-1)[0][:, -1:]  # (N, 1): the k-th largest logit
        logits = logits.masked_fill(logits < kth, float("-inf"))  # e^-inf = 0 outside
    probs = logits.softmax(axis=-1).numpy()  # (N, V), renormalised over what is left
    u = minigrad.random.generator().random((probs.shape[0], 1))  # (N, 1) uniforms
    cumulative = probs.cumsum(axis=-1)
    ids = (cumulative < u * cumulative[:, -1:]).sum(axis=-1)  # first index with cum > u
    return minigrad.tensor(ids.reshape(-1, 1).astype(np.int64))


many = next_logits.expand(20_000, V)  # 20000 draws of the same next character
agree = True
for temperature, top_k in ((1.0, None), (0.5, None), (1.5, 5), (1.0, 3)):
    minigrad.manual_seed(7)
    theirs = sample_next_token(many, temperature=temperature, top_k=top_k).numpy()
    minigrad.manual_seed(7)
    ours = my_sample(many, temperature=temperature, top_k=top_k).numpy()
    agree = agree and np.array_equal(ours, theirs)
    print(
        f"T = {temperature}, top_k = {top_k}: the same 20000 draws as sample_next_token: "
        f"{np.array_equal(ours, theirs)}"
    )

# top-k = 3: the frequencies of the draws against the renormalised probabilities
p_top3 = np.where(np.isin(np.arange(V), top[:3]), softmax_t(z, 1.0), 0.0)
p_top3 /= p_top3.sum()
frequency = np.bincount(ours.ravel(), minlength=V) / len(ours)
top_k_gap = np.abs(frequency - p_top3).max()
print(
    "top-3 characters:",
    [data.decode([int(j)]) for j in top[:3]],
    "probabilities",
    np.round(p_top3[top[:3]], 3),
    "frequencies",
    np.round(frequency[top[:3]], 3),
)

# %% [markdown]
# **Predict, then run.** With `top_k=1`, will three different seeds give three different
# samples?

# %%
greedy = []
for seed in (0, 1, 2):
    minigrad.manual_seed(seed)
    greedy.append(data.decode(gpt.generate(prompt_ids, max_new_tokens=6, top_k=1)[0]))
argmax_text = data.decode(gpt.generate(prompt_ids, max_new_tokens=6, temperature=0)[0])
print(greedy, "| temperature 0:", repr(argmax_text))

# %% [markdown]
# No: keeping only the most likely character leaves a distribution with a single 1, and
# every seed draws it — `top_k=1` is greedy decoding, the same as $T = 0$.
#
# ## 9. The KV cache
#
# Generating is a loop: run the model on the text so far, sample one character, append it,
# repeat. Without a cache, the step that produces token $t + 1$ runs the model over all
# $t + 1$ tokens: every layer recomputes $q, k, v$ for every position and a
# $(t+1) \times (t+1)$ table of scores, $O(t^2)$ work in attention, although only the last
# row is new. Causality makes the rest reusable: token $s$'s key and value depend only on
# tokens $0 \dots s$, so they never change once computed. A **KV cache** keeps them. Each
# step then feeds only the new token: one query, one new key and value appended to the
# cache, one row of $t + 1$ scores — $O(t)$ per token instead of $O(t^2)$.
#
# The logits must be the same either way. We check at every position of a validation
# window: the full forward on tokens $0 \dots t$, last row, against a cached forward of
# token $t$ alone.

# %%
window = val_batches[0][0][:1]  # (1, BLOCK): one real window of code
caches = gpt.new_kv_caches()
cache_gap = 0.0
with minigrad.no_grad():
    for t in range(BLOCK):
        full = gpt(window[:, : t + 1])[0][:, -1]  # recompute everything: (1, V)
        cached = gpt(window[:, t : t + 1], kv_caches=caches)[0][:, -1]  # one token: (1, V)
        cache_gap = max(cache_gap, float(np.abs(full.numpy() - cached.numpy()).max()))
print(f"largest logit difference over {BLOCK} steps: {cache_gap:.1e} (float32)")

minigrad.manual_seed(3)
with_cache = gpt.generate(prompt_ids, max_new_tokens=BLOCK - len(prompt), use_cache=True)
minigrad.manual_seed(3)
without_cache = gpt.generate(prompt_ids, max_new_tokens=BLOCK - len(prompt), use_cache=False)
same_samples = np.array_equal(with_cache.numpy(), without_cache.numpy())
print(f"generate with and without the cache, seed 3: the same text: {same_samples}")

# %% [markdown]
# (Beyond `block_size` tokens the two differ by design: without a cache `generate` slides a
# window of the last `block_size` tokens; with one it restarts the cache from the last half
# of the context, see its docstring.)
#
# **Predict, then run.** How will the time to produce one more token grow with the length
# of the context, with and without the cache?
#
# Speed does not depend on the values of the weights, so for timing we build an untrained
# GPT of the same shape with room for 512 positions. For each context length $t$ we time one
# step — without the cache the forward over $t$ tokens, with it the forward of one token
# after $t - 1$ cached ones — and keep the best of several repeats (the minimum is the
# least disturbed by whatever else the machine is doing).

# %%
LONG = 128 if FAST else 512
lengths = [16, 32, 64, 128] if FAST else [16, 32, 64, 128, 256, 384, 512]
REPEATS = 10
minigrad.manual_seed(0)
timing_gpt = GPT(V, LONG, n_layer=N_LAYER, n_head=N_HEAD, d_model=N_EMBD).eval()
long_ids = minigrad.tensor(np.random.default_rng(0).integers(0, V, (1, LONG)))


def best_time(step, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def time_uncached(t):
    """The step that produces token t + 1 without a cache: a forward over all t tokens."""
    return best_time(lambda: timing_gpt(long_ids[:, :t]))


def time_cached(t):
    """The same step with a cache: a forward of token t alone after t - 1 cached tokens."""
    caches = timing_gpt.new_kv_caches()
    timing_gpt(long_ids[:, : t - 1], kv_caches=caches)  # fill the caches with t - 1 tokens
    saved = [(cache.k, cache.v) for cache in caches]

    def one_step():
        for cache, (k, v) in zip(caches, saved):  # back to t - 1 cached tokens
            cache.k, cache.v = k, v
        timing_gpt(long_ids[:, t - 1 : t], kv_caches=caches)

    return best_time(one_step)


uncached_ms, cached_ms = [], []
with minigrad.no_grad():
    for t in lengths:
        uncached_ms.append(1000 * time_uncached(t))
        cached_ms.append(1000 * time_cached(t))
        print(
            f"context {t:4d}: {uncached_ms[-1]:6.2f} ms per token without the cache, "
            f"{cached_ms[-1]:5.2f} ms with it"
        )

fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
ax.plot(lengths, uncached_ms, marker="o", label="without cache: forward over all t tokens")
ax.plot(lengths, cached_ms, marker="s", label="with KV cache: forward of the new token only")
ax.set_xlabel("context length t (tokens)")
ax.set_ylabel(f"time for one new token (ms, best of {REPEATS})")
ax.set_ylim(bottom=0)
ax.set_title(f"generation cost per token ({N_LAYER} blocks, width {N_EMBD}, CPU)")
ax.legend()
viz.save_figure(fig, OUT / "kv_cache_timing.png")

# %% [markdown]
# Without the cache the time per token grows with the context: slowly at first, where the
# fixed cost of a forward pass (about a millisecond, mostly Python bookkeeping)
# dominates, then like $t^2$ once the $t \times t$ attention scores take over — from 256 to
# 512 tokens it grew about four times (7.5 ms to 31 ms in our run; the numbers depend on the
# machine). Generating $n$ tokens costs the sum, $O(n^3)$ for long texts. With the cache it
# stays almost flat: one token's worth of work plus one row of $t$ scores, too small to see
# next to the fixed cost. What the cache costs is memory: a key and a value tensor of
# $t \times C$ numbers per layer, for every sequence being generated.

# %% [markdown]
# ## Check yourself

# %%
assert abs(ladder[0][3] - math.log(V)) < 0.05, "an untrained bigram guesses uniformly: ln V"
assert ladder[0][4] < math.log(V) - 1.0, "the bigram learned the frequent pairs"
assert ladder[0][4] > best_bigram - 0.05, "no bigram beats the counted one by much"
assert averaging_gap < 1e-6, "loop, tril product and masked softmax give the same averages"
assert ladder[1][4] > ladder[0][4], "a uniform average of the past is worse than a bigram"
assert ladder[1][4] > ladder[2][4], "data-dependent weights beat the uniform average"
assert ladder[-1][4] < ladder[1][4], "the GPT beats the uniform average"
assert my_gpt.num_parameters() == gpt.num_parameters()
assert same_logits_gap < 1e-4, "our modules compute what minigrad.models.GPT computes"
assert agree and top_k_gap < 0.02, "our sampler draws what sample_next_token draws"
assert distinct[0.5] < distinct[1.0] < distinct[1.5], "higher temperature, more diverse"
assert len(set(greedy)) == 1 and greedy[0] == argmax_text, "top_k=1 is greedy decoding"
assert cache_gap < 1e-4 and same_samples, "the KV cache changes the speed, not the result"
assert uncached_ms[-1] > cached_ms[-1], "at the longest context the cache is faster"
if not FAST:  # 40 training steps are too few for the GPT to overtake a lookup table, and the
    # fast run's timing stops at 128 tokens, too short for a clear ratio
    assert ladder[-1][4] < min(row[4] for row in ladder[:-1]), "the GPT beats every step"
    assert ladder[3][4] < ladder[2][4], "four heads beat one"
    assert uncached_ms[-1] > 5 * cached_ms[-1]
print("lesson 16: all checks passed")
