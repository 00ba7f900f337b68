# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 15 — Backprop by hand through a whole MLP
#
# **Formulas:** F7 (the MLP), F6 (tanh), F2 (cross-entropy and its gradient on the logits),
# F4 (gradient descent), F13 (the training loop), F16 (BatchNorm), F17 (the embedding lookup)
#
# `loss.backward()` is convenient, and it hides the one skill that makes a deep-learning bug
# findable: knowing what every gradient *should* be. In this lesson we take a small
# character-level language model — embedding lookup, linear layer with a bias, BatchNorm, tanh,
# linear layer, cross-entropy — run its forward pass one small named step at a time, and then
# walk backwards through it with NumPy, writing every gradient ourselves: the local derivative
# of the step times the gradient arriving from above. After each step minigrad tells us whether
# we got it right. Then we fold the long chains into two compact formulas (cross-entropy and
# BatchNorm), and finally train the model with our own backward pass instead of autograd's.
#
# Two rules about shapes do most of the work, and we will meet both several times:
#
# * **broadcasting in the forward pass is summing in the backward pass**: a bias of shape
#   $(H,)$ added to every row of a $(B, H)$ array was *used* $B$ times, so its gradient is the sum
#   of the $B$ rows' gradients;
# * **indexing in the forward pass is scatter-adding in the backward pass**: an embedding row
#   read several times collects the gradient of every place that read it.

# %%
import math
import os

import numpy as np

import minigrad
from minigrad import viz
from minigrad.data.text import load_text_corpus
from minigrad.tokenizers import CharTokenizer

FAST = os.environ.get("MINIGRAD_FAST") == "1"
TRAIN_STEPS = 120 if FAST else 600
OUT = viz.lesson_output_dir("15_backprop_by_hand")
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The task and the data
#
# Predict the next character of Python source from the $T = 3$ characters before it. The
# vocabulary is every character of the text ($V$ of them); each training example is a window of
# $T + 1$ characters, the first $T$ the context $x$, the last the target $y$.

# %%
CONTEXT, EMBED, HIDDEN, BATCH = 3, 10, 64, 32
EPS = 1e-5  # BatchNorm's epsilon, as in nn.BatchNorm1d
text = load_text_corpus()
tokenizer = CharTokenizer(text, unk_token=None)
ids = np.array(tokenizer.encode(text), dtype=np.int64)
V = tokenizer.vocab_size
windows = np.lib.stride_tricks.sliding_window_view(ids, CONTEXT + 1)  # (n, T + 1), a view
print(f"{len(ids):,} characters, vocabulary V = {V}, {len(windows):,} examples")


def batch(size):
    rows = windows[rng.integers(0, len(windows), size)]
    return rows[:, :CONTEXT], rows[:, CONTEXT]  # (size, T) contexts, (size,) targets


X_np, Y_np = batch(BATCH)
print("first contexts -> targets:")
for context, target in zip(X_np[:4], Y_np[:4]):
    print(f"  {tokenizer.decode(context.tolist())!r} -> {tokenizer.decode([int(target)])!r}")

# %% [markdown]
# ## 2. The model, one small step per line
#
# With $B$ examples, context $T$, embedding size $E$, hidden size $H$:
#
# | step | formula | shape |
# |---|---|---|
# | embedding lookup | $\text{emb}_{b,t} = C_{x_{b,t}}$ | $(B, T, E)$ |
# | concatenate | $\text{embcat} = \text{emb reshaped}$ | $(B, TE)$ |
# | linear | $\text{hpre} = \text{embcat}\,W_1 + b_1$ | $(B, H)$ |
# | batch mean | $\mu = \frac1B \sum_b \text{hpre}_b$ | $(1, H)$ |
# | centre | $\text{diff} = \text{hpre} - \mu$ | $(B, H)$ |
# | square | $\text{sq} = \text{diff}^2$ | $(B, H)$ |
# | batch variance | $\text{var} = \frac1B \sum_b \text{sq}_b$ | $(1, H)$ |
# | inverse std | $\text{istd} = (\text{var} + \epsilon)^{-1/2}$ | $(1, H)$ |
# | normalise | $\hat x = \text{diff} \cdot \text{istd}$ | $(B, H)$ |
# | scale, shift | $\text{hbn} = \gamma \hat x + \beta$ | $(B, H)$ |
# | tanh | $h = \tanh(\text{hbn})$ | $(B, H)$ |
# | linear | $\text{logits} = h W_2 + b_2$ | $(B, V)$ |
# | log-sum-exp | $\text{lse}_b = \log \sum_j e^{\text{logits}_{b,j}}$ | $(B, 1)$ |
# | log-probabilities | $\text{logp} = \text{logits} - \text{lse}$ | $(B, V)$ |
# | pick the targets | $\text{picked}_b = \text{logp}_{b, y_b}$ | $(B,)$ |
# | loss | $L = -\frac1B \sum_b \text{picked}_b$ | $()$ |
#
# The variance divides by $B$, not $B - 1$: BatchNorm normalises with the *biased* batch
# variance in training (PyTorch too; it keeps the unbiased one only for its running average).
#
# All parameters start random, even $b_1$, $\beta$ and $b_2$, which a real model would start at
# zero, and $\gamma$, which would start at one: a term we forget in a gradient could hide behind
# a zero or a one. Here we work in **float64**: a hand-written backward adds and multiplies in a
# different order than minigrad's, and in float32 the two would differ by rounding
# ($\sim 10^{-7}$ relative), enough to blur the difference between "right" and "almost right". In
# float64 a right gradient agrees to $\sim 10^{-16}$, so we can demand agreement to $10^{-10}$
# and any real mistake stands out by many orders of magnitude.


# %%
def init_params(dtype, seed=0):
    minigrad.manual_seed(seed)
    fan_in = CONTEXT * EMBED
    params = {
        "C": minigrad.randn(V, EMBED, dtype=dtype),
        "W1": minigrad.randn(fan_in, HIDDEN, dtype=dtype) * (5 / 3) / math.sqrt(fan_in),
        "b1": minigrad.randn(HIDDEN, dtype=dtype) * 0.1,
        "gamma": 1 + minigrad.randn(HIDDEN, dtype=dtype) * 0.1,
        "beta": minigrad.randn(HIDDEN, dtype=dtype) * 0.1,
        "W2": minigrad.randn(HIDDEN, V, dtype=dtype) * 0.1 / math.sqrt(HIDDEN),
        "b2": minigrad.randn(V, dtype=dtype) * 0.1,
    }
    for p in params.values():
        p.requires_grad_()
    return params


def forward(P, X, Y):
    """The loss and every intermediate tensor, by name (the names of the table above)."""
    B = X.shape[0]
    T = {}
    T["emb"] = P["C"][X]  # (B, T, E)  row x[b, t] of C
    T["embcat"] = T["emb"].reshape(B, -1)  # (B, T*E)  the T vectors side by side
    T["hpre"] = T["embcat"] @ P["W1"] + P["b1"]  # (B, H)  b1 broadcast over the rows
    T["mu"] = T["hpre"].mean(0, keepdim=True)  # (1, H)
    T["diff"] = T["hpre"] - T["mu"]  # (B, H)
    T["sq"] = T["diff"] ** 2  # (B, H)
    T["var"] = T["sq"].mean(0, keepdim=True)  # (1, H)  biased: divided by B
    T["istd"] = (T["var"] + EPS) ** -0.5  # (1, H)
    T["xhat"] = T["diff"] * T["istd"]  # (B, H)
    T["hbn"] = P["gamma"] * T["xhat"] + P["beta"]  # (B, H)
    T["h"] = T["hbn"].tanh()  # (B, H)
    T["logits"] = T["h"] @ P["W2"] + P["b2"]  # (B, V)
    T["lse"] = T["logits"].logsumexp(dim=1, keepdim=True)  # (B, 1)
    T["logp"] = T["logits"] - T["lse"]  # (B, V)
    T["picked"] = T["logp"][minigrad.arange(B), Y]  # (B,)
    loss = -T["picked"].mean()
    return loss, T


P = init_params(minigrad.float64)
X, Y = minigrad.tensor(X_np), minigrad.tensor(Y_np)
loss, T = forward(P, X, Y)
for t in T.values():
    t.retain_grad()  # keep dL/dt of every intermediate in t.grad, to compare with ours
names = {**T, **P}
with minigrad.trace(names=names) as tape:
    loss.backward()
print(f"loss {loss.item():.4f}   (log V = {math.log(V):.4f}: the loss of a uniform guess)")

# %% [markdown]
# Every tensor now holds minigrad's gradient (`.grad`, kept by `retain_grad()` for the
# intermediates), and `tape` recorded the whole backward pass. The arrays below are our
# material: the forward values, as plain NumPy.
#
# `check(name, mine)` compares our gradient with the one minigrad computed, twice: with
# `tape.compare` (which also explains a mismatch) and with the retained `.grad`. It prints one
# row of a table: the tensor, its shape, the largest difference, and ok or WRONG.

# %%
a = {name: t.detach().numpy() for name, t in names.items()}  # forward values, NumPy float64
Xa, Ya = X_np, Y_np
B = BATCH
rows = []


def check(name, mine):
    comparison = tape.compare(name, mine, atol=1e-10, rtol=1e-8)
    retained = names[name].grad.numpy()
    difference = float(np.abs(mine - retained).max()) if mine.shape == retained.shape else np.inf
    ok = bool(comparison) and difference < 1e-10
    rows.append((name, tuple(retained.shape), difference, ok))
    shape, verdict = str(tuple(retained.shape)), "ok" if ok else "WRONG"
    print(f"{name:<8}{shape:<13}max |mine - minigrad| {difference:8.1e}  {verdict}")
    if not comparison:
        print(comparison)
    return ok


# %% [markdown]
# ## 3. Backwards, one step at a time
#
# Each step has an output whose gradient $g = \partial L / \partial(\text{output})$ we already
# know, and inputs whose gradients we want: **local derivative times upstream gradient**. A
# gradient always has the shape of its tensor — a good check after every line.
#
# ### The loss: $L = -\frac1B \sum_b \text{picked}_b$
#
# Each of the $B$ picked log-probabilities enters the mean with weight $1/B$:
# $\dfrac{\partial L}{\partial\, \text{picked}_b} = -\dfrac1B$.

# %%
d = {}  # our gradients, dL/d(name)
d["picked"] = -np.ones(B) / B
check("picked", d["picked"])

# %% [markdown]
# ### Picking the targets: $\text{picked}_b = \text{logp}_{b, y_b}$
#
# Indexing reads one element per row; the elements it did not read get no gradient, the ones it
# read get the gradient of the place they went to. Here each pair $(b, y_b)$ is read exactly once
# (the row numbers $b = 0 \dots B-1$ are all different), so a plain assignment is enough.

# %%
d["logp"] = np.zeros((B, V))
d["logp"][np.arange(B), Ya] = d["picked"]
check("logp", d["logp"])

# %% [markdown]
# ### Log-probabilities: $\text{logp} = \text{logits} - \text{lse}$
#
# A difference passes the gradient through: $+1$ to logits, $-1$ to lse. But lse has shape
# $(B, 1)$ and was **broadcast** over the $V$ columns: each $\text{lse}_b$ was used $V$ times, so
# its gradient sums the row:
# $$\frac{\partial L}{\partial\, \text{lse}_b}
#   = -\sum_j \frac{\partial L}{\partial\, \text{logp}_{b,j}}.$$
# The logits also feed lse, so this is only the *first* of their two gradients; we add the second
# in the next step.

# %%
d["lse"] = -d["logp"].sum(axis=1, keepdims=True)  # (B, 1): summed over the broadcast axis
d["logits"] = d["logp"].copy()  # the direct path; the path through lse comes next
check("lse", d["lse"])

# %% [markdown]
# ### Log-sum-exp: $\text{lse}_b = \log \sum_j e^{\text{logits}_{b,j}}$
#
# $$\frac{\partial\, \text{lse}_b}{\partial\, \text{logits}_{b,j}}
#   = \frac{e^{\text{logits}_{b,j}}}{\sum_k e^{\text{logits}_{b,k}}}
#   = \text{softmax}(\text{logits}_b)_j:$$
# the derivative of the log-sum-exp is the softmax. Times the upstream $(B, 1)$ gradient, which
# broadcasts along the row, and **added** to what the logits already received: a tensor used
# twice gets the sum of both gradients.

# %%
probs = np.exp(a["logits"] - a["lse"])  # softmax, from the saved lse
d["logits"] += probs * d["lse"]
check("logits", d["logits"])

# %% [markdown]
# ### The output layer: $\text{logits} = h W_2 + b_2$
#
# $\text{logits}_{b,j} = \sum_k h_{b,k} W_{2,kj} + b_{2,j}$. Differentiating one element at a time
# and collecting the sums gives matrix products — the shapes tell you which:
# $\partial L/\partial h = g\, W_2^\top$ is $(B, V)(V, H) = (B, H)$ and
# $\partial L/\partial W_2 = h^\top g$ is $(H, B)(B, V) = (H, V)$; the sum over $b$ in the second
# is the batch: every example used the same $W_2$. And $b_2$, broadcast over the $B$ rows, gets
# the sum of the rows: $\partial L / \partial b_2 = \sum_b g_b$.

# %%
d["h"] = d["logits"] @ a["W2"].T
d["W2"] = a["h"].T @ d["logits"]
d["b2"] = d["logits"].sum(axis=0)
for name in ("h", "W2", "b2"):
    check(name, d[name])

# %% [markdown]
# ### tanh: $h = \tanh(\text{hbn})$
#
# $\tanh' = 1 - \tanh^2$, written with the output:
# $\partial L/\partial\, \text{hbn} = g \odot (1 - h^2)$.

# %%
d["hbn"] = d["h"] * (1 - a["h"] ** 2)
check("hbn", d["hbn"])

# %% [markdown]
# ### Scale and shift: $\text{hbn} = \gamma \hat x + \beta$
#
# Elementwise, with $\gamma, \beta$ of shape $(H,)$ broadcast over the rows:
# $\partial L/\partial \hat x = g \odot \gamma$, and, summed over the batch,
# $\partial L/\partial \gamma = \sum_b g_b \odot \hat x_b$ and
# $\partial L/\partial \beta = \sum_b g_b$.

# %%
d["xhat"] = d["hbn"] * a["gamma"]
d["gamma"] = (d["hbn"] * a["xhat"]).sum(axis=0)
d["beta"] = d["hbn"].sum(axis=0)
for name in ("xhat", "gamma", "beta"):
    check(name, d[name])

# %% [markdown]
# ### Normalise: $\hat x = \text{diff} \cdot \text{istd}$
#
# A product: each factor's gradient is the other factor times $g$. istd has shape $(1, H)$,
# broadcast over the $B$ rows, so its gradient is summed over them (keeping the axis, to keep
# its shape). diff is used twice (here and in sq), so this is its first gradient only.

# %%
d["istd"] = (d["xhat"] * a["diff"]).sum(axis=0, keepdims=True)
d["diff"] = d["xhat"] * a["istd"]  # first of two
check("istd", d["istd"])

# %% [markdown]
# ### Inverse standard deviation: $\text{istd} = (\text{var} + \epsilon)^{-1/2}$
#
# The power rule:
# $\dfrac{d}{dv}(v + \epsilon)^{-1/2} = -\tfrac12 (v + \epsilon)^{-3/2} = -\tfrac12\,\text{istd}^3$.

# %%
d["var"] = d["istd"] * (-0.5) * a["istd"] ** 3
check("var", d["var"])

# %% [markdown]
# ### Variance: $\text{var} = \frac1B \sum_b \text{sq}_b$, then square: $\text{sq} = \text{diff}^2$
#
# A mean over the batch gives each of its $B$ terms the weight $1/B$: the $(1, H)$ gradient
# is spread over the $B$ rows (the backward of a sum is a broadcast, the mirror image of the rule
# above). Then $\partial\, \text{sq}/\partial\, \text{diff} = 2\,\text{diff}$, the second gradient
# of diff, added to the first.

# %%
d["sq"] = np.ones((B, HIDDEN)) * d["var"] / B
check("sq", d["sq"])
d["diff"] += 2 * a["diff"] * d["sq"]
check("diff", d["diff"])

# %% [markdown]
# ### Centre: $\text{diff} = \text{hpre} - \mu$, and the mean: $\mu = \frac1B\sum_b \text{hpre}_b$
#
# The same two rules once more: $\mu$ $(1, H)$ was broadcast over the rows, so
# $\partial L/\partial \mu = -\sum_b g_b$; and hpre, used by both diff and $\mu$, collects
# $g$ directly plus $\frac1B \partial L/\partial\mu$ through the mean.

# %%
d["mu"] = -d["diff"].sum(axis=0, keepdims=True)
check("mu", d["mu"])
d["hpre"] = d["diff"] + np.ones((B, HIDDEN)) * d["mu"] / B
check("hpre", d["hpre"])

# %% [markdown]
# ### The first layer: $\text{hpre} = \text{embcat}\, W_1 + b_1$
#
# The same shapes as the output layer: $\partial L/\partial\, \text{embcat} = g W_1^\top$,
# $\partial L/\partial W_1 = \text{embcat}^\top g$, $\partial L/\partial b_1 = \sum_b g_b$.
#
# **Predict, then run.** $b_1$ started random and clearly changes $\text{hpre}$. How large will
# $\partial L/\partial b_1$ be: about as large as $\partial L/\partial \beta$, or smaller, or zero?

# %%
d["embcat"] = d["hpre"] @ a["W1"].T
d["W1"] = a["embcat"].T @ d["hpre"]
d["b1"] = d["hpre"].sum(axis=0)
for name in ("embcat", "W1", "b1"):
    check(name, d[name])
print(f"largest |dL/db1|   = {np.abs(d['b1']).max():.1e}")
print(f"largest |dL/dbeta| = {np.abs(d['beta']).max():.1e}")

# %% [markdown]
# Zero, up to rounding: about $10^{-18}$, fifteen orders of magnitude below
# $\partial L/\partial\beta$. $b_1$ adds the same number to every row of a column of hpre, and
# BatchNorm's first act is to subtract the column's mean, which removes exactly that number:
# nothing after the normalisation depends on $b_1$. In the formula:
# $\sum_b \partial L/\partial\,\text{hpre}_b = 0$ for every column (section 5 shows why). That is
# why a linear layer before BatchNorm is built without a bias (lesson 14 did so): it could never
# learn anything.
#
# ### Concatenate: $\text{embcat} = \text{emb}$ reshaped
#
# A reshape moves no number: the gradient is reshaped back.

# %%
d["emb"] = d["embcat"].reshape(a["emb"].shape)
check("emb", d["emb"])

# %% [markdown]
# ### The embedding lookup: $\text{emb}_{b,t} = C_{x_{b,t}}$
#
# Row $x_{b,t}$ of $C$ was copied to position $(b, t)$, so
# $$\frac{\partial L}{\partial C_i}
#   = \sum_{(b,t)\,:\, x_{b,t} = i} \frac{\partial L}{\partial\,\text{emb}_{b,t}},$$
# a sum over every place that read row $i$: **scatter-add**. Rows no context used get zero.
# In NumPy: `np.add.at(dC, X, demb)` adds `demb[b, t]` into `dC[X[b, t]]` one position after the
# other.
#
# **Predict, then run.** The tempting one-liner `dC[X] += demb` looks the same. Which rows of
# $\partial L/\partial C$ will it get wrong: none, all of them, or some — and which?

# %%
d["C"] = np.zeros_like(a["C"])
np.add.at(d["C"], Xa, d["emb"])  # repeated indices add up
check("C", d["C"])

tempting = np.zeros_like(a["C"])
tempting[Xa] += d["emb"]  # buffered: for a repeated index only ONE of the additions survives
print("\nthe one-liner dC[X] += demb:")
check("C", tempting)
rows.pop()  # keep the table for the right answer only

# %% [markdown]
# `dC[X] += demb` is `dC[X] = dC[X] + demb`: NumPy first reads `dC[X]` (all zeros), adds, then
# writes the results back one after the other, and when $X$ names a row twice the second write
# overwrites the first. So the rows of characters that occur **more than once** in the batch's
# contexts are wrong — they keep the gradient of one occurrence only — and the characters that
# occur once are right. In text, repeats are the rule (spaces, `e`, `t`, ...), so the most
# frequent characters, whose embeddings matter most, are the ones that would learn wrongly.
# minigrad's `trace.compare` printed its verdict above; the figure shows it row by row.

# %%
counts = np.bincount(Xa.ravel(), minlength=V)
used = np.flatnonzero(counts)
row_error = np.linalg.norm(tempting - d["C"], axis=1) / np.maximum(
    np.linalg.norm(d["C"], axis=1), 1e-300
)
print(f"{len(used)} characters in the contexts; {(counts > 1).sum()} of them more than once")
print(f"rows wrong with dC[X] += demb: {int((row_error[used] > 1e-12).sum())}")
for i in used[np.argsort(-counts[used])][:5]:
    char = tokenizer.decode([int(i)])
    print(f"  {char!r:>6} appears {counts[i]:2d} times: relative error {row_error[i]:.2f}")

plt = viz.pyplot()
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
jitter = np.exp(rng.uniform(-0.05, 0.05, len(used)))  # spread equal counts apart a little
ax.scatter(counts[used] * jitter, row_error[used], s=30, color="tab:red")
for i, x in zip(used, counts[used] * jitter):
    if counts[i] >= 4:
        ax.annotate(
            "space" if tokenizer.decode([int(i)]) == " " else repr(tokenizer.decode([int(i)])),
            (x, row_error[i]),
            fontsize=10,
            xytext=(5, 4),
            textcoords="offset points",
        )
ax.set_xlabel("times the character appears in the batch's contexts")
ax.set_ylabel("relative error of its row of dL/dC")
ax.set_title("dC[X] += demb: every repeated character's gradient is wrong")
ax.set_xscale("log")
ticks = [k for k in (1, 2, 3, 5, 10, 20, 50, 100) if k <= counts.max()] + [int(counts.max())]
ax.set_xticks(ticks, [str(k) for k in ticks])
ax.minorticks_off()
viz.save_figure(fig, OUT / "scatter_add_bug.png")

# %% [markdown]
# ## 4. The whole table
#
# Every tensor of the model, from the loss back to the embedding table, computed by hand and
# checked:

# %%
print(f"{'tensor':<8}{'shape':<13}{'max |mine - minigrad|':>22}   ok")
for name, shape, difference, ok in rows:
    print(f"{name:<8}{str(shape):<13}{difference:>22.1e}   {'ok' if ok else 'WRONG'}")
all_steps_ok = all(ok for *_, ok in rows)
n_checked = len(rows)
print(f"{len(rows)} gradients, all ok: {all_steps_ok}")

# %% [markdown]
# ## 5. Two compact formulas
#
# Long chains of small steps are easy to check but slow to run. Two of them collapse into one
# expression each.
#
# **Cross-entropy.** Put the first four steps together. $\partial L/\partial\,\text{logp}$ is
# $-1/B$ at each row's target and $0$ elsewhere, so each row of $\partial L/\partial\,\text{lse}$ is
# $+1/B$, and
# $$\frac{\partial L}{\partial\,\text{logits}}
#   = -\frac{\text{onehot}(y)}{B} + \frac{\text{softmax}(\text{logits})}{B}
#   = \frac{\text{softmax}(\text{logits}) - \text{onehot}(y)}{B}\qquad\text{(F2)}.$$
# Each row sums to zero: the gradient pushes the target's logit up exactly as much as it pushes
# all the others down.
#
# **BatchNorm.** From $\hat x$ back to hpre in one go. Write $g = \partial L/\partial \hat x$ and
# $\operatorname{mean}_b$ for the mean over the batch (axis 0). $\mu$ and $\text{istd}$ both
# depend on every row, and collecting their contributions (lessons/DERIVATIONS.md, section
# "Batch normalisation", has every line) gives
# $$\frac{\partial L}{\partial\,\text{hpre}} = \text{istd} \cdot \Big(g - \operatorname{mean}_b(g)
#   - \hat x \odot \operatorname{mean}_b(g \odot \hat x)\Big).$$
# The first term is what you get if $\mu$ and istd were constants; the second comes through
# $\mu$, the third through the variance. The result sums to zero down each column (the mean of
# $g - \operatorname{mean}_b g$ is zero, and so is that of $\hat x$): that is why
# $\partial L/\partial b_1 = 0$. With the unbiased variance ($\frac{1}{B-1}$) in the forward, the
# last term would get a factor $B/(B-1)$: the backward must use the forward's variance.


# %%
def cross_entropy_backward(logits, Y):
    """dL/dlogits of the mean cross-entropy, in one expression."""
    B = logits.shape[0]
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    onehot = np.zeros_like(logits)
    onehot[np.arange(B), Y] = 1
    return (shifted / shifted.sum(axis=1, keepdims=True) - onehot) / B


def batch_norm_backward(g_hbn, xhat, istd, gamma):
    """(dL/dhpre, dL/dgamma, dL/dbeta) of BatchNorm in training mode, from dL/dhbn."""
    g = g_hbn * gamma  # dL/dxhat
    g_hpre = istd * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return g_hpre, (g_hbn * xhat).sum(axis=0), g_hbn.sum(axis=0)


compact_logits = cross_entropy_backward(a["logits"], Ya)
compact_hpre, compact_gamma, compact_beta = batch_norm_backward(
    d["hbn"], a["xhat"], a["istd"], a["gamma"]
)
print("compact forms:")
compact_ok = [
    check("logits", compact_logits),
    check("hpre", compact_hpre),
    check("gamma", compact_gamma),
    check("beta", compact_beta),
]
print(f"row sums of dL/dlogits: largest |.| = {np.abs(compact_logits.sum(axis=1)).max():.1e}")
print(f"column sums of dL/dhpre: largest |.| = {np.abs(compact_hpre.sum(axis=0)).max():.1e}")

# %% [markdown]
# ## 6. Training with our own backward pass
#
# The whole backward pass as one function, with the two compact formulas, and nothing from
# autograd: the forward runs under `no_grad()` (no graph is built), and the gradients come from
# NumPy. We train one copy of the model this way, and another copy, from the same initial
# parameters and on the same batches, with `loss.backward()`; both with plain gradient descent
# (F4). This time in float32, as one would train.


# %%
def manual_backward(a, Xa, Ya):
    """Every parameter's gradient from the forward values `a` (NumPy arrays), by hand."""
    grads = {}
    g_logits = cross_entropy_backward(a["logits"], Ya)
    grads["W2"] = a["h"].T @ g_logits
    grads["b2"] = g_logits.sum(axis=0)
    g_hbn = (g_logits @ a["W2"].T) * (1 - a["h"] ** 2)
    g_hpre, grads["gamma"], grads["beta"] = batch_norm_backward(
        g_hbn, a["xhat"], a["istd"], a["gamma"]
    )
    grads["W1"] = a["embcat"].T @ g_hpre
    grads["b1"] = g_hpre.sum(axis=0)
    grads["C"] = np.zeros_like(a["C"])
    np.add.at(grads["C"], Xa, (g_hpre @ a["W1"].T).reshape(a["emb"].shape))
    return grads


def train(use_autograd, steps, batches, lr=0.1):
    P = init_params(minigrad.float32, seed=1)
    losses, snapshots = [], []  # the loss of each step; all the parameters after it, flattened
    for step in range(steps):
        Xa, Ya = batches[step]
        X, Y = minigrad.tensor(Xa), minigrad.tensor(Ya)
        if use_autograd:
            loss, _ = forward(P, X, Y)
            loss.backward()
            grads = {name: p.grad for name, p in P.items()}
        else:
            with minigrad.no_grad():
                loss, T = forward(P, X, Y)
            values = {name: t.numpy() for name, t in {**T, **P}.items()}
            grads = {
                name: minigrad.tensor(g) for name, g in manual_backward(values, Xa, Ya).items()
            }
        with minigrad.no_grad():
            for name, p in P.items():
                p -= lr * grads[name]  # float32 throughout: a float64 gradient would be refused
                p.grad = None
        losses.append(loss.item())
        snapshots.append(np.concatenate([p.numpy().ravel() for p in P.values()]))
    return np.array(losses), np.array(snapshots)


batches = [batch(64) for _ in range(TRAIN_STEPS)]
by_autograd, params_autograd = train(True, TRAIN_STEPS, batches)
by_hand, params_hand = train(False, TRAIN_STEPS, batches)
gap = np.abs(by_autograd - by_hand)
weight_gaps = np.abs(params_autograd - params_hand).max(axis=1)  # one number per step
print(f"autograd : loss {by_autograd[:10].mean():.4f} -> {by_autograd[-50:].mean():.4f}")
print(f"by hand  : loss {by_hand[:10].mean():.4f} -> {by_hand[-50:].mean():.4f}")
print(f"largest |difference| of the {TRAIN_STEPS} losses: {gap.max():.1e}")
print(f"losses equal to the last bit: {(gap == 0).sum()} of {TRAIN_STEPS} steps")
weight_gap = weight_gaps.max()
print(f"largest |difference| of any parameter at any step: {weight_gap:.1e}")

# %% [markdown]
# **Predict, then run.** The two runs start from the same numbers and see the same batches. The
# hand-written backward computes the same mathematics in a different order (softmax minus
# one-hot instead of a chain of four steps, one BatchNorm formula instead of nine). Will the
# loss curves be identical, equal up to rounding, or drift apart over the steps?

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
steps = np.arange(1, TRAIN_STEPS + 1)
left.plot(steps, by_autograd, color="tab:blue", linewidth=3, alpha=0.5, label="loss.backward()")
left.plot(steps, by_hand, color="black", linewidth=0.8, label="our backward (NumPy)")
left.axhline(math.log(V), color="grey", linestyle="--", linewidth=0.8, label="log V (uniform)")
left.set_xlabel("step")
left.set_ylabel("training loss (batch of 64)")
left.set_title("the same training, two backward passes")
left.legend(loc="lower left")
right.semilogy(steps, weight_gaps, color="tab:purple", label="largest parameter difference")
differ = gap > 0
right.semilogy(
    steps[differ],
    gap[differ],
    "o",
    color="tab:red",
    markersize=3,
    label=f"loss difference (0 on {(~differ).sum()} of {TRAIN_STEPS} steps)",
)
right.set_ylim(1e-10, 1e-5)
right.set_xlabel("step")
right.set_ylabel("|autograd - by hand|")
right.set_title("their differences: float32 rounding")
right.legend(loc="upper left")
viz.save_figure(fig, OUT / "training_hand_vs_autograd.png")

# %% [markdown]
# Equal up to rounding, and they stay so. The first loss is exactly the same in both runs
# (the same forward pass from the same parameters), and most of the later ones too; the others
# differ in their last bit or two, a few units of $10^{-7}$. The parameters drift apart by
# float32 round-off (a few $10^{-7}$ at most), and gradient descent does not amplify it here; it
# would in a chaotic run, with a learning rate near the edge of stability. Bit for bit equal
# they cannot be: softmax minus one-hot and minigrad's chain of ops round differently. Our
# thirty lines of NumPy are a complete backward pass for this model.
#
# **What to take away.** Every backward step is the local derivative times the upstream
# gradient, shaped like its tensor; a broadcast in the forward pass is a sum in the backward
# pass; an index read in the forward pass is a scatter-add (`np.add.at`), never `G[idx] += g`; a
# tensor used twice adds its gradients. The exercises `minigrad check batch_norm` and
# `minigrad check embedding` ask you to write two of these steps as minigrad Functions.
#
# ## Check yourself

# %%
assert all_steps_ok and n_checked == 22, "every hand gradient matches minigrad's"
assert all(compact_ok), "the compact cross-entropy and BatchNorm formulas match too"
assert np.abs(d["b1"]).max() < 1e-12 < np.abs(d["beta"]).max(), "BatchNorm makes b1's grad zero"
assert np.abs(compact_logits.sum(axis=1)).max() < 1e-15, "each row of dL/dlogits sums to 0"
repeated = used[counts[used] > 1]
assert np.all(row_error[repeated] > 1e-3), "dC[X] += demb is wrong on every repeated character"
assert np.all(row_error[used[counts[used] == 1]] < 1e-12), "... and right on the others"
assert by_hand[0] == by_autograd[0], "the same forward pass: the first losses agree exactly"
assert gap.max() < 1e-4 and weight_gap < 1e-4, "hand-written and autograd training agree"
assert by_hand[-50:].mean() < math.log(V) - 1.0, "and the model learns"
assert (OUT / "scatter_add_bug.png").stat().st_size > 1000
print("lesson 15: all checks passed")
