# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 12 — Convolutional networks
#
# **Formulas:** F2 (the loss), F5 (Adam), F6 (ReLU), F13 (the training loop), F15 (conv1d and
# its gradients); document 003's vision networks (VGG, ResNet)
#
# A convolution slides one small set of weights over the whole input. That single idea --
# *weight sharing* -- is why a CNN recognises a pattern wherever it appears. In this lesson:
# convolution as a matrix product (im2col), receptive fields, pooling, the MNIST-1D table and why
# the CNN wins it, BatchNorm's train/eval difference, residual connections and gradient flow,
# and a small CNN on scikit-learn's 8×8 digits. (Needs the `lessons` extra:
# `pip install "minigrad[lessons]"`.)

# %%
import os

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.nn.functional as FC
from minigrad import viz
from minigrad.data.mnist1d import load_digits, load_mnist1d
from minigrad.models import ResNet
from minigrad.ops.conv import im2col

FAST = os.environ.get("MINIGRAD_FAST") == "1"
OUT = viz.lesson_output_dir("12_convolutions")
minigrad.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Convolution is a matrix product
#
# For an input $x$ of $C$ channels and a kernel $W$ of shape $(O, C, k_h, k_w)$,
# $$y[n,o,h,w] = b_o + \sum_{c,i,j} W[o,c,i,j]\; x[n, c, h s + i, w s + j].$$
# **im2col** copies each receptive field (the $C k_h k_w$ numbers one output sees) into a column;
# then the whole convolution is one product $W_{(O,\, C k_h k_w)} \cdot \text{cols}_{(C k_h k_w,\,
# N H_o W_o)}$. minigrad's `conv2d` is exactly that (minigrad/ops/conv.py).

# %%
x = minigrad.randn(2, 3, 6, 6)
w = minigrad.randn(4, 3, 3, 3)
cols = im2col(np, x.numpy(), (3, 3), (1, 1), (1, 1))  # (C, kh, kw, N, Ho, Wo)
print("im2col matrix:", cols.reshape(3 * 9, -1).shape, " weights:", w.reshape(4, -1).shape)
by_matmul = (w.numpy().reshape(4, -1) @ cols.reshape(27, -1)).reshape(4, 2, 4, 4)
by_conv = FC.conv2d(x, w).numpy()
print("max |conv2d - W @ cols| =", np.abs(by_conv - by_matmul.transpose(1, 0, 2, 3)).max())

# %% [markdown]
# ## 2. Receptive fields and pooling
#
# Each 3-wide layer lets an output see 2 more input positions; a stride-2 layer or a 2× pool
# doubles the step between what later layers see. So depth and downsampling grow the
# **receptive field**. We measure it: the gradient of one output with respect to the input is
# non-zero exactly where that output looks.


# %%
def receptive_field(model, length=64):
    signal = minigrad.randn(1, 1, length, requires_grad=True)
    out = model(signal)
    out[0, 0, out.shape[2] // 2].backward()  # one output in the middle
    return int((np.abs(signal.grad.numpy()[0, 0]) > 0).sum())


def conv3():
    return nn.Conv1d(1, 1, 3, padding=1)


one = receptive_field(nn.Sequential(conv3()))
three = receptive_field(nn.Sequential(conv3(), nn.Sequential(nn.Conv1d(1, 1, 3, padding=1)),
                                      nn.Conv1d(1, 1, 3, padding=1)))  # fmt: skip
pooled = receptive_field(nn.Sequential(conv3(), nn.MaxPool1d(2), nn.Conv1d(1, 1, 3, padding=1),
                                       nn.AvgPool1d(2), nn.Conv1d(1, 1, 3, padding=1)))  # fmt: skip
print(f"receptive field: 1 conv {one}, 3 convs {three}, 3 convs with two 2x pools {pooled}")

# %% [markdown]
# ## 3. The MNIST-1D table: why the CNN wins
#
# MNIST-1D's digits are 1-D templates that are padded, scaled, sheared, noised and **shifted**
# by up to 48 positions. The paper reports test accuracy: logistic regression 32 %, MLP 68 %,
# CNN 94 %, GRU 91 %. A dense layer has a separate weight for every position, so it must learn
# every digit at every shift; a convolution shares one kernel over all positions. We train the
# three models briefly (the full reproduction, a few seeds × 6,000 steps, is
# `python -m benchmarks.mnist1d`).
#
# **Predict, then run.** The MLP below has about three times as many weights as the CNN
# (printed with the results). Which of the two will score higher on the test set?

# %%
X, Y, X_test, Y_test = load_mnist1d()
STEPS = 300 if FAST else 3000


class ConvNet(nn.Module):
    """The paper's CNN: (N, 1, 40) -> (N, 25, 19) -> (N, 25, 10) -> (N, 25, 5) -> (N, 10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 25, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(25, 25, 3, stride=2, padding=1)
        self.linear = nn.Linear(125, 10)

    def forward(self, x):
        x = self.conv3(self.conv2(self.conv1(x).relu()).relu()).relu()
        return self.linear(x.flatten(1))


def fit(model, x, y, steps, lr=1e-2, batch=100):
    optimizer = minigrad.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        idx = rng.integers(0, x.shape[0], batch)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def test_accuracy(model, x, y):
    model.eval()
    with minigrad.no_grad():
        return 100.0 * float((model(x).numpy().argmax(1) == y.numpy()).mean())


models = {
    "logistic regression": nn.Sequential(nn.Flatten(), nn.Linear(40, 10)),
    "MLP": nn.Sequential(
        nn.Flatten(),
        nn.Linear(40, 100),
        nn.ReLU(),
        nn.Linear(100, 100),
        nn.ReLU(),
        nn.Linear(100, 10),
    ),  # fmt: skip
    "CNN": ConvNet(),
}
accuracy = {name: test_accuracy(fit(m, X, Y, STEPS), X_test, Y_test) for name, m in models.items()}
paper = {"logistic regression": 32, "MLP": 68, "CNN": 94}
for name, acc in accuracy.items():
    print(
        f"{name:20s} {acc:5.1f} %   (paper: {paper[name]} %, after 6,000 steps)   "
        f"{models[name].num_parameters():6,} weights"
    )

# %% [markdown]
# The CNN wins with a third of the weights. Weights are not what counts here, but what they
# can express cheaply: the CNN's 25 kernels of the first layer are used at every position, so a
# pattern learnt at one shift is recognised at all others. The MLP must learn each shift of
# each digit from its own examples, and 4,000 training signals are not enough for that.
#
# **Shift a signal and watch.** Shifting a test signal by a few positions changes the CNN's
# first-layer features by the same shift (convolution is *shift-equivariant*), so the later layers
# see the same pattern; the MLP's first layer sees a different input altogether.

# %%
signal = X_test[:1]
shifted = minigrad.tensor(np.roll(signal.numpy(), 4, axis=2))
features = models["CNN"].conv1(signal).numpy()
features_shifted = models["CNN"].conv1(shifted).numpy()
# a stride-2 layer: a shift of 4 inputs is a shift of 2 features (away from the borders)
equivariance_error = np.abs(np.roll(features, 2, axis=2)[..., 4:-4] - features_shifted[..., 4:-4])
print("CNN first layer: max |shift(features) - features(shift)| =", equivariance_error.max())

plt = viz.pyplot()
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(list(accuracy), list(accuracy.values()), label="minigrad (this run)")
ax.scatter(list(paper), list(paper.values()), color="k", zorder=3, label="paper")
ax.set_ylabel("test accuracy (%)")
ax.set_title("MNIST-1D")
ax.legend()
viz.save_figure(fig, OUT / "mnist1d_table.png")

# %% [markdown]
# ## 4. BatchNorm: training and evaluation are different
#
# In training, $\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}$ uses the **batch's** mean and
# variance, so one example's output depends on the others in its batch; running averages are
# updated on the side, $r \leftarrow (1 - m)\,r + m\,\mu_B$. In evaluation (`model.eval()`) the
# running averages are used, and each example is processed on its own.
#
# **Predict, then run.** We pass the same first example through the layer twice: alone with 3
# others, and inside the full batch of 16. In training mode, will its two outputs be equal? In
# evaluation mode?

# %%
bn = nn.BatchNorm1d(3)
batch = minigrad.randn(16, 3) * 2.0 + 5.0
alone_train = bn(batch[:4])[0].numpy()
in_batch_train = bn(batch)[0].numpy()
for _ in range(50):
    bn(batch)  # the running averages approach the batch statistics
bn.eval()
alone_eval, in_batch_eval = bn(batch[:4])[0].numpy(), bn(batch)[0].numpy()
print(
    "train: same example, different batch ->", np.round(alone_train, 2), np.round(in_batch_train, 2)
)
print(
    "eval:  same example, different batch ->", np.round(alone_eval, 2), np.round(in_batch_eval, 2)
)
print("running mean", np.round(bn.running_mean.numpy(), 2), "~ batch mean",
      np.round(batch.numpy().mean(0), 2))  # fmt: skip

# %% [markdown]
# In training mode the two outputs differ: the mean and variance of 4 examples are not those of
# 16, and the example is normalised with whichever batch it came in. In evaluation mode they are
# equal: the running averages are fixed numbers, the same for any batch.
#
# ## 5. Residual connections keep the gradient alive
#
# A residual block computes $y = x + F(x)$, so $\partial L/\partial x = \partial L/\partial y\,(1 +
# \partial F/\partial x)$: the "1" carries the gradient past every block unchanged. Without the
# skip, the gradient must pass through every layer's Jacobian, and its size drifts by a factor
# per layer -- it vanishes or (in a BatchNorm network at initialisation, as here) explodes
# towards the input. We compare the gradient norm reaching each block of a 12-block ResNet with
# and without the shortcut (same initialisation).


# %%
def block_grad_norms(skip):
    minigrad.manual_seed(1)
    model = ResNet(1, 10, widths=(8,), blocks_per_stage=12, dims=1, skip=skip)
    x, y = X[:64], Y[:64]
    F.cross_entropy(model(x), y).backward()
    return [float(np.linalg.norm(block.conv1.weight.grad.numpy())) for block in model.blocks]


with_skip, without_skip = block_grad_norms(True), block_grad_norms(False)
print(f"first/last block gradient norm, with skip:    {with_skip[0]:.2e} / {with_skip[-1]:.2e}")
print(
    f"first/last block gradient norm, without skip: {without_skip[0]:.2e} / {without_skip[-1]:.2e}"
)
fig, ax = plt.subplots(figsize=(7, 3))
ax.semilogy(with_skip, "o-", label="with the skip: x + F(x)")
ax.semilogy(without_skip, "s-", label="without: F(x)")
ax.set_xlabel("block (input side -> output side)")
ax.set_ylabel("‖dL/dW‖ of the block's first conv")
ax.set_title("gradient reaching each block of a 12-block ResNet, at initialisation")
ax.legend()
viz.save_figure(fig, OUT / "residual_gradients.png")

# %% [markdown]
# ## 6. A small CNN on the 8×8 digits
#
# Two conv + BatchNorm + ReLU layers, a 2× max pool, global average pooling and a Linear layer.

# %%
Xd, Yd, Xd_test, Yd_test = load_digits()
digits_cnn = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),  # (N, 16, 8, 8)
    nn.MaxPool2d(2),  # (N, 16, 4, 4)
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),  # (N, 32, 4, 4)
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10),  # (N, 10)
)  # fmt: skip
digits_accuracy = test_accuracy(fit(digits_cnn, Xd, Yd, 150 if FAST else 600, lr=3e-3, batch=64),
                                Xd_test, Yd_test)  # fmt: skip
print(f"8x8 digits, small CNN: test accuracy {digits_accuracy:.1f} %")

# %% [markdown]
# ## Your turn: conv1d's backward
#
# Now write conv1d's backward yourself: `minigrad check conv1d`. The stub
# `lessons/exercises/conv1d.py` gives the forward (stride 1, no padding, a loop over the kernel
# positions k); you return dL/dx and dL/dweight. F15 in lessons/FORMULAS.md derives both: the
# weight's gradient correlates x with dL/dy, the input's is a "full" correlation with the flipped
# kernel (col2im: every window's gradient goes back where it came from, and overlaps add up).

# %% [markdown]
# ## Check yourself
#
# 1. Five 3-wide convolutions, stride 1, no pooling: how many input positions does one output
#    see? *Answer: $1 + 5 \cdot 2 = 11$; each layer adds 2.*
# 2. Why is a convolution layer's output shifted, not changed, when its input is shifted?
#    *Answer: the same kernel is applied at every position, so moving the input moves where
#    each pattern is found and nothing else (away from the borders).*
# 3. You forget `model.eval()` before testing a BatchNorm network. What goes wrong? *Answer:
#    each prediction depends on which other examples share its test batch (they are normalised
#    with that batch's statistics), and the test data changes the running averages.*

# %%
assert np.allclose(by_conv, by_matmul.transpose(1, 0, 2, 3), atol=1e-4), "conv = W @ im2col"
assert (one, three) == (3, 7) and pooled > three, "receptive fields grow with depth and pooling"
assert accuracy["CNN"] > accuracy["MLP"] > accuracy["logistic regression"]
assert accuracy["CNN"] > (60 if FAST else 85) and accuracy["logistic regression"] < 45
assert equivariance_error.max() < 1e-5, "convolution commutes with shifts"
assert not np.allclose(alone_train, in_batch_train) and np.allclose(alone_eval, in_batch_eval)
assert np.allclose(bn.running_mean.numpy(), batch.numpy().mean(0), atol=0.05)
spread = {name: max(norms) / min(norms) for name, norms in
          (("skip", with_skip), ("plain", without_skip))}  # fmt: skip
assert spread["skip"] * 3 < spread["plain"], "with the skip the gradient size drifts far less"
assert digits_accuracy > (70 if FAST else 90)
print("lesson 12: all checks passed")
