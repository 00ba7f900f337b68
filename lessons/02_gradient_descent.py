# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 2 — Gradient descent on linear regression
#
# **Formulas:** F1 (mean squared error and its gradient), F4 (gradient descent), F13 (the
# training loop)
#
# We fit a straight line to noisy points by gradient descent, derive the gradient of the mean
# squared error by hand, check it against autograd, and then look at the one knob that decides
# whether gradient descent works at all: the learning rate.

# %%
import os

import numpy as np

import minigrad
from minigrad import viz
from minigrad.data import make_linear_regression

# Gradient descent on 100 points takes well under a second, so fast mode changes nothing here.
FAST = os.environ.get("MINIGRAD_FAST") == "1"
STEPS = 100
OUT = viz.lesson_output_dir("02_gradient_descent")
minigrad.manual_seed(0)

# %% [markdown]
# ## 1. Data and model
#
# 100 noisy points on a line. The model is a line with two parameters,
# $\hat y_i = w x_i + b$. We move the inputs to be centred at $x = 1.5$ rather than 0: that
# couples slope and intercept (tilt the line and the intercept must follow), which makes the
# problem more interesting to watch.

# %%
X, y, w_true = make_linear_regression(n_samples=100, n_features=1, noise=0.3, bias=1.0, seed=0)
X = X + 1.5
n = X.shape[0]
print(f"X {X.shape}, y {y.shape}, true slope {w_true.item():.3f}")

# %% [markdown]
# ## 2. The loss and its gradient (F1)
#
# $$\text{MSE}(y, \hat y) = \frac{1}{n}\sum_{i=1}^n (y_i - \hat y_i)^2, \qquad
#   \frac{\partial\,\text{MSE}}{\partial \hat y_i} = \frac{2}{n}(\hat y_i - y_i).$$
#
# With $\hat y_i = w x_i + b$ the chain rule gives the gradient for the parameters:
#
# $$\frac{\partial\,\text{MSE}}{\partial w} = \frac{2}{n}\sum_i (\hat y_i - y_i)\,x_i,
#   \qquad
#   \frac{\partial\,\text{MSE}}{\partial b} = \frac{2}{n}\sum_i (\hat y_i - y_i).$$

# %%
w = minigrad.zeros(1, 1, requires_grad=True)
b = minigrad.zeros(1, requires_grad=True)
pred = X @ w + b  # (100, 1)
loss = ((pred - y) ** 2).mean()
loss.backward()

residual = (pred - y).numpy()  # (100, 1)
grad_w_by_hand = 2 / n * (X.numpy() * residual).sum()
grad_b_by_hand = 2 / n * residual.sum()
print(f"dMSE/dw: autograd {w.grad.item():.6f}   by hand {grad_w_by_hand:.6f}")
print(f"dMSE/db: autograd {b.grad.item():.6f}   by hand {grad_b_by_hand:.6f}")

# %% [markdown]
# ## 3. Gradient descent (F4)
#
# $$\theta_{t+1} = \theta_t - \alpha\, \nabla_\theta J(\theta_t)$$
#
# Step against the gradient, scaled by the learning rate $\alpha$. The loop below is the whole
# training loop of F13 in its simplest form: forward, loss, backward, step, repeat.
#
# How large may $\alpha$ be? For a quadratic loss the answer is exact. The MSE of a linear
# model is a bowl whose curvature is the Hessian $H = \frac{2}{n} A^\top A$, with
# $A = [x\;\; 1]$. Along the most curved direction (the largest eigenvalue $\lambda_{\max}$ of
# $H$) one step multiplies the error by $1 - \alpha \lambda_{\max}$: gradient descent converges
# when $|1 - \alpha\lambda_{\max}| < 1$, that is when $\alpha < 2/\lambda_{\max}$, and is
# fastest near $\alpha = 1/\lambda_{\max}$.

# %%
A = np.concatenate([X.numpy(), np.ones((n, 1), dtype=np.float32)], axis=1).astype(np.float64)
hessian = 2 / n * A.T @ A
lambda_max = np.linalg.eigvalsh(hessian).max()
best_params, *_ = np.linalg.lstsq(A, y.numpy().astype(np.float64), rcond=None)
best_loss = float(((A @ best_params - y.numpy()) ** 2).mean())
print(f"largest curvature {lambda_max:.3f}: diverges above lr = {2 / lambda_max:.3f}")
print(
    f"least-squares optimum: slope {best_params[0, 0]:.3f}, intercept "
    f"{best_params[1, 0]:.3f}, loss {best_loss:.4f}"
)

learning_rates = {
    "too small": 0.01 / lambda_max,
    "right": 1.0 / lambda_max,
    "too large": 2.1 / lambda_max,
}


def train(lr, steps):
    """Plain gradient descent; returns the losses and the (w, b) path."""
    w = minigrad.zeros(1, 1, requires_grad=True)
    b = minigrad.zeros(1, requires_grad=True)
    losses, path = [], []
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
        w.grad = b.grad = None  # gradients accumulate across backward() calls
        loss.backward()
        losses.append(loss.item())
        path.append((w.item(), b.item()))
        with minigrad.no_grad():  # the update itself is not part of the model
            w -= lr * w.grad
            b -= lr * b.grad
    return losses, np.array(path), w, b


runs = {name: train(lr, STEPS) for name, lr in learning_rates.items()}
for name, (losses, _, w_fit, b_fit) in runs.items():
    print(
        f"lr {name:>9} ({learning_rates[name]:.3f}): loss {losses[0]:.3f} -> {losses[-1]:.4g}"
        f"   slope {w_fit.item():.3f}, intercept {b_fit.item():.3f}"
    )

# %% [markdown]
# ## 4. Too small, right, too large
#
# Left: the loss per step (log scale). Too small creeps down; right drops to the optimum in a
# few steps; too large overshoots further at every step and blows up. Right: the same three
# runs as paths over the loss surface in the $(w, b)$ plane.

# %%
plt = viz.pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
viz.plot_loss_curves(
    {f"{k} (lr={learning_rates[k]:.3f})": v[0] for k, v in runs.items()},
    ax=left,
    title="MSE during gradient descent",
    log_scale=True,
)
left.axhline(best_loss, color="grey", linestyle="--", linewidth=0.8)


def mse_surface(w_grid, b_grid):
    predictions = X.numpy()[:, :, None] * w_grid.ravel() + b_grid.ravel()  # (n, 1, grid)
    return ((predictions - y.numpy()[:, :, None]) ** 2).mean(axis=(0, 1)).reshape(w_grid.shape)


# The divergent path leaves the map after a few steps: draw only its first eight.
paths = {
    "too small": runs["too small"][1],
    "right": runs["right"][1],
    "too large": runs["too large"][1][:8],
}
viz.plot_contours(
    mse_surface,
    (-1.5, 2.5),
    (-2, 3),
    trajectories=paths,
    ax=right,
    title="paths in the (w, b) plane",
)
right.set_xlabel("w")
right.set_ylabel("b")
viz.save_figure(fig, OUT / "learning_rates.png")

fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(X.numpy()[:, 0], y.numpy()[:, 0], s=10, color="grey", label="data")
xs = np.linspace(X.numpy().min(), X.numpy().max(), 2)
for name in ("too small", "right"):
    _, _, w_fit, b_fit = runs[name]
    ax.plot(xs, w_fit.item() * xs + b_fit.item(), label=f"lr {name}")
ax.legend()
ax.set_title(f"fitted lines after {STEPS} steps")
viz.save_figure(fig, OUT / "fitted_lines.png")

# %% [markdown]
# ## 5. The same step with `minigrad.optim.SGD`
#
# Writing `p -= lr * p.grad` (inside `no_grad()`) by hand is what `SGD` does in `step()` (read
# `minigrad/optim/sgd.py`). From now on lessons use the optimiser classes.

# %%
w_sgd = minigrad.zeros(1, 1, requires_grad=True)
b_sgd = minigrad.zeros(1, requires_grad=True)
optimizer = minigrad.optim.SGD([w_sgd, b_sgd], lr=learning_rates["right"])
for _ in range(3):
    optimizer.zero_grad()
    ((X @ w_sgd + b_sgd - y) ** 2).mean().backward()
    optimizer.step()
_, path_right, _, _ = train(learning_rates["right"], 4)
print("after 3 SGD steps:", w_sgd.item(), b_sgd.item(), "  by hand:", path_right[3])

# %% [markdown]
# ## Check yourself

# %%
assert abs(w.grad.item() - grad_w_by_hand) < 1e-4 and abs(b.grad.item() - grad_b_by_hand) < 1e-4
small, right_run, large = (runs[k][0] for k in ("too small", "right", "too large"))
assert right_run[-1] < best_loss * 1.01, "the right learning rate reaches the optimum"
assert small[-1] < small[0] and small[-1] > 1.5 * best_loss, "too small: slow but going down"
assert large[-1] > large[0], "too large: the loss grows"
assert all(a >= b - 1e-6 for a, b in zip(right_run, right_run[1:])), "right: never rises"
assert np.allclose([w_sgd.item(), b_sgd.item()], path_right[3], atol=1e-6)
assert (OUT / "learning_rates.png").stat().st_size > 1000
print("lesson 2: all checks passed")
