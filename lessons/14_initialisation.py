# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 14 — Initialisation, activation statistics and BatchNorm
#
# **Formulas:** F7 (the MLP), F6 (tanh), F2 (the loss), F4 (SGD), F13 (initialise, then train);
# document 003's deep networks (why depth needs care)
#
# A deep network trains only if signals pass through it: forward, the activations must neither
# shrink to zero nor saturate the nonlinearity; backward, the gradients must neither vanish nor
# explode. Both depend on the scale of the initial weights. In this lesson we look inside a
# 5-layer tanh MLP at initialisation: the loss it starts from, the activations of every layer,
# their saturation, the gradients; we derive the Kaiming scale with its gain 5/3 for tanh; we
# watch the update-to-data ratio while it trains; and we see what BatchNorm changes.

# %%
import math
import os

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.data.text import load_text_corpus
from minigrad.tokenizers import CharTokenizer

FAST = os.environ.get("MINIGRAD_FAST") == "1"
STEPS = 150 if FAST else 1000
OUT = viz.lesson_output_dir("14_initialisation")
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The task: the next character of Python source
#
# From the 8 characters before it, predict the next one (makemore's MLP language model, on
# the standard library's source). The vocabulary $V$ is every character the text contains.

# %%
CONTEXT, EMBED, HIDDEN, LAYERS = 8, 10, 100, 5
text = load_text_corpus()
tokenizer = CharTokenizer(text, unk_token=None)
ids = np.array(tokenizer.encode(text), dtype=np.int64)
V = tokenizer.vocab_size
windows = np.lib.stride_tricks.sliding_window_view(ids, CONTEXT + 1)  # (n, 9), a view
print(f"{len(ids):,} characters, vocabulary V = {V}, {len(windows):,} examples")


def batch(size=64):
    rows = windows[rng.integers(0, len(windows), size)]
    return minigrad.tensor(rows[:, :CONTEXT]), minigrad.tensor(rows[:, CONTEXT])


# %% [markdown]
# ## 2. The model, with the initialisation in our hands
#
# Embedding → 5 × (Linear → [BatchNorm] → tanh) → Linear to $V$ logits. Each hidden weight
# matrix is drawn as $W \sim \mathcal N(0, 1) \cdot \text{gain} / \sqrt{\text{fan\_in}}$: we will
# vary the gain. The biases start at zero.


# %%
class MLP(nn.Module):
    def __init__(self, gain, batchnorm=False, last_scale=1.0):
        super().__init__()
        self.embedding = nn.Embedding(V, EMBED)
        sizes = [CONTEXT * EMBED] + [HIDDEN] * LAYERS
        self.linears = nn.ModuleList(
            [nn.Linear(n_in, n_out, bias=not batchnorm) for n_in, n_out in zip(sizes, sizes[1:])]
        )
        # With BatchNorm the bias is redundant: BN subtracts the mean, then adds its own beta.
        self.norms = nn.ModuleList(
            [nn.BatchNorm1d(HIDDEN) for _ in range(LAYERS)] if batchnorm else []
        )
        self.head = nn.Linear(HIDDEN, V)
        with minigrad.no_grad():
            for linear in self.linears:
                fan_in = linear.weight.shape[1]
                linear.weight.copy_(minigrad.randn(*linear.weight.shape) * gain / math.sqrt(fan_in))
                if linear.bias is not None:
                    linear.bias.zero_()
            self.head.weight.copy_(minigrad.randn(V, HIDDEN) * last_scale / math.sqrt(HIDDEN))
            self.head.bias.zero_()
        self.activations = []  # each hidden layer's tanh output, kept by forward for inspection

    def forward(self, x):  # x: (B, CONTEXT) character ids
        h = self.embedding(x).reshape(x.shape[0], -1)  # (B, CONTEXT * EMBED)
        self.activations = []
        for i, linear in enumerate(self.linears):
            h = linear(h)  # (B, HIDDEN)
            if self.norms:
                h = self.norms[i](h)
            h = h.tanh()
            if h.requires_grad:  # (not under no_grad)
                h.retain_grad()  # keep dL/dh too, to look at the gradients
            self.activations.append(h)
        return self.head(h)  # (B, V) logits


# %% [markdown]
# ## 3. The loss at initialisation
#
# Before training, the model knows nothing, so it should give every character the same
# probability $1/V$, and the loss should be $-\log(1/V) = \log V$.
#
# **Predict, then run.** With the head's weights drawn as plain $\mathcal N(0, 1)$ — what
# `randn(V, 100)` gives on a first attempt — will the first loss be about $\log V$, or much
# larger? And scaled by 0.01?

# %%
minigrad.manual_seed(0)
x0, y0 = batch(1000)
expected = math.log(V)
initial_loss = {}
NAIVE = math.sqrt(HIDDEN)  # the head is scaled by last_scale / sqrt(fan_in): this gives N(0, 1)
for last_scale in (NAIVE, 0.01):
    model = MLP(gain=5 / 3, last_scale=last_scale)
    with minigrad.no_grad():
        initial_loss[last_scale] = F.cross_entropy(model(x0), y0).item()
    first = initial_loss[last_scale]
    name = "N(0, 1)" if last_scale == NAIVE else "N(0, 1) * 0.01 / sqrt(100)"
    print(f"head {name:<27}: first loss {first:.3f}  (log V = {expected:.3f})")

# %% [markdown]
# A plain $\mathcal N(0, 1)$ head gives logits of several units with random signs: confidently
# wrong, and the first hundreds of steps are spent just shrinking them (the "hockey stick" of
# a loss curve). Scaling the last layer down makes the logits near zero, the probabilities
# near uniform and the loss $\log V$ from the start.
#
# ## 4. Activations: why a gain, and why 5/3
#
# A linear layer sums $\text{fan\_in}$ products $w_j x_j$. With independent zero-mean terms the
# variances add:
# $\operatorname{Var}(y) = \text{fan\_in}\cdot\operatorname{Var}(w)\operatorname{Var}(x)$.
# So $\operatorname{std}(w) = 1/\sqrt{\text{fan\_in}}$ keeps the scale of a *linear* network from
# layer to layer. But tanh squashes: $|\tanh z| < |z|$, so each layer shrinks the signal a
# little, and a gain above 1 makes up for it. Kaiming He et al. computed it for ReLU
# ($\sqrt 2$: ReLU zeroes half of its inputs); PyTorch's `nn.init.calculate_gain("tanh")` is
# $5/3$. Too large a gain pushes the pre-activations into tanh's flat tails: *saturation*, where
# $1 - \tanh^2 \approx 0$ blocks the gradient.
#
# **Predict, then run.** With gain 1, does the standard deviation of the activations grow,
# stay, or shrink from layer 1 to layer 5?

# %%
GAINS = {"0.5": 0.5, "1": 1.0, "5/3 (Kaiming, tanh)": 5 / 3, "3": 3.0}
stats = {}
for name, gain in GAINS.items():
    minigrad.manual_seed(0)
    model = MLP(gain=gain, last_scale=0.01)
    loss = F.cross_entropy(model(x0), y0)
    loss.backward()
    stats[name] = [
        {
            "values": h.numpy().ravel(),
            "std": float(h.numpy().std()),
            "saturated": float((np.abs(h.numpy()) > 0.97).mean()),
            "grad_std": float(h.grad.numpy().std()),
        }
        for h in model.activations
    ]
    row = "  ".join(
        f"L{i + 1} std {s['std']:.2f} sat {s['saturated']:4.0%}" for i, s in enumerate(stats[name])
    )
    print(f"gain {name:<20} {row}")
print(f"nn.init.calculate_gain('tanh') = {nn.init.calculate_gain('tanh'):.4f}")

# %%
plt = viz.pyplot()
fig, axes = plt.subplots(
    2, len(GAINS), figsize=(4 * len(GAINS), 6.4), sharex="row", layout="constrained"
)
for column, (name, layers) in enumerate(stats.items()):
    top, bottom = axes[0, column], axes[1, column]
    for i, layer in enumerate(layers):
        counts, edges = np.histogram(layer["values"], bins=50, range=(-1, 1), density=True)
        top.plot((edges[:-1] + edges[1:]) / 2, counts, label=f"layer {i + 1}")
    top.set_title(f"gain {name}: tanh outputs")
    top.set_xlabel("activation")
    bottom.bar(
        np.arange(1, LAYERS + 1), [layer["saturated"] * 100 for layer in layers], color="tab:red"
    )
    bottom.set_ylim(0, 100)
    bottom.set_xlabel("layer")
    bottom.set_title("saturated (|tanh| > 0.97)")
axes[0, 0].set_ylabel("density")
axes[1, 0].set_ylabel("% of units")
axes[0, 0].legend(fontsize=8)
viz.save_figure(fig, OUT / "activations_by_gain.png")

# %% [markdown]
# Gain 0.5 and 1: the distribution narrows layer after layer (with 0.5, layer 5 is almost all
# zeros: a nearly linear, nearly dead network). Gain 3: most units sit at ±1, saturated, and
# their local gradient $1 - \tanh^2$ is about zero. Gain 5/3 keeps every layer alike, with a
# few percent saturated (the first layer more: its inputs, the embeddings, have standard
# deviation 1, more than the tanh outputs the later layers receive). The gradients that reach
# each layer tell the same story:

# %%
for name, layers in stats.items():
    grads = "  ".join(f"L{i + 1} {layer['grad_std']:.1e}" for i, layer in enumerate(layers))
    print(f"gain {name:<20} std of dL/dh: {grads}")

# %% [markdown]
# ## 5. Training: the update-to-data ratio
#
# How fast is a layer learning? Not the size of its gradient, but how much each step changes its
# weights *relative to their size*: $\log_{10}\big(\text{std}(\text{lr} \cdot \nabla W) /
# \text{std}(W)\big)$. Around $-3$ (each step changes a thousandth of the weights) is a
# healthy rule of thumb: much lower, the layer barely learns; much higher, it thrashes. We
# train the Kaiming-initialised network with plain SGD and record it for every layer.


# %%
def train(model, steps, lr=0.1):
    optimizer = minigrad.optim.SGD(model.parameters(), lr=lr)
    losses, ratios = [], []
    for _ in range(steps):
        xb, yb = batch()
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        with minigrad.no_grad():
            ratios.append(
                [
                    math.log10(
                        (lr * linear.weight.grad).numpy().std() / linear.weight.numpy().std()
                    )
                    for linear in model.linears
                ]
            )
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), np.array(ratios)


minigrad.manual_seed(0)
runs = {}
for name, gain, batchnorm in (
    ("gain 5/3", 5 / 3, False),
    ("gain 0.5", 0.5, False),
    ("gain 0.5 + BatchNorm", 0.5, True),
):
    minigrad.manual_seed(0)
    model = MLP(gain=gain, batchnorm=batchnorm, last_scale=0.01)
    losses, ratios = train(model, STEPS)
    runs[name] = (losses, ratios, model)
    print(f"{name:<22} loss {losses[:20].mean():.3f} -> {losses[-100:].mean():.3f}")

# %% [markdown]
# ## 6. What BatchNorm changes
#
# BatchNorm (F12's cousin, over the batch instead of the features) standardises each unit's
# pre-activation over the batch, then scales and shifts it with learned $\gamma, \beta$. Whatever
# the weights' scale, every tanh receives inputs of mean 0 and standard deviation 1 (times
# $\gamma$, which starts at 1): the careful gain matters much less. Its price: in training each
# example's output depends on the rest of its batch, and at evaluation it uses running averages
# instead (lesson 12). Below: the activations of the badly initialised network (gain 0.5) with
# BatchNorm, at the end of training, next to the loss curves and the update ratios.

# %%
bn_model = runs["gain 0.5 + BatchNorm"][2]
with minigrad.no_grad():
    bn_model(x0)
bn_std = [float(h.numpy().std()) for h in bn_model.activations]
print("gain 0.5 + BatchNorm, activation std per layer:", [f"{s:.2f}" for s in bn_std])

fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
window = 25 if FAST else 100
for name, (losses, _, _) in runs.items():
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    left.plot(smooth, label=name)
left.axhline(expected, color="grey", linewidth=0.8, linestyle="--", label="log V (uniform)")
left.set_xlabel("step")
left.set_ylabel(f"loss (mean of {window} steps)")
left.set_title("training")
left.legend()
for i in range(LAYERS):
    middle.plot(runs["gain 5/3"][1][:, i], label=f"layer {i + 1}")
middle.axhline(-3, color="black", linestyle="--", linewidth=0.8)
middle.set_title("gain 5/3: log10(update / weight)")
middle.set_xlabel("step")
middle.legend(fontsize=8)
for i in range(LAYERS):
    right.plot(runs["gain 0.5"][1][:, i], label=f"layer {i + 1}")
right.axhline(-3, color="black", linestyle="--", linewidth=0.8)
right.set_title("gain 0.5: log10(update / weight)")
right.set_xlabel("step")
for ax in (middle, right):  # the same scale side by side
    ax.set_ylim(-4.5, -1.5)
viz.save_figure(fig, OUT / "training_and_update_ratios.png")

# %% [markdown]
# With gain 0.5 every update ratio starts one to two orders of magnitude below $-3$: the
# gradients are tiny (they shrink on the way down through the narrow activations), so for many
# steps the network hardly changes, and its loss falls later and more slowly.
# BatchNorm rescues the same bad initialisation. Modern networks combine both: a sensible
# initialisation *and* a normalisation layer (LayerNorm in Transformers, lesson 7).
#
# ## Your turn
#
# A linear layer (no nonlinearity) with $\text{fan\_in} = 400$ receives inputs of standard
# deviation 1. Which standard deviation of the weights keeps its outputs at standard deviation
# 1? Work it out from section 4's variance rule, then measure. Our answer is filled in so that
# the lesson runs: delete it and write your own.

# %%
my_weight_std = 1 / math.sqrt(400)  # <- delete this answer and write yours
minigrad.manual_seed(0)
inputs = minigrad.randn(2000, 400)
weights = minigrad.randn(400, 300) * my_weight_std
output_std = float((inputs @ weights).numpy().std())
print(f"weights of std {my_weight_std:.4f}: outputs of std {output_std:.3f}")

# %% [markdown]
# ## Check yourself
#
# Three questions first; cover the answers.
#
# 1. A model with a vocabulary of 100 characters starts training at a loss of 12. What does
#    that tell you?
#
#    *Answer:* it starts confidently wrong ($\log 100 \approx 4.6$): the last layer's logits
#    are too large; scale its weights down.
# 2. Why is the gain $\sqrt 2$ for ReLU and about $5/3$ for tanh?
#
#    *Answer:* each makes up for the variance its nonlinearity removes: ReLU zeroes half of
#    its inputs (it keeps $1/2$ of $E[z^2]$); tanh flattens everything beyond about $\pm 1$
#    (it keeps about $0.39$ for $z \sim \mathcal N(0, 1)$, and $1/\sqrt{0.39} \approx 1.6$).
# 3. A Linear layer followed by BatchNorm: why is the Linear's bias useless?
#
#    *Answer:* BatchNorm subtracts the batch mean, which removes any constant added before
#    it; its own $\beta$ takes the bias's place.

# %%
assert abs(initial_loss[0.01] - expected) < 0.05, "a small head starts at log V"
assert initial_loss[NAIVE] > expected + 2, "an N(0, 1) head starts confidently wrong"
small, unit, kaiming, large = (stats[name] for name in GAINS)
assert small[-1]["std"] < 0.3 * small[0]["std"], "gain 0.5: the activations shrink"
assert unit[-1]["std"] < unit[0]["std"], "gain 1: they shrink too, more slowly"
assert 0.5 < kaiming[-1]["std"] / kaiming[0]["std"] < 1.5, "gain 5/3: about the same"
assert large[-1]["saturated"] > 0.3 and kaiming[-1]["saturated"] < 0.15, "gain 3 saturates"
assert abs(nn.init.calculate_gain("tanh") - 5 / 3) < 1e-12
kaiming_losses, kaiming_ratios, _ = runs["gain 5/3"]
assert kaiming_losses[-100:].mean() < expected - 0.8, "it learns"
assert -4 < np.median(kaiming_ratios[-100:]) < -2, "update/data ratio near 1e-3"
small_ratios = runs["gain 0.5"][1]
assert np.median(small_ratios[:10]) < np.median(kaiming_ratios[:10]) - 0.5, "a slow start"
small_losses = runs["gain 0.5"][0]
bn_losses = runs["gain 0.5 + BatchNorm"][0]
if not FAST:  # 150 steps are too few to tell the two apart
    assert bn_losses[-100:].mean() < small_losses[-100:].mean(), "BatchNorm rescues a bad init"
assert min(bn_std) > 0.3, "with BatchNorm no layer's activations collapse"
assert (OUT / "activations_by_gain.png").stat().st_size > 1000
assert abs(output_std - 1) < 0.05, "std(w) = 1/sqrt(fan_in) keeps a linear layer's scale"
print("lesson 14: all checks passed")
