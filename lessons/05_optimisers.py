# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 5 — Optimisers: SGD, momentum and Adam
#
# **Formulas:** F4 (gradient descent), F5 (SGD and Adam)
#
# Plain gradient descent (F4) takes a step of the same size relative to the gradient in every
# direction. On a long narrow valley that is a bad idea: the step that is safe across the
# valley is tiny along it. Momentum and Adam are two fixes. We watch all three on two
# two-dimensional functions, where the whole path fits on one picture.

# %%
import os

import numpy as np

import minigrad
from minigrad import viz

FAST = os.environ.get("MINIGRAD_FAST") == "1"
VALLEY_STEPS = 60
ROSENBROCK_STEPS = 2000 if FAST else 3000
OUT = viz.lesson_output_dir("05_optimisers")

# %% [markdown]
# ## 1. The optimisers (F5)
#
# With $g_t = \nabla f(\theta_t)$ and learning rate $\alpha$:
#
# * **SGD** (F4): $\theta \leftarrow \theta - \alpha g$.
# * **SGD with momentum** $\beta$: a velocity accumulates past gradients,
#   $v \leftarrow \beta v + g,\ \theta \leftarrow \theta - \alpha v$. Along a valley the
#   gradients agree and the velocity grows (up to $1/(1-\beta)$ times); across it they
#   alternate in sign and cancel.
# * **Adam** (Kingma & Ba 2015, as F5 writes it out):
#
# $$m \leftarrow \beta_1 m + (1-\beta_1) g,\qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2,$$
# $$\hat m = \frac{m}{1-\beta_1^t},\qquad \hat v = \frac{v}{1-\beta_2^t},\qquad
#   \theta \leftarrow \theta - \alpha \frac{\hat m}{\sqrt{\hat v} + \varepsilon}.$$
#
# Dividing by $\sqrt{\hat v}$ (the typical size of the recent gradients) gives every
# coordinate a step of about $\alpha$, however steep or flat the loss is in that direction.
# The corrections $1 - \beta^t$ undo the bias of starting $m$ and $v$ at zero.
#
# First, Adam by hand, checked against `minigrad.optim.Adam` on a few steps.


# %%
def rosenbrock(p):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2: a curved valley with its minimum at (1, 1)."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def adam_by_hand(start, lr, steps, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = minigrad.tensor(start, dtype=minigrad.float64, requires_grad=True)
    m = minigrad.zeros(2, dtype=minigrad.float64)  # running mean of the gradient
    v = minigrad.zeros(2, dtype=minigrad.float64)  # running mean of its square
    for t in range(1, steps + 1):
        theta.grad = None
        rosenbrock(theta).backward()
        g = theta.grad
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        with minigrad.no_grad():
            theta -= lr * m_hat / (v_hat.sqrt() + eps)
    return theta.numpy()


def run(make_optimizer, f, start, steps):
    """Minimise f from start; return the path (steps + 1, 2) and the losses."""
    theta = minigrad.tensor(start, dtype=minigrad.float64, requires_grad=True)
    optimizer = make_optimizer([theta])
    path, losses = [theta.numpy().copy()], []
    for _ in range(steps):
        loss = f(theta)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        path.append(theta.numpy().copy())
    return np.array(path), losses


by_hand = adam_by_hand([-1.2, 1.0], lr=0.05, steps=20)
library_path, _ = run(lambda ps: minigrad.optim.Adam(ps, lr=0.05), rosenbrock, [-1.2, 1.0], 20)
print("Adam by hand after 20 steps:     ", by_hand)
print("minigrad.optim.Adam after 20 steps:", library_path[-1])

# %% [markdown]
# ## 2. An ill-conditioned valley
#
# $$f(x, y) = 0.05\,x^2 + 2\,y^2$$
#
# The curvature is 0.1 along $x$ and 4 along $y$: a *condition number* of 40. Gradient descent
# is stable only for $\alpha < 2/4 = 0.5$ (lesson 2), and with $\alpha = 0.45$ it zig-zags
# across the valley while creeping along it ($x$ shrinks by only $1 - 0.45 \cdot 0.1$ per
# step). All three start at $(-9, 2)$.


# %%
def valley(p):
    return 0.05 * p[0] ** 2 + 2 * p[1] ** 2


def valley_numpy(x, y):
    return 0.05 * x**2 + 2 * y**2


optimizers = {
    "SGD lr=0.45": lambda ps: minigrad.optim.SGD(ps, lr=0.45),
    "momentum 0.7, lr=0.45": lambda ps: minigrad.optim.SGD(ps, lr=0.45, momentum=0.7),
    "Adam lr=0.5": lambda ps: minigrad.optim.Adam(ps, lr=0.5),
}
valley_runs = {
    name: run(make, valley, [-9.0, 2.0], VALLEY_STEPS) for name, make in optimizers.items()
}
for name, (_, losses) in valley_runs.items():
    print(f"valley, {name:<22} loss after {VALLEY_STEPS} steps: {losses[-1]:.2e}")

plt = viz.pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
viz.plot_contours(
    valley_numpy,
    (-10, 2),
    (-3, 3),
    {k: v[0] for k, v in valley_runs.items()},
    ax=left,
    title="f(x, y) = 0.05 x² + 2 y²",
)
viz.plot_loss_curves(
    {k: v[1] for k, v in valley_runs.items()}, ax=right, log_scale=True, title="loss on the valley"
)
viz.save_figure(fig, OUT / "valley.png")

# %% [markdown]
# SGD bounces between the walls and crawls; momentum's velocity builds up along the valley
# floor; Adam moves both coordinates at about the same speed from the start. (Momentum is a
# knob too: with the common default $\beta = 0.9$ the path here overshoots and spirals for a
# long time. Change it above and watch.)
#
# ## 3. Rosenbrock's banana
#
# $$f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$$
#
# A curved valley: easy to fall into, slow to follow to the minimum at $(1, 1)$. Starting at
# $(-1.2, 1)$, SGD needs a small learning rate (the walls are steep: a larger one diverges),
# and then makes slow progress along the curved floor.


# %%
def rosenbrock_numpy(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


rosenbrock_optimizers = {
    "SGD lr=1e-3": lambda ps: minigrad.optim.SGD(ps, lr=1e-3),
    "momentum 0.9, lr=1e-3": lambda ps: minigrad.optim.SGD(ps, lr=1e-3, momentum=0.9),
    "Adam lr=0.05": lambda ps: minigrad.optim.Adam(ps, lr=0.05),
}
rosenbrock_runs = {
    name: run(make, rosenbrock, [-1.2, 1.0], ROSENBROCK_STEPS)
    for name, make in rosenbrock_optimizers.items()
}
for name, (path, losses) in rosenbrock_runs.items():
    print(
        f"Rosenbrock, {name:<22} after {ROSENBROCK_STEPS} steps: loss {losses[-1]:.2e} "
        f"at ({path[-1][0]:.3f}, {path[-1][1]:.3f})"
    )

fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
viz.plot_contours(
    rosenbrock_numpy,
    (-2, 2),
    (-1, 3),
    {k: v[0] for k, v in rosenbrock_runs.items()},
    ax=left,
    title="Rosenbrock (minimum at (1, 1))",
)
left.plot([1], [1], marker="*", color="red", markersize=12)
viz.plot_loss_curves(
    {k: v[1] for k, v in rosenbrock_runs.items()},
    ax=right,
    log_scale=True,
    title="loss on Rosenbrock",
)
viz.save_figure(fig, OUT / "rosenbrock.png")

# %% [markdown]
# No optimiser wins everywhere. Adam's per-coordinate steps are why it is the default for
# Transformers (the documents train with Adam at lr 0.001 and 2e-5, F5); SGD with momentum is
# still the choice for many vision models. Try other learning rates above and see.
#
# ## Check yourself

# %%
assert np.allclose(by_hand, library_path[-1], atol=1e-10), "Adam by hand = optim.Adam"
final = {k: v[1][-1] for k, v in valley_runs.items()}
assert final["momentum 0.7, lr=0.45"] < final["SGD lr=0.45"] / 100
assert final["Adam lr=0.5"] < final["SGD lr=0.45"]
sgd_y = valley_runs["SGD lr=0.45"][0][:, 1]
assert np.all(sgd_y[1:10] * sgd_y[:9] < 0), "SGD zig-zags: y changes sign at every step"
rosen_final = {k: v[1][-1] for k, v in rosenbrock_runs.items()}
assert rosen_final["Adam lr=0.05"] < 1e-3 and rosen_final["momentum 0.9, lr=1e-3"] < 1e-3
assert rosen_final["SGD lr=1e-3"] > 10 * rosen_final["momentum 0.9, lr=1e-3"]
assert all(v[1][-1] < v[1][0] for v in rosenbrock_runs.values())
assert (OUT / "valley.png").stat().st_size > 1000 and (OUT / "rosenbrock.png").exists()
print("lesson 5: all checks passed")
