# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 6 — Self-attention, number by number
#
# **Formulas:** F8 (self-attention), F9 and F10 (the documents' worked examples)
#
# Self-attention lets every word of a sentence look at every other word and take a weighted
# average of what it finds. We first reproduce the documents' two worked examples digit for
# digit — including the one the document gets wrong — then see why the Transformer divides the
# scores by $\sqrt{d}$, and end with a heat map.

# %%
import math

import numpy as np

import minigrad
from minigrad import viz
from minigrad.nn.attention import scaled_dot_product_attention

OUT = viz.lesson_output_dir("06_attention")
rng = np.random.default_rng(0)


def f64(values):
    return minigrad.tensor(np.asarray(values, dtype=np.float64))


# %% [markdown]
# ## 1. The formula (F8)
#
# Each of $N$ words has a vector $x_i$. Three learned matrices turn it into a *query*, a *key*
# and a *value*: $Q = X W_Q$, $K = X W_K$, $V = X W_V$. Then
#
# $$\text{score}_{ij} = Q_i \cdot K_j, \qquad
#   \text{attention}_{ij} = \frac{e^{\text{score}_{ij}}}{\sum_k e^{\text{score}_{ik}}}, \qquad
#   \text{context}_i = \sum_j \text{attention}_{ij}\, V_j .$$
#
# Row $i$ of the attention matrix is a softmax: positive weights that add up to one, saying
# how much word $i$ looks at each word $j$. (The document prints the score as
# "$Q_i\hat{}K_j$", a typo for the dot product.)
#
# ## 2. Worked example 1 (F9)
#
# Word 1's scores against the five words are 2, 3, 1, 4, 6. Its first weight is
#
# $$\text{attention}_{11} = \frac{e^2}{e^2 + e^3 + e^1 + e^4 + e^6}.$$
#
# **Predict, then run.** Word 5's score, 6, is 37.5% of the total score $2+3+1+4+6 = 16$.
# Will its attention weight be about 37.5%, or much more? And word 3's (score 1)?

# %%
scores_f9 = f64([2.0, 3.0, 1.0, 4.0, 6.0])
weights_f9 = scores_f9.softmax(-1).numpy()
by_hand_f9 = math.exp(2) / sum(math.exp(s) for s in (2, 3, 1, 4, 6))
F9_EXPECTED = [0.015135, 0.041140, 0.005568, 0.111831, 0.826326]
print("softmax(2, 3, 1, 4, 6) =", np.round(weights_f9, 6))
print(f"attention_11 by hand   = {by_hand_f9:.6f}")

# %% [markdown]
# Word 5 with score 6 takes 83% of the attention, not 37.5%, and word 3 gets half a percent:
# the softmax compares scores by their *differences*, exponentiated. Word 5 beats the runner-up
# (score 4) by $e^{6-4} \approx 7.4$ times, and word 3 by $e^{6-1} \approx 148$ times.
#
# ## 3. Worked example 2 (F10), as printed and as F8 says
#
# One number per word: $Q = [1, 2, 3, 4, 5]$, $K = [5, 4, 3, 2, 1]$, $V = [9, 8, 7, 6, 10]$.
#
# **The document** computes word 1's scores as $1\cdot5, 2\cdot4, 3\cdot3, 4\cdot2, 5\cdot1 =
# 5, 8, 9, 8, 5$: each word's *own* query times its own key, $q_j k_j$. **F8** says word 1's
# scores use *word 1's query* against every key: $q_1 k_j = 5, 4, 3, 2, 1$.

# %%
Q = f64([1, 2, 3, 4, 5])
K = f64([5, 4, 3, 2, 1])
V = f64([9, 8, 7, 6, 10])

document_scores = Q * K  # q_j * k_j, elementwise: what the document computed
document_weights = document_scores.softmax(-1)
document_context = (document_weights * V).sum()
print("document's scores:   ", document_scores.numpy())
print("document's weights:  ", np.round(document_weights.numpy(), 6))
print(f"document's context_1: {document_context.item():.6f}")

correct_scores = Q[0] * K  # q_1 * k_j
correct_weights = correct_scores.softmax(-1)
correct_context = (correct_weights * V).sum()
print("\nF8 scores of word 1: ", correct_scores.numpy())
print("F8 weights of word 1:", np.round(correct_weights.numpy(), 6))
print(f"F8 context_1:         {correct_context.item():.6f}")

# %% [markdown]
# All five contexts at once are a matrix computation: with $Q$, $K$, $V$ as $(5, 1)$ matrices,
# the scores are the $5 \times 5$ matrix $Q K^\top$ (row $i$ holds $q_i k_j$), and the library
# function `scaled_dot_product_attention` with `scale=1.0` (the documents use no scaling) gives
# every $\text{context}_i$.

# %%
attention_matrix = (Q.reshape(5, 1) @ K.reshape(1, 5)).softmax(-1)
contexts = scaled_dot_product_attention(
    Q.reshape(5, 1), K.reshape(5, 1), V.reshape(5, 1), scale=1.0
).reshape(-1)
F10_CONTEXTS = [8.510223, 8.845160, 8.947635, 8.981343, 8.993216]
print("all five contexts:", np.round(contexts.numpy(), 6))
words = ["w1", "w2", "w3", "w4", "w5"]
viz.plot_attention(
    attention_matrix,
    OUT / "f10_attention.png",
    x_labels=words,
    y_labels=words,
    title="F10 by the formula: softmax(q_i k_j)",
)

# %% [markdown]
# The contexts all lie close to 9: with these numbers every query prefers the first key
# ($k_1 = 5$ is the largest), whose value is 9. The document's 7.051669 is the weighted average
# under the wrong weights, centred on word 3.
#
# ## 4. Why divide by $\sqrt{d}$?
#
# In a real model $Q_i$ and $K_j$ are vectors of $d$ numbers. If their entries are independent
# with mean 0 and variance 1, the dot product $Q_i\cdot K_j$ is a sum of $d$ such products: its
# variance is $d$. With $d = 512$ the scores are typically $\pm 23$, and the softmax of numbers
# that far apart is essentially one-hot — it *saturates*. Its gradient,
# $y_i(\delta_{ij} - y_j)$, is then nearly zero everywhere, and the model stops learning.
# Vaswani et al. (2017) divide the scores by $\sqrt{d_k}$, which brings the variance back to 1.
# minigrad's attention does this by default; `scale=1.0` is the documents' unscaled version.
#
# We measure it: for each $d$, 256 random query rows against 16 keys; the average largest
# weight per row (1.0 = one-hot) and the size of the gradient that flows back to a row of
# scores (the median over the rows, for a random upstream gradient).
#
# **Predict, then run.** With 16 keys, a uniform row has largest weight $1/16 \approx 0.06$.
# For $d = 1024$ *unscaled*, where will the mean largest weight be? And scaled by $1/\sqrt d$:
# will it change as $d$ grows from 4 to 1024?

# %%
dims = [4, 16, 64, 256, 1024]
rows = 256
saturation = {"unscaled": [], "scaled by 1/√d": []}
gradient_size = {"unscaled": [], "scaled by 1/√d": []}
for d in dims:
    q = minigrad.tensor(rng.standard_normal((rows, d)))
    k = minigrad.tensor(rng.standard_normal((16, d)))
    upstream = minigrad.tensor(rng.standard_normal((rows, 16)))
    for name, scale in (("unscaled", 1.0), ("scaled by 1/√d", 1 / math.sqrt(d))):
        scores = (q @ k.T * scale).detach().requires_grad_()
        weights = scores.softmax(-1)
        (weights * upstream).sum().backward()
        saturation[name].append(weights.numpy().max(axis=1).mean())
        # The median row: a few unsaturated rows would dominate a mean.
        gradient_size[name].append(np.median(np.linalg.norm(scores.grad.numpy(), axis=1)))
    print(
        f"d = {d:4d}:  mean max weight unscaled {saturation['unscaled'][-1]:.3f}, scaled "
        f"{saturation['scaled by 1/√d'][-1]:.3f};  gradient per row unscaled "
        f"{gradient_size['unscaled'][-1]:.2e}, scaled {gradient_size['scaled by 1/√d'][-1]:.2e}"
    )

plt = viz.pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name in saturation:
    left.plot(dims, saturation[name], marker="o", label=name)
    right.plot(dims, gradient_size[name], marker="o", label=name)
left.set_title("softmax saturation: mean of the largest weight")
left.set_ylabel("largest weight in a row (1.0 = one-hot)")
right.set_title("gradient reaching a row of scores (median)")
right.set_ylabel("‖∂loss/∂scores‖ of a row")
right.set_yscale("log")
for ax in (left, right):
    ax.set_xscale("log", base=2)
    ax.set_xlabel("d (query / key size)")
    ax.grid(alpha=0.3)
    ax.legend()
viz.save_figure(fig, OUT / "softmax_saturation.png")

# %% [markdown]
# Unscaled, the rows become one-hot: the mean largest weight climbs from about 0.46 at $d = 4$
# to 0.97 at $d = 1024$, and the gradient reaching the scores falls about ten thousand times,
# because a saturated softmax is flat. Scaled, nothing depends on $d$ (largest weight about
# 0.25, the same gradient): dividing by $\sqrt d$ gives the scores variance 1 for every $d$,
# so the softmax always sees numbers of the same size.
#
# ## 5. A heat map of self-attention
#
# Six "words" with random 64-dimensional embeddings and random projections $W_Q, W_K, W_V$ (an
# untrained layer). Unscaled, almost every row is one-hot; scaled, the weights are spread out,
# and training can shape them. Lesson 8 shows the heat maps of a trained model.

# %%
sentence = ["the", "cat", "sat", "on", "the", "mat"]
d_model = 64
embeddings = minigrad.tensor(rng.standard_normal((len(sentence), d_model)))
W_Q, W_K, W_V = (
    minigrad.tensor(rng.standard_normal((d_model, d_model)) / math.sqrt(d_model)) for _ in range(3)
)
Qs, Ks, Vs = embeddings @ W_Q, embeddings @ W_K, embeddings @ W_V
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
heat = {}
for ax, (name, scale) in zip(
    axes, (("unscaled (documents)", 1.0), ("scaled by 1/√64", 1 / math.sqrt(d_model)))
):
    _, heat[name] = scaled_dot_product_attention(Qs, Ks, Vs, scale=scale, return_weights=True)
    weights = heat[name].numpy()
    # Both panels on the same scale, 0 to 1, so equal colours mean equal weights.
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    for i in range(len(sentence)):
        for j in range(len(sentence)):
            colour = "white" if weights[i, j] < 0.6 else "black"
            ax.text(
                j, i, f"{weights[i, j]:.2f}", ha="center", va="center", fontsize=8, color=colour
            )
    ax.set_xticks(range(len(sentence)), sentence)
    ax.set_yticks(range(len(sentence)), sentence)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    ax.set_title(name)
fig.colorbar(image, ax=axes, shrink=0.85, label="attention weight")
viz.save_figure(fig, OUT / "attention_heatmaps.png")

# %% [markdown]
# ## 6. The library's attention is the formula, and its gradient is right

# %%
q3, k3, v3 = (minigrad.tensor(rng.standard_normal((2, 4, 8)), requires_grad=True) for _ in range(3))
by_formula = (q3 @ k3.transpose(-1, -2) / math.sqrt(8)).softmax(-1) @ v3
library = scaled_dot_product_attention(q3, k3, v3)
print("max difference:", np.abs(by_formula.numpy() - library.numpy()).max())
attention_gradcheck = minigrad.gradcheck(scaled_dot_product_attention, (q3, k3, v3))
print("gradcheck(scaled_dot_product_attention):", attention_gradcheck)

# %% [markdown]
# ## Check yourself
#
# 1. Each row of an attention matrix adds up to 1. Must each column too? *Answer: no; the
#    softmax runs over the keys of one query, so a key may be looked at by every query or by
#    none.*
# 2. Add 10 to every score of one row. What happens to that row's weights? *Answer: nothing:
#    $e^{s_j + 10} / \sum_k e^{s_k + 10} = e^{s_j} / \sum_k e^{s_k}$. Only differences count.*
# 3. Why divide by $\sqrt d$ and not by $d$? *Answer: the dot product's standard deviation grows
#    like $\sqrt d$; dividing by $d$ would shrink the scores towards 0 as $d$ grows and make
#    every row nearly uniform.*

# %%
assert np.allclose(weights_f9, F9_EXPECTED, atol=1e-6) and abs(by_hand_f9 - 0.015135) < 1e-6
assert document_scores.tolist() == [5, 8, 9, 8, 5]
assert np.allclose(
    document_weights.numpy(), [0.010334, 0.207561, 0.564210, 0.207561, 0.010334], atol=1e-6
)
assert abs(document_context.item() - 7.051669) < 1e-6
assert correct_scores.tolist() == [5, 4, 3, 2, 1]
assert np.allclose(
    correct_weights.numpy(), [0.636409, 0.234122, 0.086129, 0.031685, 0.011656], atol=1e-6
)
assert abs(correct_context.item() - 8.510223) < 1e-6
assert np.allclose(contexts.numpy(), F10_CONTEXTS, atol=1e-6)
assert np.allclose(attention_matrix.numpy().sum(axis=1), 1.0)
unscaled, scaled = saturation["unscaled"], saturation["scaled by 1/√d"]
assert all(a <= b + 1e-9 for a, b in zip(unscaled, unscaled[1:])), "saturation grows with d"
assert unscaled[-1] > 0.9 and max(scaled) - min(scaled) < 0.15
assert gradient_size["unscaled"][-1] < gradient_size["scaled by 1/√d"][-1] / 5
assert (
    heat["unscaled (documents)"].numpy().max(axis=1).mean()
    > heat["scaled by 1/√64"].numpy().max(axis=1).mean()
)
assert np.allclose(by_formula.numpy(), library.numpy()) and attention_gradcheck
assert (OUT / "softmax_saturation.png").stat().st_size > 1000
print("lesson 6: all checks passed")
