# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 7 — Multi-head attention and the Transformer block
#
# **Formulas:** F11 (the position-wise feed-forward network, and its erratum), F12
# (multi-head attention, stacked layers; residuals and LayerNorm), F8
#
# A Transformer layer is two sublayers: self-attention, which mixes information *between*
# positions, and a small feed-forward network, which transforms each position *on its own*.
# We first redo the documents' feed-forward example with shapes that fit, then build
# multi-head attention by hand, and finally see why the placement of LayerNorm decides whether
# a deep stack trains at all.

# %%
import math
import os

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.nn.transformer import FeedForward, PositionalEmbedding, TransformerBlock

FAST = os.environ.get("MINIGRAD_FAST") == "1"
OUT = viz.lesson_output_dir("07_transformer_block")
minigrad.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The feed-forward network (F11) and the documents' example
#
# $$\text{FFN}(x) = \max(0,\ x W_1 + b_1)\, W_2 + b_2$$
#
# For a token vector $x$ with $d_\text{model}$ numbers (a row), $W_1$ must be a
# $(d_\text{model}, d_\text{ff})$ matrix, $b_1$ a vector of $d_\text{ff}$, $W_2$ a
# $(d_\text{ff}, d_\text{model})$ matrix and $b_2$ a vector of $d_\text{model}$.
#
# Document 003 uses $W_1 = [1, 2]$, $b_1 = [3, 4]$, $W_2 = [5, 6]$, $b_2 = [7, 8]$ and writes
# $\text{context}_1 \cdot W_1 = [1, 2]\cdot[5, 6] = [11, 12]$, then
# $\max(0, [11, 12] + [3, 4]) = [11, 12]$ and $[11, 12]\cdot[5, 6] + [7, 8] = [67, 80]$.
# Let the framework check each step:

# %%
one, two = minigrad.tensor([1.0, 2.0]), minigrad.tensor([5.0, 6.0])
print("[1, 2] · [5, 6] as a dot product:", (one @ two).item(), "(one number, not [11, 12])")
print("[1, 2] * [5, 6] elementwise:     ", (one * two).tolist())
relu_step = (minigrad.tensor([11.0, 12.0]) + minigrad.tensor([3.0, 4.0])).relu()
print("max(0, [11, 12] + [3, 4]) =      ", relu_step.tolist(), "(not [11, 12])")
last_step = minigrad.tensor([11.0, 12.0]) * minigrad.tensor([5.0, 6.0])
print("[11, 12] * [5, 6] =              ", last_step.tolist(), "(not [60, 72])")
try:
    minigrad.tensor([[1.0, 2.0]]) @ minigrad.tensor([[1.0, 2.0]])  # x (1, 2) times W1 (1, 2)
except ValueError as error:
    shape_error = str(error)
    print("x W1 with W1 = [1, 2] as a matrix:", shape_error)

# %% [markdown]
# None of the three steps holds, and no reading of $W_1 = [1, 2]$ as a matrix multiplies a
# two-number $x$ into two hidden numbers. The repair: give every weight the shape the formula
# needs. We keep $x = [1, 2]$, take $d_\text{ff} = 2$, and choose
#
# $$W_1 = \begin{bmatrix}1 & 2\\ 3 & 4\end{bmatrix},\ b_1 = [-10, 4],\quad
#   W_2 = \begin{bmatrix}5 & 6\\ 7 & 8\end{bmatrix},\ b_2 = [7, 8].$$
#
# By hand: $x W_1 = [1\cdot1 + 2\cdot3,\ 1\cdot2 + 2\cdot4] = [7, 10]$;
# $+\,b_1 = [-3, 14]$; ReLU gives $[0, 14]$ (this time it does something);
# $[0, 14]\, W_2 = [14\cdot7,\ 14\cdot8] = [98, 112]$; $+\,b_2 = [105, 120]$.

# %%
x = minigrad.tensor([1.0, 2.0])
W1 = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
b1 = minigrad.tensor([-10.0, 4.0])
W2 = minigrad.tensor([[5.0, 6.0], [7.0, 8.0]])
b2 = minigrad.tensor([7.0, 8.0])
hidden = (x @ W1 + b1).relu()
ffn_by_formula = hidden @ W2 + b2
print("hidden:", hidden.tolist(), "  FFN(x):", ffn_by_formula.tolist())

# The library's FeedForward holds the same numbers; nn.Linear stores W transposed (out, in).
ffn = FeedForward(d_model=2, d_ff=2)
with minigrad.no_grad():  # parameters are changed in place only outside the graph
    ffn.fc1.weight.copy_(W1.T)
    ffn.fc1.bias.copy_(b1)
    ffn.fc2.weight.copy_(W2.T)
    ffn.fc2.bias.copy_(b2)
ffn_library = ffn(x)
sequence = minigrad.tensor([[1.0, 2.0], [0.0, 0.0], [2.0, -1.0]])  # three positions
print("FeedForward module:", ffn_library.tolist())
print("three positions, each on its own:", ffn(sequence).tolist())

# %% [markdown]
# ## 2. Multi-head attention (F12)
#
# One attention (lesson 6) computes one pattern of who-looks-at-whom. *Multi-head* attention
# runs $h$ smaller ones side by side: the $d_\text{model}$ features of $Q, K, V$ are split into
# $h$ groups of $d_\text{head} = d_\text{model}/h$, each head attends on its own group, and a
# last matrix $W_O$ mixes the heads' results:
#
# $$\text{head}_k = \text{softmax}\!\Big(\frac{Q_k K_k^\top}{\sqrt{d_\text{head}}}\Big) V_k,
#   \qquad \text{MHA}(X) = [\text{head}_1, \dots, \text{head}_h]\, W_O .$$
#
# By hand, then compared with `nn.MultiHeadAttention` holding the same weights:

# %%
N, T, E, H = 2, 5, 16, 4
d_head = E // H
mha = nn.MultiHeadAttention(E, H)
X = minigrad.randn(N, T, E)


def split_heads(t):
    # (N, T, E) -> (N, T, H, d_head) -> (N, H, T, d_head): one attention per head
    return t.reshape(N, T, H, d_head).transpose(1, 2)


q = split_heads(mha.q_proj(X))
k = split_heads(mha.k_proj(X))
v = split_heads(mha.v_proj(X))
head_weights = (q @ k.transpose(-1, -2) / math.sqrt(d_head)).softmax(-1)  # (N, H, T, T)
heads = head_weights @ v  # (N, H, T, d_head)
mha_by_hand = mha.out_proj(heads.transpose(1, 2).reshape(N, T, E))
mha_library, library_weights = mha(X, need_weights=True)
difference = np.abs(mha_by_hand.numpy() - mha_library.numpy()).max()
print("max difference, by hand vs library:", difference)

plt = viz.pyplot()
fig, axes = plt.subplots(1, H, figsize=(3.0 * H + 1, 3.3), layout="constrained")
top = float(library_weights[0].numpy().max())  # one colour scale for the four heads
for h, ax in enumerate(axes):
    weights = library_weights[0, h].numpy()
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=top)
    for i in range(T):
        for j in range(T):
            colour = "white" if weights[i, j] < 0.6 * top else "black"
            ax.text(
                j, i, f"{weights[i, j]:.2f}", ha="center", va="center", fontsize=7, color=colour
            )
    ax.set_xticks(range(T))
    ax.set_yticks(range(T))
    ax.set_xlabel("key (attended to)")
    ax.set_title(f"head {h + 1} (untrained)")
axes[0].set_ylabel("query")
fig.colorbar(image, ax=axes, shrink=0.9, label="attention weight")
viz.save_figure(fig, OUT / "heads_untrained.png")

# %% [markdown]
# ## 3. Residual connections and LayerNorm
#
# Neither is in the documents, but every Transformer has both (F12).
#
# **Residual connection**: a sublayer computes a *change* to its input, $y = x + f(x)$. Its
# Jacobian is $I + \partial f/\partial x$: even when $\partial f/\partial x$ is tiny, the
# identity carries the gradient back unchanged. Twenty small tanh layers show the difference.
#
# **Predict, then run.** Each layer's weights are about 0.1 in size, 8 by 8. Without the
# residual, will the gradient reaching the input be about 1, about 0.1, or far smaller? With
# the residual?

# %%
depth = 20
layers = [minigrad.tensor(rng.standard_normal((8, 8)) * 0.1) for _ in range(depth)]
for residual in (False, True):
    x0 = minigrad.tensor(rng.standard_normal((1, 8)), requires_grad=True)
    h = x0
    for W in layers:
        h = h + (h @ W).tanh() if residual else (h @ W).tanh()
    h.sum().backward()
    print(
        f"residual={residual!s:<5}: gradient at the input has norm "
        f"{np.linalg.norm(x0.grad.numpy()):.3g}"
    )
    if residual:
        residual_grad = np.linalg.norm(x0.grad.numpy())
    else:
        plain_grad = np.linalg.norm(x0.grad.numpy())

# %% [markdown]
# Without the residual the gradient all but vanishes: each layer multiplies it by a matrix of
# small weights (times $\tanh' \le 1$), shrinking it by a factor of about 4, and twenty such
# factors make about $10^{-11}$. With the residual every layer's Jacobian is
# $I + \text{(small)}$, so the gradient arrives at its original size or a little more.
#
# **LayerNorm** standardises each token's features (mean 0, variance 1), then scales and
# shifts them with learned $\gamma, \beta$ (exercise `layer_norm` asks for its backward):
#
# $$\text{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta .$$

# %%
token = minigrad.tensor([[1.0, 2.0, 3.0, 10.0]])
normalised = nn.LayerNorm(4)(token)
print(
    "LayerNorm([1, 2, 3, 10]) =",
    np.round(normalised.numpy(), 4),
    f" mean {normalised.mean().item():.1e}, variance {normalised.var(correction=0).item():.4f}",
)

# %% [markdown]
# ## 4. Post-LN or pre-LN?
#
# Where does the LayerNorm go? The 2017 paper normalises *after* the residual sum (post-LN);
# GPT-2 and most models since normalise the sublayer's *input* (pre-LN):
#
# $$\text{post-LN:}\ x \leftarrow \text{LN}\big(x + \text{Attn}(x)\big),\qquad
#   \text{pre-LN:}\ x \leftarrow x + \text{Attn}\big(\text{LN}(x)\big)$$
#
# (and the same for the FFN). Pre-LN leaves a clean residual path from the input to the output;
# post-LN puts a LayerNorm on it after every sublayer. Xiong et al. (2020) showed that this
# makes post-LN's gradients near the output large at initialisation, so it needs a small
# learning rate with a warm-up. We train the same stack both ways on a task that needs
# attention — *reverse a sequence of 8 digits* — with Adam and no warm-up, at a small and a
# large learning rate.
#
# **Predict, then run.** At the small learning rate, will the two layouts differ? At the large
# one, which of them will learn to reverse the digits?

# %%
VOCAB, LENGTH, D_MODEL, HEADS = 10, 8, 32, 4
LAYERS = 4 if FAST else 6
STEPS = 250 if FAST else 400


class ReverseModel(nn.Module):
    def __init__(self, norm_first):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL)
        self.position = PositionalEmbedding(LENGTH, D_MODEL)
        self.blocks = nn.ModuleList(
            [
                TransformerBlock(D_MODEL, HEADS, 4 * D_MODEL, norm_first=norm_first)
                for _ in range(LAYERS)
            ]
        )
        # A pre-LN stack ends on the un-normalised residual stream: normalise it once.
        self.final_norm = nn.LayerNorm(D_MODEL) if norm_first else nn.Identity()
        self.head = nn.Linear(D_MODEL, VOCAB)

    def forward(self, tokens, return_weights=False):
        h = self.position(self.embed(tokens))
        weights = []
        for block in self.blocks:
            h, w = block(h, need_weights=True)
            weights.append(w)
        logits = self.head(self.final_norm(h))
        return (logits, weights) if return_weights else logits


def reversal_batch(rng, size=32):
    digits = rng.integers(0, VOCAB, (size, LENGTH))
    return minigrad.tensor(digits), minigrad.tensor(digits[:, ::-1].copy())


def train_reversal(norm_first, lr, steps):
    minigrad.manual_seed(0)
    data_rng = np.random.default_rng(0)  # the same batches for both layouts
    model = ReverseModel(norm_first)
    optimizer = minigrad.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        tokens, target = reversal_batch(data_rng)
        loss = F.cross_entropy(model(tokens).reshape(-1, VOCAB), target.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


learning_rates = {"lr 1e-3": (1e-3, STEPS // 2), "lr 2e-2": (2e-2, STEPS)}
runs = {}
for lr_name, (lr, steps) in learning_rates.items():
    for layout, norm_first in (("pre-LN", True), ("post-LN", False)):
        runs[(layout, lr_name)] = train_reversal(norm_first, lr, steps)
        losses = runs[(layout, lr_name)][1]
        print(f"{layout:<8} {lr_name}: loss {losses[0]:.3f} -> {np.mean(losses[-10:]):.3f}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, lr_name in zip(axes, learning_rates):
    viz.plot_loss_curves(
        {layout: runs[(layout, lr_name)][1] for layout in ("pre-LN", "post-LN")},
        ax=ax,
        title=f"reverse 8 digits, {LAYERS} blocks, Adam {lr_name}",
    )
    # At lr 1e-3 the two curves nearly coincide: pre-LN drawn wide and pale beneath post-LN.
    pre_line = ax.get_lines()[0]
    pre_line.set_linewidth(4)
    pre_line.set_alpha(0.5)
    ax.axhline(math.log(VOCAB), color="grey", linestyle="--", linewidth=0.8, label="log 10")
    ax.legend(loc="lower left")
viz.save_figure(fig, OUT / "pre_vs_post_ln.png")

# %% [markdown]
# At the small learning rate the two layouts learn alike (and slowly). At the large one the
# pre-LN stack suddenly "gets" the task and its loss drops to almost zero, while the post-LN
# stack collapses to predicting every digit with probability 1/10: its loss sits at
# $\log 10 \approx 2.30$ (the dashed line) and stays there.
#
# What did the trained pre-LN model learn? Its attention heads: in some head, output position
# $i$ should look at input position $7 - i$ — an anti-diagonal.

# %%
pre_model = runs[("pre-LN", "lr 2e-2")][0]
example, _ = reversal_batch(np.random.default_rng(1), size=1)
with minigrad.no_grad():
    logits, block_weights = pre_model(example, return_weights=True)
prediction = logits.argmax(axis=-1)
print("input:     ", example.tolist()[0])
print("prediction:", prediction.tolist()[0])
# The head whose weights are most concentrated on the anti-diagonal, over all blocks.
anti_diagonal = np.eye(LENGTH)[::-1]
best = max(
    ((b, h) for b in range(LAYERS) for h in range(HEADS)),
    key=lambda bh: (block_weights[bh[0]].numpy()[0, bh[1]] * anti_diagonal).sum(),
)
best_weights = block_weights[best[0]][0, best[1]]
positions = [str(i) for i in range(LENGTH)]
viz.plot_attention(
    best_weights,
    OUT / "reversal_head.png",
    x_labels=positions,
    y_labels=positions,
    title=f"block {best[0] + 1}, head {best[1] + 1}",
)
anti_diagonal_mass = (best_weights.numpy() * anti_diagonal).sum() / LENGTH

# %% [markdown]
# ## Check yourself
#
# 1. Why does the FFN act on every position separately, and attention not? *Answer: the FFN is
#    the same small network applied to one token's vector; only attention mixes positions.*
# 2. Why does a loss stuck at $\log 10$ mean the post-LN model learnt nothing? *Answer: it is
#    the cross-entropy of a uniform guess over 10 digits.*
# 3. A model reverses 8 digits with one head. Where must that head's weights be large, and
#    why can it not do without the position embedding? *Answer: on the anti-diagonal (output
#    $i$ reads input $7 - i$); without positions attention cannot tell the inputs' order.*

# %%
assert ffn_by_formula.tolist() == [105.0, 120.0] and hidden.tolist() == [0.0, 14.0]
assert np.allclose(ffn_library.numpy(), [105.0, 120.0])
assert (one @ two).item() == 17.0 and relu_step.tolist() == [14.0, 16.0]
assert "(1, 2)" in shape_error
assert np.allclose(mha_by_hand.numpy(), mha_library.numpy(), atol=1e-5)
assert np.allclose(library_weights.numpy().sum(-1), 1.0, atol=1e-5)
assert plain_grad < 1e-3 * residual_grad, "residuals keep the gradient alive"
assert abs(normalised.mean().item()) < 1e-5 and abs(normalised.var(correction=0).item() - 1) < 1e-3
final = {key: np.mean(run[1][-10:]) for key, run in runs.items()}
# Fast mode stops soon after the pre-LN stack "gets" the task: its checks are looser.
assert final[("pre-LN", "lr 2e-2")] < (1.0 if FAST else 0.3), "pre-LN learns at the large lr"
assert final[("pre-LN", "lr 2e-2")] < final[("post-LN", "lr 2e-2")] - 0.3
assert final[("post-LN", "lr 2e-2")] > 2.0, "post-LN collapses at the same lr"
assert abs(final[("pre-LN", "lr 1e-3")] - final[("post-LN", "lr 1e-3")]) < 0.3
assert (prediction.numpy() == example.numpy()[:, ::-1]).mean() > (0.5 if FAST else 0.85)
assert anti_diagonal_mass > (0.3 if FAST else 0.5), "a head attends along the anti-diagonal"
assert (OUT / "pre_vs_post_ln.png").stat().st_size > 1000
print("lesson 7: all checks passed")
