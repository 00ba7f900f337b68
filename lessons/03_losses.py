# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 3 — Losses, their derivatives, and an audit of the documents
#
# **Formulas:** F1 (MSE), F2 (cross-entropy, and its erratum), F3 (binary cross-entropy, and
# its erratum), F14 (the NSP loss, and its erratum)
#
# A loss turns "how wrong is the model" into one number; its gradient tells every weight which
# way to move. We derive the three classic losses, implement them with tensor ops, and check
# every gradient with `minigrad.gradcheck` (central finite differences in float64).
#
# Then the audit. The source documents print three of these formulas wrongly. A wrong formula
# in a textbook is easy to believe; a gradient check is not fooled. For each one we run the
# printed version through a check — gradcheck, or a comparison with the definition of the
# loss — watch it fail, and watch the corrected version pass.

# %%
import os

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import viz

FAST = os.environ.get("MINIGRAD_FAST") == "1"
OUT = viz.lesson_output_dir("03_losses")
rng = np.random.default_rng(0)


def f64(array, requires_grad=True):
    """A float64 tensor: finite differences need the precision (float32 has ~7 digits)."""
    return minigrad.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def first_lines(error, count=10):
    return "\n".join(str(error).splitlines()[:count])


# %% [markdown]
# ## 1. Mean squared error (F1)
#
# $$\text{MSE}(y, \hat y) = \frac1n \sum_i (y_i - \hat y_i)^2, \qquad
#   \frac{\partial\,\text{MSE}}{\partial \hat y_i} = \frac2n (\hat y_i - y_i).$$


# %%
def mse(pred, target):
    return ((target - pred) ** 2).mean()


pred = f64(rng.standard_normal(6))
target = f64(rng.standard_normal(6), requires_grad=False)
mse(pred, target).backward()
formula_grad = 2 / 6 * (pred.numpy() - target.numpy())
print("autograd:", np.round(pred.grad.numpy(), 5))
print("formula: ", np.round(formula_grad, 5))
mse_checked = minigrad.gradcheck(lambda p: mse(p, target), pred)
print("gradcheck(MSE):", mse_checked)
print("same as F.mse_loss:", np.isclose(mse(pred, target).item(), F.mse_loss(pred, target).item()))

# %% [markdown]
# ## 2. Cross-entropy (F2)
#
# For $N$ examples, a one-hot target $y$ and predicted probabilities $\hat y$:
#
# $$\text{CE}(y, \hat y) = -\frac1N \sum_{i=1}^N \sum_c y_{ic} \log \hat y_{ic}.$$
#
# Only the target class of each row appears in the sum, so
#
# $$\frac{\partial\,\text{CE}}{\partial \hat y_{ic}} = -\frac{y_{ic}}{N\,\hat y_{ic}}:$$
#
# $-1/(N\hat y)$ at the target class and **zero** for every other class (the loss does not
# depend on them at all).
#
# **The document's version** (000 §4.2) is $\nabla_{\hat y} \text{CE} = \frac{1}{\hat y} -
# \frac{y}{\hat y}$. It is zero at the target class and $1/\hat y$ elsewhere: the opposite
# pattern, with the wrong sign and without the $1/N$. Let gradcheck judge. We write the loss as
# a `Function` twice, with the same forward and the two backwards.


# %%
class DocumentCrossEntropy(minigrad.Function):
    """CE = -(1/N) Σ y log ŷ, with the document's gradient 1/ŷ - y/ŷ."""

    @staticmethod
    def forward(ctx, y_hat, y):
        ctx.save_for_backward(y_hat, y)
        return -(y * ctx.xp.log(y_hat)).sum() / y_hat.shape[0]

    @staticmethod
    def backward(ctx, grad):
        y_hat, y = ctx.saved_tensors
        return grad * (1 / y_hat - y / y_hat), None


class CorrectedCrossEntropy(minigrad.Function):
    """CE = -(1/N) Σ y log ŷ, with the gradient -y / (N ŷ)."""

    @staticmethod
    def forward(ctx, y_hat, y):
        ctx.save_for_backward(y_hat, y)
        return -(y * ctx.xp.log(y_hat)).sum() / y_hat.shape[0]

    @staticmethod
    def backward(ctx, grad):
        y_hat, y = ctx.saved_tensors
        return grad * -y / (y_hat.shape[0] * y_hat), None


N, C = 4, 3
probabilities = f64(rng.dirichlet(np.ones(C), size=N))  # each row sums to 1
one_hot = f64(np.eye(C)[[0, 2, 1, 2]], requires_grad=False)

try:
    minigrad.gradcheck(lambda p: DocumentCrossEntropy.apply(p, one_hot), probabilities)
    document_ce_passes = True
except minigrad.GradcheckError as error:
    document_ce_passes = False
    print("The document's cross-entropy derivative FAILS gradcheck:\n")
    print(first_lines(error, 14))

corrected_ce_passes = minigrad.gradcheck(
    lambda p: CorrectedCrossEntropy.apply(p, one_hot), probabilities
)
print("\nThe corrected derivative -y/(N ŷ) passes:", corrected_ce_passes)

# %% [markdown]
# In practice the probabilities come from a softmax of logits $z$, $\hat y = \text{softmax}(z)$.
# Composing the two Jacobians, almost everything cancels:
#
# $$\frac{\partial\,\text{CE}}{\partial z_{ic}} = \frac{\text{softmax}(z_i)_c - y_{ic}}{N}.$$
#
# That is the gradient `F.cross_entropy` computes in one fused op — and exercise
# `cross_entropy` asks you to write it.

# %%
logits = f64(rng.standard_normal((N, C)) * 2)
labels = minigrad.tensor([0, 2, 1, 2])
F.cross_entropy(logits, labels).backward()
softmax_minus_y = (
    np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True) - one_hot.numpy()
) / N
print("autograd through F.cross_entropy:\n", np.round(logits.grad.numpy(), 5))
print("(softmax(z) - y) / N:\n", np.round(softmax_minus_y, 5))
logits_ce_passes = minigrad.gradcheck(lambda z: F.cross_entropy(z, labels), f64(logits.numpy()))

# %% [markdown]
# ## 3. Binary cross-entropy (F3)
#
# One probability $p = \hat y$ per example and a label $y^* \in \{0, 1\}$. The loss is the
# negative log-likelihood of a coin with probability $p$ of heads:
#
# $$P(y^* \mid p) = p^{y^*} (1 - p)^{1 - y^*} \quad\Rightarrow\quad
#   L = -\log P = -\big[\, y^* \log p + (1 - y^*) \log(1 - p) \,\big].$$
#
# **Document 001 prints it without the brackets**:
# $L = -\sum y^* \log y + (1 - y^*) \log (1 - y)$. The minus sign then only reaches the first
# term. Compare both with the definition $-\log P(y^* \mid p)$ on a grid of $p$:


# %%
def bce_correct(p, y):
    return -(y * p.log() + (1 - y) * (1 - p).log())


def bce_without_brackets(p, y):
    return -(y * p.log()) + (1 - y) * (1 - p).log()


def bce_definition(p, y):
    """-log of the Bernoulli likelihood p^y (1 - p)^(1 - y), computed directly."""
    return -((p**y) * ((1 - p) ** (1 - y))).log()


grid = f64(np.linspace(0.02, 0.98, 49), requires_grad=False)
table = {}
for label in (0.0, 1.0):
    y_star = minigrad.full(grid.shape, label, dtype=minigrad.float64)
    table[label] = {
        "definition": bce_definition(grid, y_star).numpy(),
        "with brackets": bce_correct(grid, y_star).numpy(),
        "without brackets": bce_without_brackets(grid, y_star).numpy(),
    }
    for name in ("with brackets", "without brackets"):
        gap = np.abs(table[label][name] - table[label]["definition"]).max()
        print(f"y* = {label:.0f}: {name:<17} differs from the definition by at most {gap:.3g}")

plt = viz.pyplot()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, label in zip(axes, (0.0, 1.0)):
    for name, style in (("definition", "-"), ("with brackets", "--"), ("without brackets", ":")):
        ax.plot(grid.numpy(), table[label][name], style, linewidth=2, label=name)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_title(f"label y* = {label:.0f}")
    ax.set_xlabel("predicted p")
    ax.legend()
axes[0].set_ylabel("loss")
viz.save_figure(fig, OUT / "bce_brackets.png")

# %% [markdown]
# For $y^* = 1$ the second term vanishes and the two agree. For $y^* = 0$ the bracket-less loss
# is $\log(1 - p)$: *negative*, and *smallest when $p \to 1$* — minimising it teaches the model
# to say "yes" to every negative example. The gradient tells the same story. On a logit $z$
# with $p = \sigma(z)$, the gradient of the true BCE is the famous $\sigma(z) - y^*$. A
# `Function` with the printed loss forward and that gradient backward fails gradcheck; with the
# bracketed loss it passes.


# %%
class PrintedBCEOnLogits(minigrad.Function):
    """The bracket-less loss on logits, with the BCE gradient σ(z) - y."""

    @staticmethod
    def forward(ctx, z, y):
        xp = ctx.xp
        p = 1 / (1 + xp.exp(-z))
        ctx.save_for_backward(p, y)
        return (-(y * xp.log(p)) + (1 - y) * xp.log(1 - p)).sum()

    @staticmethod
    def backward(ctx, grad):
        p, y = ctx.saved_tensors
        return grad * (p - y), None


class BCEOnLogits(minigrad.Function):
    """The bracketed loss on logits, with the BCE gradient σ(z) - y."""

    @staticmethod
    def forward(ctx, z, y):
        xp = ctx.xp
        p = 1 / (1 + xp.exp(-z))
        ctx.save_for_backward(p, y)
        return (-(y * xp.log(p) + (1 - y) * xp.log(1 - p))).sum()

    @staticmethod
    def backward(ctx, grad):
        p, y = ctx.saved_tensors
        return grad * (p - y), None


z = f64(rng.standard_normal(6))
y_binary = f64([0, 1, 0, 0, 1, 1], requires_grad=False)
printed_bce_passes = minigrad.gradcheck(
    lambda t: PrintedBCEOnLogits.apply(t, y_binary), z, raise_exception=False
)
bracketed_bce_passes = minigrad.gradcheck(lambda t: BCEOnLogits.apply(t, y_binary), z)
print(f"gradcheck, printed BCE with gradient σ(z) - y:   {printed_bce_passes}")
print(f"gradcheck, bracketed BCE with gradient σ(z) - y: {bracketed_bce_passes}")

# %% [markdown]
# gradcheck says the printed loss and the gradient $\sigma(z) - y^*$ disagree; it cannot say
# which of the two is wrong. Two things can. The definition: the bracketed loss *is*
# $-\log P(y^* \mid p)$ (the table above), the printed one is not. And the consequence: minimise
# each loss with autograd (nothing hand-written) for one *negative* example, $y^* = 0$, starting
# from $p = 0.5$. A loss is right if it teaches the model the label.
#
# **Predict, then run.** Where does $p$ end up under each loss: near 0, near 0.5, or near 1?


# %%
def fit_probability(loss_fn, label, steps=30, lr=1.0):
    """Gradient descent on one logit z (p = σ(z)) under loss_fn; returns the final p."""
    z = f64([0.0])  # p = σ(0) = 0.5
    y_star = f64([label], requires_grad=False)
    for _ in range(steps):
        z.grad = None
        loss_fn(z.sigmoid(), y_star).sum().backward()
        with minigrad.no_grad():
            z -= lr * z.grad
    return z.sigmoid().item()


p_after = {
    "with brackets": fit_probability(bce_correct, 0.0),
    "without brackets": fit_probability(bce_without_brackets, 0.0),
}
for name, p_final in p_after.items():
    print(f"label y* = 0, trained {name:<17}: p = {p_final:.4f}")

# %% [markdown]
# The bracketed loss drives $p$ to 0, the label. The printed one drives it to 1: its second
# term $+(1 - y^*)\log(1 - p)$ *rewards* a confident wrong answer. That decides it: the
# printed formula is wrong, and the gradient $\sigma(z) - y^*$ is the right loss's.
#
# **The stable form.** In practice the model outputs a logit $z$ and $p = \sigma(z)$. F3 also
# gives a form of the same loss written on the logit:
#
# $$L(z, y) = \max(z, 0) - z\,y + \log\big(1 + e^{-|z|}\big).$$
#
# **Predict, then run.** A model is confidently wrong: logit $z = 100$, label 0. The true loss
# is about 100. In float64 (16 significant digits), what does the bracketed formula on
# $p = \sigma(z)$ return: 100, a huge but finite number, or infinity?

# %%
extreme = f64([-100.0, -5.0, 0.0, 5.0, 100.0], requires_grad=False)
y_extreme = f64([1.0, 0.0, 1.0, 1.0, 0.0], requires_grad=False)
with np.errstate(divide="ignore", over="ignore"):
    naive = bce_correct(extreme.sigmoid(), y_extreme).numpy()
stable = (extreme.relu() - extreme * y_extreme + (1 + (-extreme.abs()).exp()).log()).numpy()
library = F.binary_cross_entropy_with_logits(extreme, y_extreme, reduction="none").numpy()
print("naive: ", naive)
print("stable:", stable)
print("F.binary_cross_entropy_with_logits:", library)

# %% [markdown]
# Infinity, at the last entry. $\sigma(100) = 1 - e^{-100}$ to about 44 digits, so in float64 it
# rounds to exactly 1, and $\log(1 - 1) = -\infty$: more precision would not help, the
# difference $1 - p$ is lost before the log sees it. The stable form never forms $1 - p$: it
# works with $z$ itself and takes the log only of $1 + e^{-|z|}$, a number between 1 and 2.
# (The first entry, $z = -100$ with label 1, survives: $\sigma(-100) \approx 4 \cdot 10^{-44}$
# is tiny but not zero in float64, and its log is $-100$.)

# %% [markdown]
# ## 4. The NSP loss of BERT (F14)
#
# BERT's next-sentence prediction (lesson 10) is a binary question: does sentence B follow
# sentence A? Its loss should be the BCE above with $y = 1$ for "B follows A".
#
# **Document 004 writes** $\mathcal L_\text{NSP} = -\frac1N \sum_i \big(\log p_i + \log(1 -
# p_i)\big)$. There is no label in it. Against the definition: the same prediction gets the
# same loss whatever the truth is.


# %%
def nsp_document(p):
    return -(p.log() + (1 - p).log()).mean()


def nsp_corrected(p, y):
    return bce_correct(p, y).mean()


p_example = f64([0.9], requires_grad=False)
nsp_values = {}
for truth in (0.0, 1.0):
    label_t = f64([truth], requires_grad=False)
    nsp_values[truth] = (
        nsp_document(p_example).item(),
        nsp_corrected(p_example, label_t).item(),
        bce_definition(p_example, label_t).item(),
    )
    print(
        f"p = 0.9, truth {truth:.0f}:  document {nsp_values[truth][0]:.4f}   "
        f"corrected {nsp_values[truth][1]:.4f}   definition {nsp_values[truth][2]:.4f}"
    )

# %% [markdown]
# Let us train the same logistic regression with both losses on a toy "is next" task (two
# features that separate the classes perfectly).
#
# **Predict, then run.** With the document's loss, what accuracy will the model reach: close
# to 100% (the task is easy), about 50%, or close to 0%? And where will its predictions $p$ end?

# %%
n_pairs = 200
features = rng.standard_normal((n_pairs, 2))
is_next = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(np.float64)
X_nsp = minigrad.tensor(features)
y_nsp = minigrad.tensor(is_next)
steps = 150 if FAST else 400


def train_nsp(loss_name):
    w = minigrad.zeros(2, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.zeros(1, dtype=minigrad.float64, requires_grad=True)
    optimizer = minigrad.optim.SGD([w, b], lr=0.5)
    history = []
    for _ in range(steps):
        p = (X_nsp @ w + b).sigmoid().clip(1e-7, 1 - 1e-7)
        loss = nsp_document(p) if loss_name == "document" else nsp_corrected(p, y_nsp)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        accuracy = (
            ((p.detach() > 0.5).astype(minigrad.float64) == y_nsp)
            .astype(minigrad.float64)
            .mean()
            .item()
        )
        history.append(accuracy)
    return history, p.detach().numpy()


nsp_runs = {name: train_nsp(name) for name in ("document", "corrected")}
for name, (history, p_final) in nsp_runs.items():
    print(
        f"{name:>9} NSP loss: accuracy {history[-1]:.1%}, predictions between "
        f"{p_final.min():.3f} and {p_final.max():.3f}"
    )
viz.plot_loss_curves(
    {name: run[0] for name, run in nsp_runs.items()},
    OUT / "nsp_accuracy.png",
    title="NSP accuracy while training",
    ylabel="accuracy",
)


class DocumentNSP(minigrad.Function):
    """The document's label-free NSP loss on logits, with the BCE gradient (p - y)/N."""

    @staticmethod
    def forward(ctx, z, y):
        xp = ctx.xp
        p = 1 / (1 + xp.exp(-z))
        ctx.save_for_backward(p, y)
        return -(xp.log(p) + xp.log(1 - p)).mean()

    @staticmethod
    def backward(ctx, grad):
        p, y = ctx.saved_tensors
        return grad * (p - y) / p.shape[0], None


z_nsp = f64(rng.standard_normal(5))
y5 = f64([1, 0, 0, 1, 1], requires_grad=False)
document_nsp_passes = minigrad.gradcheck(
    lambda t: DocumentNSP.apply(t, y5), z_nsp, raise_exception=False
)
corrected_nsp_passes = minigrad.gradcheck(
    lambda t: F.binary_cross_entropy_with_logits(t, y5), z_nsp
)
print("gradcheck, document NSP with the BCE gradient:", document_nsp_passes)
print("gradcheck, BCE on logits (the corrected NSP):  ", corrected_nsp_passes)

# %% [markdown]
# About 50%, a coin flip, with every prediction at 0.500. On a logit,
# $\frac{\partial}{\partial z}\big[-\log\sigma(z) - \log(1 - \sigma(z))\big] =
# 2\sigma(z) - 1$, zero at $p = 0.5$ for every example whatever its label: the document's loss
# pulls every prediction to 0.5 and never looks at the truth. The accuracy that remains says
# on which side of 0.5 the tiny leftovers happen to fall.

# %% [markdown]
# ## Summary of the audit
#
# * **F2**, the cross-entropy gradient. Printed: $1/\hat y - y/\hat y$; gradcheck fails.
#   Corrected: $-y/(N\hat y)$, and on logits $(\text{softmax}(z) - y)/N$.
# * **F3**, binary cross-entropy. Printed without brackets; differs from the definition
#   $-\log P(y^*\mid p)$ whenever $y^* = 0$, and trained on a negative example it drives $p$
#   to 1. Corrected: $-[y^*\log p + (1-y^*)\log(1-p)]$.
# * **F14**, the NSP loss. Printed without the label: the same loss for both labels, and it
#   trains every prediction to 0.5. Corrected: the BCE of F3 with $y = 1$ if B follows A.
#
# ## Your turn
#
# One logit $z = 0.3$ with label $y^* = 1$. Work out $\partial L/\partial z$ of the binary
# cross-entropy by hand (section 3 gives the formula), then compare with autograd. Our answer
# is filled in so that the lesson runs: delete it and write your own.

# %%
z_mine = f64([0.3])
F.binary_cross_entropy_with_logits(z_mine, f64([1.0], requires_grad=False)).backward()
my_dL_dz = 1 / (1 + np.exp(-0.3)) - 1.0  # <- delete this answer and write yours
print(f"dL/dz: autograd {z_mine.grad.item():.6f}, yours {my_dL_dz:.6f}")

# %% [markdown]
# ## Check yourself
#
# Three questions first; cover the answers.
#
# 1. The cross-entropy's gradient with respect to the probabilities is zero at every
#    non-target class; with respect to the logits it is not. Why?
#
#    *Answer:* raising any other logit lowers the target's probability, through the softmax's
#    denominator.
# 2. gradcheck fails for the printed BCE with the gradient $\sigma(z) - y^*$. Why can it not
#    tell which of the two is wrong?
#
#    *Answer:* it only finds that forward and backward disagree; the definition $-\log P$
#    decides which one is right.
# 3. Can a correctly written binary cross-entropy ever be negative?
#
#    *Answer:* no: it is $-\log$ of a probability, and a probability is at most 1.

# %%
assert mse_checked and np.allclose(pred.grad.numpy(), formula_grad)
assert not document_ce_passes and corrected_ce_passes and logits_ce_passes
assert np.allclose(logits.grad.numpy(), softmax_minus_y)
for label in (0.0, 1.0):
    assert np.allclose(table[label]["with brackets"], table[label]["definition"])
assert np.allclose(table[1.0]["without brackets"], table[1.0]["definition"])
assert not np.allclose(table[0.0]["without brackets"], table[0.0]["definition"])
assert np.all(table[0.0]["without brackets"] < 0), "a loss that can go below zero"
assert not printed_bce_passes and bracketed_bce_passes
assert p_after["with brackets"] < 0.05 and p_after["without brackets"] > 0.95
assert np.all(np.isfinite(stable)) and not np.all(np.isfinite(naive))
assert np.allclose(stable, library)
assert nsp_values[0.0][0] == nsp_values[1.0][0], "the document's NSP loss ignores the label"
assert nsp_values[0.0][1] != nsp_values[1.0][1]
assert all(np.isclose(v[1], v[2]) for v in nsp_values.values()), "corrected = definition"
assert nsp_runs["corrected"][0][-1] > 0.95
assert nsp_runs["document"][0][-1] < 0.8
assert np.abs(nsp_runs["document"][1] - 0.5).max() < 0.1, "the document's loss pulls p to 0.5"
assert not document_nsp_passes and corrected_nsp_passes
assert abs(z_mine.grad.item() - my_dL_dz) < 1e-9, "the BCE gradient on a logit is σ(z) - y"
assert naive[-1] == np.inf and stable[-1] == 100.0, "σ(100) rounds to 1: log(1 - 1) = -inf"
assert (OUT / "bce_brackets.png").stat().st_size > 1000
print("lesson 3: all checks passed")
