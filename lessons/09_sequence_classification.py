# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 9 — Sequence classification: an LSTM against a Transformer
#
# **Formulas:** S1 (the documents' text classifier: Embedding → LSTM → Dense(1, sigmoid)), F3
# (binary cross-entropy), F13 (training loop; accuracy, precision, recall, F1), F12
#
# The documents classify film reviews and spam with an LSTM (S1). We give an LSTM and a small
# Transformer the same synthetic task, train both the same way, and compare them with the four
# metrics the documents name — and see why accuracy alone is not enough.

# %%
import os
import time

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import metrics, viz
from minigrad.data import DataLoader, TensorDataset
from minigrad.models import LSTMClassifier
from minigrad.nn.transformer import PositionalEmbedding, TransformerBlock

FAST = os.environ.get("MINIGRAD_FAST") == "1"
EPOCHS = 2 if FAST else 6
OUT = viz.lesson_output_dir("09_sequence_classification")
minigrad.manual_seed(0)

# %% [markdown]
# ## 1. The task
#
# A "sentence" is 16 tokens drawn from a vocabulary of 6. Token 1 stands for a positive word,
# token 2 for a negative one, the others are neutral. The label is 1 ("positive review") when
# the sentence has more positive than negative words. About 40% of the sentences are positive:
# the classes are not balanced.

# %%
VOCAB, LENGTH = 6, 16


def make_sentences(n, seed):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, VOCAB, (n, LENGTH))
    labels = ((tokens == 1).sum(axis=1) > (tokens == 2).sum(axis=1)).astype(np.float32)
    return minigrad.tensor(tokens), minigrad.tensor(labels)


X_train, y_train = make_sentences(2000, seed=0)
X_test, y_test = make_sentences(1000, seed=1)
print(f"train {X_train.shape}, test {X_test.shape}, positives {y_train.numpy().mean():.1%}")
print("example:", X_train[0].tolist(), "label", y_train[0].item())

# %% [markdown]
# ## 2. Metrics, and a baseline that fools accuracy (F13)
#
# Counting over the test set: TP = predicted positive and positive, FP = predicted positive but
# negative, FN = predicted negative but positive.
#
# $$\text{precision} = \frac{TP}{TP + FP},\qquad \text{recall} = \frac{TP}{TP + FN},\qquad
#   F_1 = \frac{2\,\text{precision}\cdot\text{recall}}{\text{precision} + \text{recall}}.$$
#
# A "model" that always answers *negative* has no true positives at all, yet scores the
# fraction of negatives as its accuracy:


# %%
def scores(y_true, y_pred):
    return {
        "accuracy": metrics.accuracy(y_true, y_pred),
        "precision": metrics.precision(y_true, y_pred),
        "recall": metrics.recall(y_true, y_pred),
        "F1": metrics.f1_score(y_true, y_pred),
    }


always_negative = np.zeros(len(y_test), dtype=np.int64)
baseline = scores(y_test, always_negative)
print("always negative:", {k: round(v, 3) for k, v in baseline.items()})

# %% [markdown]
# ## 3. The two models
#
# **LSTM (S1).** Reads the tokens one by one, updating a hidden state $h_t$ and a cell state
# $c_t$; the last $h$ is classified by one linear unit. (The documents use `LSTM(128)` on real
# text; 32 units are plenty here.) The sigmoid of S1's `Dense(1, sigmoid)` is inside the loss,
# `binary_cross_entropy_with_logits` — the stable form of F3. At each step $t$, from the
# input $x_t$ and the previous $h_{t-1}$, four gates (PyTorch's order and names; $\sigma$ the
# sigmoid, $\odot$ elementwise):
#
# $$\begin{aligned}
# i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) && \text{input gate}\\
# f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) && \text{forget gate}\\
# g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{candidate}\\
# o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) && \text{output gate}\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).
# \end{aligned}$$
#
# The cell $c_t$ is a running memory: with $f_t \approx 1$ and $i_t \approx 0$ it is carried
# unchanged from step to step (and so is its gradient), which is what lets an LSTM remember
# across many steps where a plain RNN's $h_t = \tanh(W x_t + U h_{t-1})$ forgets. `nn.LSTM`
# stores the four $W_{i\cdot}$ stacked as `weight_ih_l0` (4 × hidden rows, in the order
# $i, f, g, o$), the $W_{h\cdot}$ as `weight_hh_l0`; read `minigrad/nn/rnn.py`. The next cell
# computes the first step by hand and compares it with the layer.
#
# **Transformer.** Embeds every token with its position, lets all 16 attend to each other in one
# block (F8, F11, F12), averages the 16 vectors and classifies the average.


# %%
class TransformerClassifier(nn.Module):
    def __init__(self, d_model=32, n_heads=4):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d_model)
        self.position = PositionalEmbedding(LENGTH, d_model)
        self.block = TransformerBlock(d_model, n_heads, 2 * d_model, norm_first=True)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 1)

    def forward(self, tokens):
        h = self.norm(self.block(self.position(self.embed(tokens))))  # (N, T, d_model)
        return self.head(h.mean(axis=1))  # (N, 1): one logit per sentence


lstm_model = LSTMClassifier(VOCAB, embed_dim=16, hidden_size=32)
lstm = lstm_model.lstm
with minigrad.no_grad():
    x_seq = lstm_model.embedding(X_train[:4])  # (4 sentences, 16 steps, 16 features)
    output, _ = lstm(x_seq)  # (4, 16, 32): h_t after every step
    x1 = x_seq[:, 0]  # the first step's input; h_0 = c_0 = 0
    gates = x1 @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0  # (4, 4 * 32)
    i, f, g, o = gates.split(32, dim=-1)
    c1 = i.sigmoid() * g.tanh()  # f * c_0 vanishes: c_0 = 0
    h1 = o.sigmoid() * c1.tanh()
lstm_by_hand_error = float(np.abs(h1.numpy() - output[:, 0].numpy()).max())
print(f"h_1 by hand against nn.LSTM: largest difference {lstm_by_hand_error:.1e}")

models = {
    "LSTM": (lstm_model, 1e-2),
    "Transformer": (TransformerClassifier(), 3e-3),
}
for name, (model, _) in models.items():
    print(f"{name}: {model.num_parameters():,} parameters")

# %% [markdown]
# ## 4. Training both the same way
#
# Mini-batches of 64, Adam, binary cross-entropy on the logits.

# %%
history = {}
seconds = {}
for name, (model, lr) in models.items():
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True, generator=0)
    optimizer = minigrad.optim.Adam(model.parameters(), lr=lr)
    history[name] = []
    start = time.perf_counter()
    for _ in range(EPOCHS):
        for tokens, labels in loader:
            loss = F.binary_cross_entropy_with_logits(model(tokens).reshape(-1), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history[name].append(loss.item())
    seconds[name] = time.perf_counter() - start
    print(
        f"{name}: final loss {np.mean(history[name][-10:]):.4f}, {seconds[name]:.1f} s "
        f"({1000 * seconds[name] / len(history[name]):.0f} ms per step)"
    )

viz.plot_loss_curves(history, OUT / "loss.png", title="training loss (BCE)", log_scale=True)

# %% [markdown]
# Compare the milliseconds per step printed above. The LSTM's 16 time steps must run one after
# another (each needs the previous state): 16 small matrix products in a row. Attention handles
# all 16 positions at once in a few large ones. At this tiny size the two cost about the same;
# on long sequences and big batches on a GPU, where large products are cheap and a chain of
# small ones is not, this is the main practical reason Transformers replaced recurrent
# networks.
#
# ## 5. Evaluation

# %%
results = {"always negative": baseline}
matrices = {"always negative": metrics.confusion_matrix(y_test, always_negative, num_classes=2)}
for name, (model, _) in models.items():
    model.eval()
    with minigrad.no_grad():
        predicted = model(X_test).reshape(-1) > 0.0  # logit > 0  <=>  probability > 0.5
    results[name] = scores(y_test, predicted)
    matrices[name] = metrics.confusion_matrix(y_test, predicted, num_classes=2)

print(f"{'':<16}" + "".join(f"{k:>11}" for k in baseline))
for name, values in results.items():
    print(f"{name:<16}" + "".join(f"{v:>11.3f}" for v in values.values()))

plt = viz.pyplot()
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
for ax, (name, matrix) in zip(axes, matrices.items()):
    viz.plot_confusion_matrix(matrix, ax=ax, class_names=["neg", "pos"], title=name)
viz.save_figure(fig, OUT / "confusion_matrices.png")

# %% [markdown]
# The baseline's accuracy looks respectable, but its recall (and so F1) is 0: it never finds a
# positive sentence. Both networks find nearly all of them. On real text the documents report
# 90% train and 85% test accuracy for S1 on film reviews (000); the gap between the two is
# what a validation split is for.
#
# ## Check yourself

# %%
target = 0.8 if FAST else 0.9
assert baseline["recall"] == 0.0 and baseline["F1"] == 0.0
assert abs(baseline["accuracy"] - (1 - y_test.numpy().mean())) < 1e-9
for name in models:
    assert results[name]["accuracy"] > max(target, baseline["accuracy"] + 0.1), name
    assert results[name]["F1"] > target - 0.05, name
    assert np.mean(history[name][-10:]) < 0.5 * history[name][0], f"{name}: the loss fell"
    tn, fp, fn, tp = np.asarray(matrices[name]).ravel()
    assert abs(results[name]["precision"] - tp / (tp + fp)) < 1e-9
    assert abs(results[name]["recall"] - tp / (tp + fn)) < 1e-9
    assert tn + fp + fn + tp == len(y_test)
assert (OUT / "confusion_matrices.png").stat().st_size > 1000
assert lstm_by_hand_error < 1e-5, "the gate equations are what nn.LSTM computes"
print("lesson 9: all checks passed")
