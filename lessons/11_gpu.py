# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 11 — Running on a GPU
#
# **Formulas:** S6 (GPU acceleration, one of the deployment techniques the documents name),
# F13 (the training loop, unchanged)
#
# minigrad computes with NumPy on the CPU, or with CuPy (NumPy's API on an NVIDIA GPU) when a
# tensor lives on `device="cuda"`. This lesson runs everywhere: on a machine without a GPU it
# shows the error you get and runs the GPU parts on a CPU stand-in; on a machine with one, it
# runs the same training on the GPU too and compares.

# %%
import os
import time

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.data import make_moons

FAST = os.environ.get("MINIGRAD_FAST") == "1"
OUT = viz.lesson_output_dir("11_gpu")
GPU = minigrad.cuda.is_available()
print("CUDA available:", GPU)

# %% [markdown]
# ## 1. Asking for the GPU
#
# `minigrad.cuda.is_available()` says whether CuPy is installed *and* sees a GPU. Asking for
# `device="cuda"` without one raises `minigrad.DeviceUnavailableError`, and its message says
# what is missing (CuPy, a driver, or a GPU) and what to do.

# %%
try:
    on_gpu = minigrad.ones(3, device="cuda")
    gpu_error = None
    print("a tensor on the GPU:", on_gpu, on_gpu.device)
except minigrad.DeviceUnavailableError as error:
    gpu_error = error
    print(f"{type(error).__name__}: {error}")

# %% [markdown]
# ## 2. What changes in the code
#
# Very little — that is the point of the `device` argument (the same as PyTorch's):
#
# | | CPU | GPU |
# |---|---|---|
# | create a tensor | `minigrad.randn(3, 4)` | `minigrad.randn(3, 4, device="cuda")` |
# | move a tensor / a model | | `x.to("cuda")`, `model.to("cuda")` |
# | the array module | NumPy | CuPy (`tensor.xp`, `ctx.xp` in a `Function`) |
# | back to the host | `.numpy()` shares memory | `.numpy()`, `.item()` copy (and wait) |
#
# Three rules follow:
#
# 1. **All tensors of one op must be on the same device.** Mixing raises an error naming
#    both devices.
# 2. **Code inside a `Function` uses `ctx.xp`**, never `numpy` directly, or it only runs on the
#    CPU.
# 3. **Copies to the host are slow and synchronise**: call `.item()` for logging every few
#    steps, not inside inner loops.
#
# The test suite checks rule 2 without a GPU through a third device, `"strict"`: CPU arrays
# that refuse to be handed to NumPy, exactly as CuPy arrays do. We use it here as the stand-in.

# %%
STAND_IN = "cuda" if GPU else "strict"
cpu_tensor = minigrad.ones(2)
other_tensor = minigrad.ones(2, device=STAND_IN)
try:
    cpu_tensor + other_tensor
except RuntimeError as error:
    mixing_error = str(error)
    print("rule 1:", mixing_error)


class GoodExp(minigrad.Function):
    """y = e^x, written with ctx.xp: runs on every device."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class CpuOnlyExp(minigrad.Function):
    """y = e^x, written with numpy: breaks rule 2."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


x_device = minigrad.tensor([0.0, 1.0], device=STAND_IN, requires_grad=True)
print("rule 2, ctx.xp:", GoodExp.apply(x_device).numpy())
try:
    CpuOnlyExp.apply(x_device)
except TypeError as error:
    numpy_error = str(error)
    print("rule 2, numpy:", numpy_error.splitlines()[0][:120], "...")

# %% [markdown]
# ## 3. The same training on every device
#
# The MLP of lesson 4 on two moons, written once with a `device` argument. The random numbers
# are drawn on the host and then moved, so the same seed gives the same initial weights on
# every device, and the loss curves should agree (up to float32 rounding, which differs a
# little between CPU and GPU libraries).
#
# **Predict, then run.** Will the losses on the `"strict"` stand-in equal the CPU's
# exactly, or differ in the last digits the way a GPU's do?

# %%
X, y = make_moons(n_samples=512, noise=0.15, seed=0)
y = y.astype(minigrad.float32)
STEPS = 100 if FAST else 300


def train(device, steps=STEPS, hidden=64):
    minigrad.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1)
    ).to(device)
    X_dev, y_dev = X.to(device), y.to(device)  # move the data once, not every step
    optimizer = minigrad.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model(X_dev).reshape(-1), y_dev)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # one number to the host per step: fine at this size
    return losses, time.perf_counter() - start


results = {"cpu": train("cpu"), "strict (CPU stand-in)": train("strict")}
if GPU:
    results["cuda"] = train("cuda")
for device, (losses, seconds) in results.items():
    print(f"{device:<22} loss {losses[0]:.4f} -> {losses[-1]:.4f}   {seconds:.2f} s")
fig = viz.plot_loss_curves(
    {device: losses for device, (losses, _) in results.items()},
    title="the same training on each device",
)
# The curves lie on top of each other: the CPU's drawn wide and pale, the others dashed on it.
cpu_line, *other_lines = fig.axes[0].get_lines()
cpu_line.set_linewidth(5)
cpu_line.set_alpha(0.4)
for line in other_lines:
    line.set_linestyle("--")
fig.axes[0].legend()
viz.save_figure(fig, OUT / "same_training.png")

# %% [markdown]
# On the CPU stand-in the numbers are identical to the CPU run, bit for bit: it *is* NumPy
# underneath, running the same operations in the same order; only the handing over to NumPy is
# refused. On a GPU they agree to about 5 digits: CuPy's kernels add up sums in a different
# order, and float32 addition is not associative.
#
# For a network this small the GPU is not faster: each op is a separate kernel launch of a few
# microseconds, and there is too little arithmetic to hide that. The GPU pays off when the ops are
# big. A product of two $n \times n$ matrices needs
#
# $$\text{FLOPs}(n) = 2n^3$$
#
# floating-point operations ($n^2$ outputs, each a sum of $n$ products), while the launch cost
# stays the same. Timing one product of growing size, and the rate
# $2n^3 / t$ it reaches (in GFLOP/s):
#
# **Predict, then run.** Each doubling of $n$ multiplies the work $2n^3$ by 8. Will the time
# grow 8 times from $n = 32$ to $64$? And between the two largest sizes?

# %%
sizes = [32, 64, 128, 256, 512] if FAST else [32, 64, 128, 256, 512, 1024, 2048]


def best_time(a, b, budget_s=0.3 if not FAST else 0.05):
    """The fastest of several runs of a @ b: the least disturbed by whatever else the machine
    does (the average would include every interruption). More runs for small, quick products."""
    (a @ b).numpy()  # warm-up (on a GPU: loading the kernels)
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 5 or (spent < budget_s and runs < 200):
        start = time.perf_counter()
        (a @ b).numpy()  # .numpy() waits for the result: otherwise we time only the launch
        elapsed = time.perf_counter() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best


timings = {"cpu": []}
if GPU:
    timings["cuda"] = []
for n in sizes:
    for device in timings:
        a = minigrad.randn(n, n, device=device)
        b = minigrad.randn(n, n, device=device)
        timings[device].append(best_time(a, b))
    print(
        f"{n:5d} x {n:<5d}  "
        + "   ".join(
            f"{d} {t[-1] * 1000:9.3f} ms ({2 * n**3 / t[-1] / 1e9:6.1f} GFLOP/s)"
            for d, t in timings.items()
        )
    )
for device, values in timings.items():
    growth = [later / earlier for earlier, later in zip(values, values[1:])]
    print(f"{device}: time grows per doubling of n by", " ".join(f"{g:.1f}x" for g in growth))

# %% [markdown]
# The growth per doubling starts well below 8: for a small product the fixed cost of the call
# is most of the time, and doubling the arithmetic barely shows. For large products it is about
# 8 or more (more once the matrices no longer fit in the processor's caches): the arithmetic
# and the memory traffic it needs are now nearly all of the time. These are timings on a
# machine that does other things too; the large sizes, which run longest, are the most likely
# to be disturbed, so expect some jumps.
#
# Left: the time, with the line $t \propto 2n^3$ drawn through the largest size. Where the
# measured times follow that line, the product is limited by arithmetic; where they lie above
# it (small $n$), a fixed cost (calling into NumPy, a kernel launch on a GPU) dominates. Right:
# the rate $2n^3/t$: it climbs with $n$ until the arithmetic units are busy, then levels off.

# %%
plt = viz.pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
ns = np.array(sizes, dtype=float)
for device, values in timings.items():
    seconds = np.array(values)
    (line,) = left.plot(ns, seconds * 1000, marker="o", label=device)
    reference = seconds[-1] * (ns / ns[-1]) ** 3  # 2n^3 FLOPs at the largest size's rate
    left.plot(
        ns,
        reference * 1000,
        linestyle="--",
        color=line.get_color(),
        alpha=0.6,
        label=f"{device}: ∝ 2n³",
    )
    right.plot(ns, 2 * ns**3 / seconds / 1e9, marker="o", label=device)
for ax in (left, right):
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (an n x n @ n x n product)")
    ax.grid(alpha=0.3)
    ax.legend()
left.set_yscale("log")
left.set_ylabel("milliseconds (best of several runs)")
left.set_title("matmul time" + ("" if GPU else " (no GPU on this machine)"))
right.set_ylabel("GFLOP/s = 2n³ / t")
right.set_title("arithmetic rate")
viz.save_figure(fig, OUT / "matmul_timing.png")

# %% [markdown]
# ## Check yourself
#
# 1. Why does calling `.item()` on every step slow down GPU training more than CPU training?
#    *Answer: it copies to the host and waits until every queued kernel has finished, so the
#    CPU can no longer queue work ahead of the GPU.*
# 2. Why does the small moons MLP train no faster on a GPU? *Answer: every op is a kernel
#    launch of a few microseconds, and each op has too little arithmetic to hide that cost.*
# 3. A `Function` calls `np.exp(x)` in its forward. Why does the test suite catch this without
#    a GPU? *Answer: on the `"strict"` device the arrays refuse to be converted to NumPy,
#    exactly as CuPy arrays do, so the op fails there as it would on a GPU.*

# %%
if GPU:
    assert gpu_error is None
    cpu_losses, gpu_losses = results["cpu"][0], results["cuda"][0]
    assert np.allclose(cpu_losses, gpu_losses, rtol=1e-3, atol=1e-4), "the GPU agrees"
else:
    assert isinstance(gpu_error, minigrad.DeviceUnavailableError)
    assert "cuda" in str(gpu_error) and "device='cpu'" in str(gpu_error)
assert "same device" in mixing_error and STAND_IN in mixing_error
assert "NumPy" in numpy_error or "numpy" in numpy_error
assert results["cpu"][0] == results["strict (CPU stand-in)"][0], "stand-in = CPU, exactly"
assert results["cpu"][0][-1] < 0.5 * results["cpu"][0][0], "the loss fell"
assert len(timings["cpu"]) == len(sizes) and (OUT / "matmul_timing.png").stat().st_size > 1000
cpu_rate = [2 * n**3 / t for n, t in zip(sizes, timings["cpu"])]
# The best rate of the larger products, not the last one: on a busy machine any single large
# size can be disturbed (see the timings above).
assert max(cpu_rate[1:]) > 3 * cpu_rate[0], "big products use the arithmetic units better"
print("lesson 11: all checks passed")
