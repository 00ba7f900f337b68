# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 4 — A multi-layer perceptron on two moons
#
# **Formulas:** F7 (the MLP), F3 (binary cross-entropy), F6 (sigmoid), F13 (the training loop:
# mini-batches, a validation split, accuracy)
#
# A straight line cannot separate two interleaving half-moons. One hidden layer can: it bends
# the plane until a line does the job. We train the MLP of F7 with the loss of F3 and watch the
# decision boundary take shape.

# %%
import os

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import metrics, viz
from minigrad.data import DataLoader, TensorDataset, make_moons, random_split

FAST = os.environ.get("MINIGRAD_FAST") == "1"
EPOCHS = 80 if FAST else 200
OUT = viz.lesson_output_dir("04_mlp_moons")
minigrad.manual_seed(0)

# %% [markdown]
# ## 1. Data: a training set and a validation set (F13)
#
# 400 noisy points; 80% to learn from, 20% held out to measure how well the model does on
# points it never saw.

# %%
X, y = make_moons(n_samples=400, noise=0.15, seed=0)
y = y.astype(minigrad.float32)  # BCE compares probabilities with 0.0 / 1.0
train_set, val_set = random_split(TensorDataset(X, y), [0.8, 0.2], generator=0)
X_train, y_train = train_set[:]
X_val, y_val = val_set[:]
print(f"train {X_train.shape}, validation {X_val.shape}, class balance {y.numpy().mean():.2f}")

# %% [markdown]
# ## 2. The model (F7)
#
# The document writes the MLP with column vectors:
#
# $$\hat y = \sigma\big(W_2\, \sigma(W_1 x + b_1) + b_2\big).$$
#
# `nn.Linear` stores $W$ with shape (out, in) and computes $x W^\top + b$ for a *row* $x$ —
# the transpose of the same thing, so that a whole batch (one example per row) goes through
# in one matrix product. $\sigma$ is the sigmoid (F6) in both layers, as in F7.
#
# **`nn.Module`** is a container that remembers its parameters. Each `nn.Linear` assigned to an
# attribute in `__init__` is registered, so `model.parameters()` yields $W_1, b_1, W_2, b_2$ —
# the same kind of tensors with `requires_grad=True` that lesson 2 made by hand — and calling
# `model(x)` runs `forward`. Nothing else happens behind the scenes (read
# `minigrad/nn/module.py`).
#
# The model returns the *logit* $z = W_2 h + b_2$, not $\hat y = \sigma(z)$: the loss below
# applies the last sigmoid itself, in the stable form of lesson 3.


# %%
class MLP(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.layer1 = nn.Linear(2, hidden)  # W1: (hidden, 2), b1: (hidden,)
        self.layer2 = nn.Linear(hidden, 1)  # W2: (1, hidden), b2: (1,)

    def forward(self, x):
        h = self.layer1(x).sigmoid()  # (batch, hidden)
        return self.layer2(h).reshape(-1)  # (batch,): one logit per row; σ(logit) = ŷ


model = MLP()
print(model)
print(f"{model.num_parameters()} parameters")

# %% [markdown]
# ## 3. The loss (F3) and the training loop (F13)
#
# $$L = -\frac1n \sum_i \big[ y_i \log \hat y_i + (1 - y_i) \log (1 - \hat y_i) \big]$$
#
# (mind the brackets — lesson 3). With $\hat y = \sigma(z)$ this is exactly
# `F.binary_cross_entropy_with_logits(z, y)`, lesson 3's stable form: it never takes the log
# of a probability that rounded to 0 or 1.
#
# Each epoch walks through the training set in shuffled mini-batches of 32 ("batch learning"):
# forward, loss, backward, step. **`DataLoader`** does the batching: each epoch it shuffles the
# example indices and yields `(xb, yb)` 32 rows at a time — the same as
# `perm = minigrad.randperm(n)` then `idx = perm[i:i + 32]` for `i = 0, 32, 64, ...`.
# **`optim.SGD`** does lesson 2's step `p -= lr * p.grad` for every parameter (`step()`) and
# clears the gradients (`zero_grad()`). Sigmoid units pass on at most a quarter of the gradient
# ($\sigma' \le 1/4$), so the gradients are small and the learning rate is large (3.0); lesson 5
# shows optimisers that pick their steps better. We keep a copy of the model's predictions at a
# few epochs to draw the boundary as it evolves.

# %%
loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=0)
optimizer = minigrad.optim.SGD(model.parameters(), lr=3.0)
snapshot_epochs = sorted({0, EPOCHS // 10, EPOCHS // 2, EPOCHS * 3 // 4, EPOCHS})
snapshots = {}
grid = np.stack(np.meshgrid(np.linspace(-1.6, 2.6, 120), np.linspace(-1.1, 1.6, 120)), -1)
grid_points = minigrad.tensor(grid.reshape(-1, 2).astype(np.float32))
history = {"train loss": [], "validation loss": []}
val_accuracy = []


def predict(points):
    """The probability of class 1 for each point: σ(logit)."""
    with minigrad.no_grad():
        return model(points).sigmoid()


for epoch in range(EPOCHS + 1):
    if epoch in snapshot_epochs:
        snapshots[epoch] = predict(grid_points).numpy().reshape(grid.shape[:2])
    if epoch == EPOCHS:
        break
    losses = []
    for xb, yb in loader:
        loss = F.binary_cross_entropy_with_logits(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    history["train loss"].append(float(np.mean(losses)))
    p_val = predict(X_val)
    history["validation loss"].append(F.binary_cross_entropy(p_val, y_val).item())
    val_accuracy.append(metrics.accuracy(y_val, p_val > 0.5))
    if epoch % max(1, EPOCHS // 5) == 0 or epoch == EPOCHS - 1:
        print(
            f"epoch {epoch:3d}  train loss {history['train loss'][-1]:.4f}  "
            f"validation loss {history['validation loss'][-1]:.4f}  "
            f"accuracy {val_accuracy[-1]:.1%}"
        )

# %% [markdown]
# ## 4. The decision boundary as it evolves
#
# Colour: the predicted probability of class 1; black line: where it crosses 0.5. At epoch 0
# the random network predicts about 0.5 everywhere; then a tilted line appears, and finally
# the line bends around the moons.

# %%
plt = viz.pyplot()
fig, axes = plt.subplots(1, len(snapshots), figsize=(3.6 * len(snapshots), 3.2))
for ax, (epoch, probability) in zip(axes, snapshots.items()):
    ax.contourf(
        grid[..., 0],
        grid[..., 1],
        probability,
        levels=np.linspace(0, 1, 11),
        cmap="RdBu_r",
        alpha=0.6,
    )
    ax.contour(grid[..., 0], grid[..., 1], probability, levels=[0.5], colors="black")
    ax.scatter(
        X_train.numpy()[:, 0],
        X_train.numpy()[:, 1],
        c=y_train.numpy(),
        cmap="RdBu_r",
        s=8,
        edgecolors="black",
        linewidths=0.3,
    )
    ax.set_title(f"epoch {epoch}")
    ax.set_xticks([])
    ax.set_yticks([])
viz.save_figure(fig, OUT / "boundary_evolution.png")

viz.plot_decision_boundary(
    predict,
    X_val,
    y_val,
    OUT / "boundary_validation.png",
    title=f"validation set, accuracy {val_accuracy[-1]:.1%}",
)
viz.plot_loss_curves(history, OUT / "loss.png", xlabel="epoch", title="binary cross-entropy")

# %% [markdown]
# ## 5. Precision, recall and F1 (F13)
#
# Accuracy counts all mistakes alike. Precision asks "of the points called class 1, how many
# are?", recall "of the class-1 points, how many did we find?", and F1 is their harmonic mean
# (`minigrad.metrics`).

# %%
predicted = predict(X_val) > 0.5
scores = {
    "accuracy": metrics.accuracy(y_val, predicted),
    "precision": metrics.precision(y_val, predicted),
    "recall": metrics.recall(y_val, predicted),
    "F1": metrics.f1_score(y_val, predicted),
}
print({k: round(v, 3) for k, v in scores.items()})
print(metrics.confusion_matrix(y_val, predicted))

# %% [markdown]
# ## Check yourself

# %%
target_accuracy = 0.85 if FAST else 0.95
assert val_accuracy[-1] >= target_accuracy, val_accuracy[-1]
assert history["train loss"][-1] < 0.6 * history["train loss"][0], "the loss fell"
assert abs(snapshots[0] - 0.5).max() < 0.3, "an untrained network is unsure everywhere"
assert min(scores.values()) > target_accuracy - 0.1
x_check = minigrad.tensor(X_val.numpy()[:5].astype(np.float64), requires_grad=True)
model_64 = MLP().double()
assert minigrad.gradcheck(lambda x: model_64(x), x_check), "the MLP's gradients are right"
z = model(X_val)  # the stable loss on logits is F3 on the probabilities, to float32 precision
stable = F.binary_cross_entropy_with_logits(z, y_val).item()
assert abs(stable - F.binary_cross_entropy(z.sigmoid(), y_val).item()) < 1e-4
for name in ("boundary_evolution.png", "boundary_validation.png", "loss.png"):
    assert (OUT / name).stat().st_size > 1000
print("lesson 4: all checks passed")
