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
# **Predict, then step.** `minigrad.trace()` records the backward pass step by step, and
# `trace.compare(name, your_gradient)` checks a gradient you worked out against the one the
# engine computed. Before running the next cell, predict: which step of the backward pass
# turns the 100 per-example gradients of $b$ into one number? (Look for it in the printed
# trace: an *un-broadcast* row.) Then see what `compare` says about a classic slip, the
# forgotten 2 of the square's derivative.

# %%
w.grad = b.grad = None
with minigrad.trace(names={"w": w, "b": b}) as t:
    ((X @ w + b - y) ** 2).mean().backward()
print(next(step for step in t if step.kind == "un-broadcast"))
check_w = t.compare("w", [[grad_w_by_hand]])
check_b = t.compare("b", [grad_b_by_hand])
print(check_w)
forgot_the_2 = t.compare("b", [grad_b_by_hand / 2])
print(forgot_the_2)

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
# when $|1 - \alpha\lambda_{\max}| < 1$, that is when $\alpha < 2/\lambda_{\max}$.
#
# Which $\alpha$ is fastest? Every eigen-direction $i$ of $H$ shrinks by $|1 - \alpha\lambda_i|$
# per step, and the slowest direction decides. A small $\alpha$ leaves the flattest direction
# ($\lambda_{\min}$) crawling; a large one makes the steepest ($\lambda_{\max}$) bounce. The best
# fixed step makes the two extremes shrink equally fast,
# $1 - \alpha\lambda_{\min} = \alpha\lambda_{\max} - 1$:
#
# $$\alpha^* = \frac{2}{\lambda_{\max} + \lambda_{\min}}, \qquad
# \text{error} \times \frac{\kappa - 1}{\kappa + 1} \text{ per step}, \quad
# \kappa = \lambda_{\max}/\lambda_{\min}.$$
#
# The tempting rule of thumb $\alpha = 1/\lambda_{\max}$ kills the steepest direction in one step
# but shrinks the flattest only by $1 - 1/\kappa$ per step: slower, and the gap grows
# exponentially with the number of steps.
#
# **Predict, then run.** Here $\kappa \approx 19$. After 100 steps, how much further are the
# parameters $(w, b)$ from the optimum with $\alpha = 1/\lambda_{\max}$ than with $\alpha^*$: about
# the same, 3 times, or over 30 times? Write your guess down, then run the next cells.

# %%
A = np.concatenate([X.numpy(), np.ones((n, 1), dtype=np.float32)], axis=1).astype(np.float64)
hessian = 2 / n * A.T @ A
lambda_min, lambda_max = np.linalg.eigvalsh(hessian)  # ascending: the flattest, the steepest
kappa = lambda_max / lambda_min
best_params, *_ = np.linalg.lstsq(A, y.numpy().astype(np.float64), rcond=None)
best_loss = float(((A @ best_params - y.numpy()) ** 2).mean())
print(f"largest curvature {lambda_max:.3f}: diverges above lr = {2 / lambda_max:.3f}")
print(f"smallest curvature {lambda_min:.3f}: condition number kappa = {kappa:.2f}")
print(
    f"least-squares optimum: slope {best_params[0, 0]:.3f}, intercept "
    f"{best_params[1, 0]:.3f}, loss {best_loss:.4f}"
)

learning_rates = {
    "too small": 0.01 / lambda_max,
    "1/λmax": 1.0 / lambda_max,  # the rule of thumb
    "right": 2.0 / (lambda_max + lambda_min),  # the best fixed step, α*
    "too large": 2.1 / lambda_max,
}


def train(lr, steps, inputs=X):
    """Plain gradient descent; returns the losses and the (w, b) path."""
    w = minigrad.zeros(1, 1, requires_grad=True)
    b = minigrad.zeros(1, requires_grad=True)
    losses, path = [], []
    for _ in range(steps):
        loss = ((inputs @ w + b - y) ** 2).mean()
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


# %%
# The answer: the distance of (w, b) to the least-squares optimum after the last step, and what
# the contraction factors predict for it (the start, (0, 0), is the same for both).
def distance_to_optimum(name):
    return float(np.linalg.norm(runs[name][1][-1] - best_params[:, 0]))


start = float(np.linalg.norm(best_params))
for name, factor in (("1/λmax", 1 - 1 / kappa), ("right", (kappa - 1) / (kappa + 1))):
    print(
        f"lr {name:>6}: |θ - θ*| = {distance_to_optimum(name):.2e} after {STEPS} steps; "
        f"predicted at most {start * factor ** (STEPS - 1):.2e} ({factor:.3f} per step)"
    )
ratio = distance_to_optimum("1/λmax") / distance_to_optimum("right")
print(f"1/λmax is {ratio:.0f} times further from the optimum than α*")

# %% [markdown]
# ## 4. Too small, right, too large
#
# Left: how far the loss is above its minimum, per step (log scale). Too small creeps down;
# $1/\lambda_{\max}$ gets there but more slowly; $\alpha^*$ drops fastest (until float32's
# precision stops it); too large overshoots further at every step and blows up. Right: the
# converging runs as paths over the loss surface in the $(w, b)$ plane, around the optimum:
# $1/\lambda_{\max}$ jumps straight to the valley floor, then creeps along it; $\alpha^*$ zig-zags
# across the valley, each bounce smaller, and moves along it faster.

# %%
plt = viz.pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
# The loss above its minimum (log scale): every run ends near the same loss, so the distance to
# the minimum is what tells them apart. float32 stops it near 1e-8 of the loss.
viz.plot_loss_curves(
    {
        f"{k} (lr={learning_rates[k]:.3f})": np.maximum(np.array(v[0]) - best_loss, 1e-9)
        for k, v in runs.items()
    },
    ax=left,
    title="loss minus its minimum, during gradient descent",
    ylabel="loss - min loss",
    log_scale=True,
)


def mse_surface(w_grid, b_grid):
    predictions = X.numpy()[:, :, None] * w_grid.ravel() + b_grid.ravel()  # (n, 1, grid)
    return ((predictions - y.numpy()[:, :, None]) ** 2).mean(axis=(0, 1)).reshape(w_grid.shape)


# The divergent path (left panel) would cover the others here: the map shows the three that
# converge, around the optimum.
paths = {
    "too small": runs["too small"][1],
    "1/λmax": runs["1/λmax"][1],
    "right": runs["right"][1],
}
viz.plot_contours(
    mse_surface,
    (-0.3, 1.0),
    (-0.3, 0.6),
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
# ## 5. Why centre the inputs?
#
# The valley is long and thin ($\kappa \approx 19$) because the inputs sit around $x = 1.5$:
# tilting the line moves every prediction in the same direction as raising it, so $w$ and $b$
# pull against each other. Shift the inputs to mean zero, $x - \bar x$: the line and the best
# fit are the same (only the intercept changes its meaning), but the bowl changes shape.
#
# **Predict, then run.** With centred inputs and the best fixed step $\alpha^*$ of the new bowl,
# how many steps does gradient descent need to get within $10^{-4}$ of the optimum: about 100,
# about 10, or about 3?

# %%
X_centred = X - X.numpy().mean()
A_centred = A - [[X.numpy().mean(), 0.0]]  # the same design matrix, first column centred
lambda_min_c, lambda_max_c = np.linalg.eigvalsh(2 / n * A_centred.T @ A_centred)
best_centred, *_ = np.linalg.lstsq(A_centred, y.numpy().astype(np.float64), rcond=None)
_, path_centred, _, _ = train(2.0 / (lambda_max_c + lambda_min_c), 12, inputs=X_centred)
# path[k] is (w, b) after k steps, path[0] the start (0, 0)
distances_centred = np.linalg.norm(path_centred - best_centred[:, 0], axis=1)
steps_centred = int(np.argmax(distances_centred < 1e-4))  # the first step that is close enough
distances_offset = np.linalg.norm(runs["right"][1] - best_params[:, 0], axis=1)
steps_offset = int(np.argmax(distances_offset < 1e-4))
print(
    f"centred inputs: curvatures {lambda_min_c:.3f} and {lambda_max_c:.3f}, "
    f"kappa = {lambda_max_c / lambda_min_c:.2f}"
)
print("distance to the optimum per step:", " ".join(f"{d:.0e}" for d in distances_centred[:6]))
print(f"within 1e-4 after {steps_centred} steps; with x around 1.5, α* needed {steps_offset}")

# %% [markdown]
# About 3. Centred, the Hessian is diagonal, $H = 2\,\mathrm{diag}(\operatorname{Var}(x), 1)$:
# slope and intercept no longer interact, and with $\operatorname{Var}(x) \approx 0.93$ both
# directions are almost equally curved, $\kappa \approx 1.08$. A round bowl has its
# gradient pointing straight at the minimum, and one step of $\alpha^*$ almost lands there.
# That is why inputs are standardised before training, and, inside deep networks, why
# normalisation layers help (lesson 14).
#
# ## 6. The same step with `minigrad.optim.SGD`
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
#
# Three questions first; cover the answers.
#
# 1. You multiply every target $y$ by 10. Does the largest learning rate that converges change?
#
#    *Answer:* no: the Hessian $\frac2n A^\top A$ depends on the inputs only; the targets move
#    the minimum, not the curvature.
# 2. You multiply every input $x$ by 10 instead. What happens to $2/\lambda_{\max}$?
#
#    *Answer:* it shrinks about a hundredfold: the curvature along $w$ grows with $x^2$.
# 3. With $\alpha = 2.1/\lambda_{\max}$, by what factor does the error along the steepest
#    direction grow per step?
#
#    *Answer:* $|1 - 2.1| = 1.1$: each step overshoots the valley floor by a bit more.

# %%
assert abs(w.grad.item() - grad_w_by_hand) < 1e-4 and abs(b.grad.item() - grad_b_by_hand) < 1e-4
assert check_w and check_b and not forgot_the_2, "the trace agrees with the gradient by hand"
assert "factor" in str(forgot_the_2), "and names the slip"
small, right_run, large = (runs[k][0] for k in ("too small", "right", "too large"))
assert right_run[-1] < best_loss * 1.01, "the right learning rate reaches the optimum"
assert small[-1] < small[0] and small[-1] > 1.5 * best_loss, "too small: slow but going down"
assert large[-1] > large[0], "too large: the loss grows"
assert all(a >= b - 1e-6 for a, b in zip(right_run, right_run[1:])), "right: never rises"
assert 10 < kappa < 30, "an ill-conditioned bowl: κ about 19"
# The gap grows geometrically with the steps (about 5% per step here): 19x after 100 steps.
assert ratio > 1.03**STEPS, "α* = 2/(λmax + λmin) beats the rule of thumb 1/λmax"
assert distance_to_optimum("right") < 2 * start * ((kappa - 1) / (kappa + 1)) ** (STEPS - 1)
assert np.allclose([w_sgd.item(), b_sgd.item()], path_right[3], atol=1e-6)
assert lambda_max_c / lambda_min_c < 1.2, "centred inputs: a nearly round bowl"
assert 1 <= steps_centred <= 4, "centred inputs: within 1e-4 of the optimum in a few steps"
assert steps_offset > 50, "offset inputs: dozens of steps, even with the best fixed step"
assert (OUT / "learning_rates.png").stat().st_size > 1000
print("lesson 2: all checks passed")
