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


COLOURS = {"SGD": "tab:blue", "momentum": "tab:orange", "Adam": "tab:green"}
WIDTHS = {"SGD": 1.2, "momentum": 2.0, "Adam": 4.5}  # drawn widest first, so none hides another


def draw_paths(ax, runs):
    """Each optimiser's path on the contour plot: Adam wide and pale underneath, SGD thin on
    top (on Rosenbrock all three follow the same valley floor), a dot where each one ended."""
    for name in sorted(runs, key=lambda name: -WIDTHS[name.split()[0]]):
        kind = name.split()[0]
        path = runs[name][0]
        ax.plot(path[:, 0], path[:, 1], color=COLOURS[kind], linewidth=WIDTHS[kind],
                alpha=0.5 if kind == "Adam" else 0.9, label=name)  # fmt: skip
        ax.plot(*path[-1], marker="o", markersize=7, color=COLOURS[kind], markeredgecolor="k")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8, loc="upper right")


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
#
# **Predict, then run.** One SGD step multiplies $y$ by $1 - 0.45 \cdot 4 = -0.8$ and $x$ by
# $1 - 0.45 \cdot 0.1 = 0.955$. After 60 steps, is SGD's loss limited by the $y$ part (across
# the valley) or by the $x$ part (along it)? And will the zig-zag make it diverge?


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
viz.plot_contours(valley_numpy, (-10, 2), (-3, 3), ax=left, title="f(x, y) = 0.05 x² + 2 y²")
draw_paths(left, valley_runs)
viz.plot_loss_curves(
    {k: v[1] for k, v in valley_runs.items()}, ax=right, log_scale=True, title="loss on the valley"
)
for line in right.get_lines():
    line.set_color(COLOURS[line.get_label().split()[0]])
right.legend()
sgd_end = valley_runs["SGD lr=0.45"][0][-1]
print(
    f"SGD after {VALLEY_STEPS} steps: x = {sgd_end[0]:.3f} (-9 * 0.955^60 = "
    f"{-9 * 0.955**VALLEY_STEPS:.3f}), y = {sgd_end[1]:.1e} (2 * (-0.8)^60 = {2 * 0.8**60:.1e})"
)
viz.save_figure(fig, OUT / "valley.png")

# %% [markdown]
# SGD does not diverge: $|{-0.8}| < 1$, so each bounce is smaller than the last, and after 60
# steps $y$ is a few millionths. What is left of its loss is almost all $0.05\,x^2$: $x$ has only
# shrunk to $0.955^{60} \cdot 9 \approx 0.57$. The steep direction sets the largest safe
# learning rate, the flat one then sets the time.
#
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
#
# **Predict, then run.** Near the minimum the gradient of Rosenbrock is tiny. Does Adam slow
# down there as much as SGD does, and why (or why not)?


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
    rosenbrock_numpy, (-2, 2), (-1, 3), ax=left, title="Rosenbrock (minimum at (1, 1))"
)
draw_paths(left, rosenbrock_runs)
left.plot([1], [1], marker="*", color="red", markersize=14, zorder=5)
viz.plot_loss_curves(
    {k: v[1] for k, v in rosenbrock_runs.items()},
    ax=right,
    log_scale=True,
    title="loss on Rosenbrock",
)
for line in right.get_lines():
    line.set_color(COLOURS[line.get_label().split()[0]])
right.legend()
viz.save_figure(fig, OUT / "rosenbrock.png")

# %% [markdown]
# Adam does not slow down: its step is $\alpha\,\hat m/\sqrt{\hat v}$, a ratio, so a small
# gradient divided by its own small typical size still gives a step of about $\alpha$. Its loss
# keeps falling steeply to $10^{-19}$, while SGD, whose step is $\alpha g$, stalls on the flat
# floor (the blue dot, short of the star). Momentum sits between the two: its velocity adds
# up many small gradients.
#
# No optimiser wins everywhere. Adam's per-coordinate steps are why it is the default for
# Transformers (the documents train with Adam at lr 0.001 and 2e-5, F5); SGD with momentum is
# still the choice for many vision models. Try other learning rates above and see.
#
# ## Check yourself
#
# 1. Why does SGD on the valley need $\alpha < 0.5$, even though the flat direction would
#    tolerate $\alpha < 20$? *Answer: one learning rate serves every direction, and the
#    steepest one (curvature 4) diverges above $2/4$.*
# 2. Adam's first step, with the bias correction, is almost exactly $\alpha$ in every
#    coordinate whatever the gradient. Why? *Answer: $\hat m_1 = g$ and $\hat v_1 = g^2$, so
#    the step is $\alpha\, g/|g| = \pm\alpha$.*
# 3. What would go wrong without the correction $1 - \beta_2^t$? *Answer: $v$ starts at 0, so
#    $\sqrt v$ is far too small in the first steps and the first steps are far too large
#    (about $\sqrt{1000} \approx 32$ times at $t = 1$, with the correction of $m$ kept).*

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
