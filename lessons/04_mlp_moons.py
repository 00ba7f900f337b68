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


def draw_boundary(ax, probability, title):
    """The probability of class 1 on the grid (one colour scale, 0 to 1), its 0.5 line, the data."""
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
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


fig, axes = plt.subplots(1, len(snapshots), figsize=(3.6 * len(snapshots), 3.2))
for ax, (epoch, probability) in zip(axes, snapshots.items()):
    draw_boundary(ax, probability, f"epoch {epoch}")
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
# ## 5. How wide, how fast?
#
# The same training loop, wrapped in a function so that we can change one setting at a time:
# the same data, the same batches, the same number of epochs, the same seed.
#
# **Predict, then run.** With **one** hidden unit instead of 16, what validation accuracy will
# the network reach: about 50% (chance), about 85–90%, or about 99% like the 16-unit one? What
# will its boundary look like?


# %%
def train_mlp(hidden, lr):
    """A fresh MLP(hidden) trained with SGD(lr) for EPOCHS epochs: the model, its validation
    accuracy and its probability of class 1 on the grid."""
    minigrad.manual_seed(0)
    mlp = MLP(hidden)
    sgd = minigrad.optim.SGD(mlp.parameters(), lr=lr)
    batches = DataLoader(train_set, batch_size=32, shuffle=True, generator=0)
    for _ in range(EPOCHS):
        for xb, yb in batches:
            loss = F.binary_cross_entropy_with_logits(mlp(xb), yb)
            sgd.zero_grad()
            loss.backward()
            sgd.step()
    with minigrad.no_grad():
        accuracy = metrics.accuracy(y_val, mlp(X_val).sigmoid() > 0.5)
        on_grid = mlp(grid_points).sigmoid().numpy().reshape(grid.shape[:2])
    return mlp, accuracy, on_grid


one_unit, one_unit_accuracy, one_unit_grid = train_mlp(hidden=1, lr=3.0)
print(f"1 hidden unit: validation accuracy {one_unit_accuracy:.1%}")
print(f"16 hidden units: validation accuracy {val_accuracy[-1]:.1%}")

# %% [markdown]
# About 88%: far above chance, and a straight boundary. With one hidden unit the output is
# $\sigma(w_2\,\sigma(\mathbf w_1 \cdot x + b_1) + b_2)$, a monotone function of the single
# number $\mathbf w_1 \cdot x + b_1$; it crosses 0.5 where that number crosses one value, and
# that is a straight line, whatever the weights. A line already sorts most of the two moons;
# only the tips, where the moons reach into each other, are wrong. Each extra hidden unit adds
# one more line for the output layer to combine, and that is what bends the boundary.
#
# **Predict, then run.** Back to 16 units, with a learning rate 10 times smaller (0.3 instead
# of 3.0), for the same number of epochs. Does it reach the same boundary, just more
# carefully, or does it end somewhere else?

# %%
_, slow_accuracy, slow_grid = train_mlp(hidden=16, lr=0.3)
print(f"16 hidden units, lr 0.3: validation accuracy {slow_accuracy:.1%}")

fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained")
draw_boundary(axes[0], one_unit_grid, f"1 unit, lr 3.0: {one_unit_accuracy:.0%}")
draw_boundary(axes[1], slow_grid, f"16 units, lr 0.3: {slow_accuracy:.0%}")
draw_boundary(axes[2], snapshots[EPOCHS], f"16 units, lr 3.0: {val_accuracy[-1]:.0%}")
fig.suptitle(f"decision boundaries after {EPOCHS} epochs (validation accuracy)")
viz.save_figure(fig, OUT / "boundary_width_and_lr.png")

# %% [markdown]
# Somewhere else: a tilted, almost straight line, like the early snapshots of the 16-unit run
# in section 4. A smaller step is not a safer path to the same place, only a slower one: the
# weights travel about a tenth as far in the same number of epochs, and bending the boundary
# needs them to travel far from their small initial values (with sigmoid units, whose slope is
# at most 1/4, the gradients are small). Given about 10 times more epochs it would get there.
#
# ## 6. Precision, recall and F1 (F13)
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
# ## Your turn
#
# A lazy model answers "class 1" for every point. Before running the cell, work out its
# accuracy, precision and recall on the validation set from the fraction of class-1 points
# (printed below). Our answers are filled in so that the lesson runs: delete them and write
# your own.

# %%
lazy = minigrad.ones(y_val.shape[0]) > 0.5  # "class 1" everywhere
class_1_fraction = y_val.numpy().mean()
print(f"class 1 is {class_1_fraction:.1%} of the validation set")
my_lazy_scores = {  # <- delete these answers and write yours
    "accuracy": class_1_fraction,  # right exactly on the class-1 points
    "precision": class_1_fraction,  # of the points called 1 (all of them), the class-1 ones
    "recall": 1.0,  # every class-1 point was found
}
lazy_scores = {
    "accuracy": metrics.accuracy(y_val, lazy),
    "precision": metrics.precision(y_val, lazy),
    "recall": metrics.recall(y_val, lazy),
}
print("metrics:", {k: round(v, 3) for k, v in lazy_scores.items()})
print("yours:  ", {k: round(float(v), 3) for k, v in my_lazy_scores.items()})

# %% [markdown]
# ## Check yourself
#
# Three questions first; cover the answers.
#
# 1. Why can an MLP with one hidden unit only draw a straight boundary?
#
#    *Answer:* its output is a monotone function of one linear combination
#    $\mathbf w_1 \cdot x + b_1$, so its 0.5 level is a line.
# 2. The training loss keeps falling while the validation loss starts to rise. What is
#    happening, and which of the two tells you how good the model is?
#
#    *Answer:* it is memorising the training points (overfitting); the validation loss.
# 3. The lazy model of "Your turn" has a perfect recall. Why is recall alone never enough?
#
#    *Answer:* calling everything positive finds every positive; precision counts the cost.

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
# With one hidden unit the probability is monotone in w1 . x + b1: a straight boundary.
with minigrad.no_grad():
    pre_activation = one_unit.layer1(grid_points).numpy()[:, 0]
along = one_unit_grid.ravel()[np.argsort(pre_activation)]
assert np.all(np.diff(along) >= 0) or np.all(np.diff(along) <= 0), "one unit: one straight line"
assert 0.75 < one_unit_accuracy < val_accuracy[-1] - 0.05, "a line sorts most, not all, points"
assert slow_accuracy < val_accuracy[-1] - 0.04, "10 times smaller steps: not there yet"
for name, score in lazy_scores.items():
    assert abs(score - my_lazy_scores[name]) < 1e-6, f"the lazy model's {name}"
for name in (
    "boundary_evolution.png",
    "boundary_validation.png",
    "loss.png",
    "boundary_width_and_lr.png",
):
    assert (OUT / name).stat().st_size > 1000
print("lesson 4: all checks passed")
