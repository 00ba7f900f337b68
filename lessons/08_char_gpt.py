# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 8 — A character-level GPT
#
# **Formulas:** S4 (a Transformer for text generation, built from F8, F11, F12), S3 (text
# continuation, and its erratum), F2 (the loss), F5 (Adam)
#
# A language model reads a text one token at a time and predicts the next one. Here a token is
# a single character, and the text is Python source code: minigrad's built-in corpus is a fixed
# set of standard-library modules, so it is the same on every machine and needs no download.
# We train a small GPT for a minute, compare its samples before and after, and look inside its
# attention heads.

# %%
import math
import os

import numpy as np

import minigrad
from minigrad import viz
from minigrad.data import CharDataset, load_text_corpus
from minigrad.models import GPT

FAST = os.environ.get("MINIGRAD_FAST") == "1"
STEPS = 40 if FAST else 500
BLOCK = 64
BATCH = 32
OUT = viz.lesson_output_dir("08_char_gpt")
minigrad.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The corpus and the dataset
#
# The vocabulary is the set of characters in the text. A training example is a window of
# `BLOCK` characters $x$ and the same window shifted by one, $y$: at every position $t$ the
# target $y_t$ is the character that follows $x_0 \dots x_t$. So one window gives `BLOCK`
# predictions at once. The last 10% of the text is held out for validation.

# %%
text = load_text_corpus()
data = CharDataset(text, block_size=BLOCK)
split = int(0.9 * len(data))
print(f"{len(text):,} characters, vocabulary of {data.vocab_size}")
print(repr(text[1000:1200]))


def batch(low, high, size=BATCH, generator=rng):
    """Random windows starting in [low, high): (x, y), each int64 (size, BLOCK)."""
    return data.get_batch(generator.integers(low, high, size))


val_batches = [
    batch(split, len(data), generator=np.random.default_rng(100 + i))
    for i in range(2 if FAST else 6)
]

# %% [markdown]
# ## 2. The model (S4)
#
# $$\text{tokens} \to \text{embedding} + \text{position} \to
#   \underbrace{\text{TransformerBlock} \times L}_{\text{causal self-attention + FFN}}
#   \to \text{LayerNorm} \to \text{one logit per vocabulary entry}$$
#
# *Causal*: position $t$ may attend to positions $\le t$ only, so the model cannot peek at the
# character it must predict. The output layer has one unit per vocabulary entry — the
# documents' text generator (S3) ends in `Dense(1, softmax)`, a softmax over a single number,
# which is always 1 and can predict nothing. The loss is the cross-entropy (F2) of every
# position's prediction.
#
# **Predict, then run.** The vocabulary has 95 characters. What validation loss will the
# untrained model have, and what will a sample from it look like?

# %%
model = GPT(vocab_size=data.vocab_size, block_size=BLOCK, n_layer=2, n_head=4, d_model=64)
print(f"GPT with {model.num_parameters():,} parameters")


def validation_loss():
    model.eval()
    with minigrad.no_grad():
        losses = [model(x, targets=y)[1].item() for x, y in val_batches]
    model.train()
    return float(np.mean(losses))


def sample(length=200, prompt="def ", temperature=0.8, seed=0):
    minigrad.manual_seed(seed)  # the same random draws for every call: comparable samples
    ids = minigrad.tensor([data.encode(prompt)])
    return data.decode(model.generate(ids, max_new_tokens=length, temperature=temperature)[0])


loss_before = validation_loss()
sample_before = sample()
print(
    f"validation loss before training: {loss_before:.3f} (ln {data.vocab_size} = "
    f"{math.log(data.vocab_size):.3f})"
)
print("sample before training:\n" + sample_before)

# %% [markdown]
# The loss is close to $\ln 95 \approx 4.55$, the cross-entropy of a uniform guess: small
# random weights give logits near 0 and so nearly equal probabilities, $-\ln(1/95)$ per
# character. The sample is what a uniform guess writes: any of the 95 characters, equally
# often — letters, digits and punctuation in no order.

# %% [markdown]
# ## 3. Training
#
# Adam (F5) with a learning rate that decays along a cosine from $3\cdot10^{-3}$, and gradient
# clipping (a safety net against a rare huge step).

# %%
optimizer = minigrad.optim.Adam(model.parameters(), lr=3e-3)
schedule = minigrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS, eta_min=3e-4)
history = {"train": [], "validation": []}
val_steps = []
for step in range(STEPS):
    x, y = batch(0, split)
    _, loss = model(x, targets=y)
    optimizer.zero_grad()
    loss.backward()
    minigrad.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    history["train"].append(loss.item())
    if step % max(1, STEPS // 10) == 0 or step == STEPS - 1:
        val_steps.append(step)
        history["validation"].append(validation_loss())
        print(
            f"step {step:4d}  train {loss.item():.3f}  validation {history['validation'][-1]:.3f}"
        )

plt = viz.pyplot()
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(history["train"], alpha=0.6, label="train (one batch)")
ax.plot(val_steps, history["validation"], marker="o", label="validation")
ax.axhline(
    math.log(data.vocab_size), color="grey", linestyle="--", linewidth=0.8, label="uniform guess"
)
ax.set_xlabel("step")
ax.set_ylabel("cross-entropy (nats per character)")
ax.set_title("character-level GPT on Python source")
ax.legend()
viz.save_figure(fig, OUT / "loss.png")

# %% [markdown]
# ## 4. Samples after training
#
# Sampling draws each next character from the model's softmax; a *temperature* below 1
# sharpens it (safer, more repetitive), above 1 flattens it. The same seed as before, so the
# only difference is the training.

# %%
loss_after = validation_loss()
sample_after = sample()
print(f"validation loss after training: {loss_after:.3f}")
print("sample after training:\n" + sample_after)
(OUT / "samples.txt").write_text(
    f"--- before training ---\n{sample_before}\n\n--- after training ---\n{sample_after}\n",
    encoding="utf-8",
)

# %% [markdown]
# ## 5. Inside the attention heads
#
# `model.attention_weights(ids)` returns every block's attention weights. Each panel is one
# head: row $t$ shows where the character at position $t$ looked. Everything above the
# diagonal is zero (the causal mask). Trained heads specialise: some look at the previous
# character or two, some further back (to the start of a word, or to the indentation).
#
# **Predict, then run.** Block 2 reads the output of block 1, in which every character has
# already gathered information from its neighbours. On average, will block 2's heads look
# further back than block 1's, or less far?

# %%
snippet = "def f(self, x):\n    self.x"  # short: every character labelled legibly
snippet_ids = minigrad.tensor([data.encode(snippet)])
maps = model.attention_weights(snippet_ids)  # one (1, heads, T, T) tensor per block
labels = [{" ": "␣", "\n": "↵"}.get(ch, ch) for ch in snippet]  # visible spaces, newline
n_blocks, n_heads = len(maps), maps[0].shape[1]
fig, axes = plt.subplots(
    n_blocks,
    n_heads,
    figsize=(4.4 * n_heads + 1, 4.6 * n_blocks),
    sharex=True,
    sharey=True,
    layout="constrained",
)
for b in range(n_blocks):
    for h in range(n_heads):
        ax = axes[b][h]
        # Every panel on the same 0..1 scale, one colourbar for all of them.
        image = ax.imshow(maps[b][0, h].numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"block {b + 1}, head {h + 1}")
        ax.set_xticks(range(len(labels)), labels, fontsize=10)
        ax.set_yticks(range(len(labels)), labels, fontsize=10)
for ax in axes[-1]:
    ax.set_xlabel("key: the character looked at")
for ax in axes[:, 0]:
    ax.set_ylabel("query: the character looking")
fig.colorbar(image, ax=axes, shrink=0.6, label="attention weight")
viz.save_figure(fig, OUT / "attention_heads.png")

# How far back does each head look, on average? (0 = only at itself)
T = len(snippet)
distance = np.arange(T)[:, None] - np.arange(T)[None, :]  # row t, column j: t - j
look_back = []
for b in range(n_blocks):
    reach = [(maps[b][0, h].numpy() * distance).sum(axis=1).mean() for h in range(n_heads)]
    look_back.append(float(np.mean(reach)))
    print(f"block {b + 1}: mean look-back per head", np.round(reach, 1))

# %% [markdown]
# After training, block 1's heads look back about 3 characters on average and block 2's about
# 5: block 2 can afford to look further, because what it finds there has already been combined
# with its own neighbours by block 1. (In the 40-step fast run the heads have barely started
# to specialise, and this need not hold yet.)

# %% [markdown]
# ## Check yourself
#
# 1. Why must the attention be causal when the model is trained to predict the next character?
#    *Answer: otherwise position $t$ could read character $t + 1$, the answer itself, and the
#    model would learn to copy instead of predict.*
# 2. One window of 64 characters gives how many training predictions? *Answer: 64, one per
#    position, each with the characters before it as context.*
# 3. What does a temperature of 0.1 do to the samples, and why? *Answer: it divides the logits
#    by 0.1, so the softmax is nearly one-hot: almost always the most likely character, often
#    repeating itself.*

# %%
assert abs(loss_before - math.log(data.vocab_size)) < 0.3, "untrained = a uniform guess"
assert loss_after < loss_before - 1.0, "training lowered the validation loss"
assert loss_after < (3.3 if FAST else 2.4)
assert history["train"][-1] < history["train"][0]
assert sample_before.startswith("def ") and len(sample_after) == len("def ") + 200
assert sample() == sample_after, "the same seed gives the same sample"
for weights in maps:
    w = weights.numpy()[0]
    assert np.allclose(np.triu(w, k=1), 0.0), "causal: nothing above the diagonal"
    assert np.allclose(w.sum(axis=-1), 1.0, atol=1e-5)
if not FAST:  # 40 steps are too few for the heads to specialise
    assert look_back[1] > look_back[0], "the second block looks further back"
assert (OUT / "attention_heads.png").stat().st_size > 1000 and (OUT / "loss.png").exists()
print("lesson 8: all checks passed")
