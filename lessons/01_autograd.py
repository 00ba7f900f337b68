# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 1 — Autograd from scratch
#
# **Formulas:** F6 (tanh), F1 (squared error), F4 (the gradient step, previewed)
#
# ## How to use these lessons
#
# Every lesson is one Python file in the *percent* format: `# %%` starts a code cell and
# `# %% [markdown]` a text cell. You can
#
# * run it as a script: `python lessons/01_autograd.py` (or `minigrad lesson 1`);
# * open it as a notebook: in VS Code ("Run Cell" above each `# %%`), or in Jupyter with the
#   jupytext extension (`pip install jupytext`, then open the `.py` file as a notebook);
# * run it quickly: `MINIGRAD_FAST=1 python lessons/01_autograd.py` shrinks training runs so
#   that each lesson finishes in seconds (every cell and every check still runs).
#
# Figures are saved as PNG files in `lessons/output/<lesson>/` (the lesson prints the folder).
# `minigrad lessons` lists them all; `lessons/README.md` is the syllabus. Formula ids such as
# F6 refer to `lessons/FORMULAS.md`, the catalogue of the mathematics in the source documents.
#
# ## What this lesson does
#
# Training a network means computing the derivative of a loss with respect to every weight.
# We do it three times for the same small expression: by hand with the chain rule, with a
# 40-line autograd engine written here, and with `minigrad.Tensor`. Then we draw the
# computation graph and step through the backward pass one op at a time.

# %%
import math

import numpy as np

import minigrad
from minigrad import viz

OUT = viz.lesson_output_dir("01_autograd")

# %% [markdown]
# ## 1. A neuron, by hand
#
# One neuron with two inputs, a tanh activation (F6) and a squared error (F1) against a
# target $t$:
#
# $$a = w_1 x_1,\quad c = w_2 x_2,\quad n = a + c + b,\quad y = \tanh(n),\quad
#   L = (y - t)^2 .$$
#
# Each line is one small *op*. The **chain rule** says that the derivative of $L$ with respect
# to anything is the product of the local derivatives along the path from it to $L$:
#
# $$\frac{\partial L}{\partial y} = 2 (y - t),\qquad
#   \frac{\partial L}{\partial n} = \frac{\partial L}{\partial y}\,(1 - y^2),\qquad
#   \frac{\partial L}{\partial w_1} = \frac{\partial L}{\partial n}\cdot 1 \cdot x_1 .$$
#
# We go from the output back to the inputs, reusing $\partial L/\partial n$ for every weight:
# that reuse is what makes *back*-propagation cheap.

# %%
x1, x2 = 1.5, -2.0
w1, w2, b = -0.8, 0.3, 0.4
target = 0.5

# forward, one op per line
a = w1 * x1
c = w2 * x2
n = a + c + b
y = math.tanh(n)
L = (y - target) ** 2

# backward, from L towards the inputs
dL_dy = 2 * (y - target)
dL_dn = dL_dy * (1 - y**2)  # tanh'(n) = 1 - tanh(n)^2
dL_da = dL_dn * 1.0  # n = a + c + b passes the gradient through unchanged
dL_dc = dL_dn * 1.0
dL_db = dL_dn * 1.0
dL_dw1 = dL_da * x1  # a = w1 * x1, so da/dw1 = x1
dL_dw2 = dL_dc * x2
by_hand = {"w1": dL_dw1, "w2": dL_dw2, "b": dL_db}
print(f"L = {L:.6f}")
print("gradients by hand:", {k: round(v, 6) for k, v in by_hand.items()})

# %% [markdown]
# Is it right? The definition of a derivative gives an independent check: nudge $w_1$ by a
# tiny $\varepsilon$ both ways and measure the slope (a *central finite difference*):
#
# $$\frac{\partial L}{\partial w_1} \approx
#   \frac{L(w_1 + \varepsilon) - L(w_1 - \varepsilon)}{2\varepsilon}.$$


# %%
def loss_of(w1, w2, b):
    return (math.tanh(w1 * x1 + w2 * x2 + b) - target) ** 2


eps = 1e-6
numeric_w1 = (loss_of(w1 + eps, w2, b) - loss_of(w1 - eps, w2, b)) / (2 * eps)
print(f"dL/dw1 by hand {dL_dw1:.8f}   by finite difference {numeric_w1:.8f}")

# %% [markdown]
# ## 2. An autograd engine in 40 lines
#
# Doing that by hand for a million weights is out of the question. The trick of automatic
# differentiation: every op records, at forward time, **its inputs and its local derivative
# with respect to each**. `backward()` then visits the nodes from the output back to the
# leaves (in *reverse topological order*: a node only after every node that uses it) and
# applies the chain rule,
#
# $$\text{parent.grad} \mathrel{+}= \text{local derivative} \times \text{node.grad}.$$
#
# The `+=` matters: a value used twice receives gradient from both uses.


# %%
class Scalar:
    """A number that remembers how it was computed."""

    def __init__(self, data, parents=()):
        self.data = data
        self.grad = 0.0
        self.parents = parents  # pairs (input Scalar, d(self)/d(input))

    def __add__(self, other):
        return Scalar(self.data + other.data, ((self, 1.0), (other, 1.0)))

    def __sub__(self, other):
        return Scalar(self.data - other.data, ((self, 1.0), (other, -1.0)))

    def __mul__(self, other):
        return Scalar(self.data * other.data, ((self, other.data), (other, self.data)))

    def square(self):
        return Scalar(self.data**2, ((self, 2 * self.data),))

    def tanh(self):
        t = math.tanh(self.data)
        return Scalar(t, ((self, 1 - t * t),))

    def backward(self):
        # Topological order with an explicit stack (recursion would overflow on deep graphs).
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p, _ in node.parents)
        self.grad = 1.0
        for node in reversed(order):  # outputs before the inputs they came from
            for parent, local in node.parents:
                parent.grad += local * node.grad


sw1, sw2, sb = Scalar(w1), Scalar(w2), Scalar(b)
sL = ((sw1 * Scalar(x1) + sw2 * Scalar(x2) + sb).tanh() - Scalar(target)).square()
sL.backward()
by_engine = {"w1": sw1.grad, "w2": sw2.grad, "b": sb.grad}
print("gradients by our engine:", {k: round(v, 6) for k, v in by_engine.items()})

# %% [markdown]
# ## 3. The same with `minigrad.Tensor`
#
# minigrad does exactly this, for arrays instead of single numbers: each op is a `Function`
# with a `forward` and a `backward` side by side (read `minigrad/ops/unary.py`). A tensor
# created with `requires_grad=True` is a *leaf* whose `.grad` is filled by `backward()`.

# %%
tw1 = minigrad.tensor(w1, requires_grad=True)
tw2 = minigrad.tensor(w2, requires_grad=True)
tb = minigrad.tensor(b, requires_grad=True)
tn = tw1 * x1 + tw2 * x2 + tb
ty = tn.tanh()
tL = (ty - target) ** 2

viz.retain_grads(tL)  # keep .grad at the intermediate nodes too, for the picture
tL.backward(retain_graph=True)  # keep the graph alive so that we can still draw it
by_tensor = {"w1": tw1.grad.item(), "w2": tw2.grad.item(), "b": tb.grad.item()}
print("gradients by minigrad:", {k: round(v, 6) for k, v in by_tensor.items()})

# %% [markdown]
# ## 4. The computation graph, drawn
#
# `viz.draw_graph` draws what the forward pass recorded: tensors as boxes (leaves in blue),
# ops as orange ellipses. With `show_values` and `show_grads` every box shows its value and
# $\partial L/\partial(\text{box})$ — check a few against the numbers computed by hand above.
# (For Graphviz users, `viz.to_dot(tL)` returns the same graph in the dot language.)

# %%
graph_png = OUT / "neuron_graph.png"
viz.draw_graph(
    tL,
    graph_png,
    show_values=True,
    show_grads=True,
    names={"w1": tw1, "w2": tw2, "b": tb, "n": tn, "y": ty, "L": tL},
)
graph = viz.build_graph(tL)
print(
    f"{len(graph.tensors)} tensors and {len(graph.ops)} ops:",
    " -> ".join(op for op, _, _ in graph.ops),
)

# %% [markdown]
# **Predict, then run.** `tw1.grad` now holds $\partial L/\partial w_1$ from the backward pass
# above. We call `tL.backward()` a second time on the same graph without touching `.grad`.
# What will `tw1.grad` hold: the same number, twice the number, or will it raise an error?

# %%
grad_after_one = tw1.grad.item()
tL.backward(retain_graph=True)  # a second backward pass, .grad not cleared
grad_after_two = tw1.grad.item()
print(f"w1.grad after one backward pass {grad_after_one:.6f}, after two {grad_after_two:.6f}")

# %% [markdown]
# Twice the number. `backward()` never overwrites a gradient, it *adds* to it: the `+=` of our
# engine, which is what makes a value used twice receive both contributions. The engine cannot
# tell "used twice in one graph" from "a second backward pass", so every training loop clears
# the gradients before each backward pass (`optimizer.zero_grad()`, lesson 2), and so does the
# next section.

# %% [markdown]
# ## 5. Backpropagation, one step at a time
#
# `minigrad.trace()` records every step of a backward pass in the order the engine runs it, and
# prints it like a worked solution: for each op, its formula (the first paragraph of the op's
# docstring), the gradient arriving at its output and the gradient it sends to each input, as
# signed numbers, with the tensors named (`names=`, a tensor's `.name`, a Module's parameter
# names, else t1, t2, ...). The steps the engine takes between ops are rows of their own:
# *accumulate* when a tensor is used twice, *un-broadcast* when it was broadcast, and
# *store .grad* when a leaf keeps its gradient. Walk it with `t.step()`, or open the page
# `t.to_html(...)` writes in a browser and step with the arrow keys (in Jupyter, `t` alone
# shows that page).

# %%
tw1.grad = tw2.grad = tb.grad = None  # gradients accumulate: clear them before a new pass
with minigrad.trace(names={"w1": tw1, "w2": tw2, "b": tb, "n": tn, "y": ty, "L": tL}) as t:
    tL.backward()
print(t)

first = t.step()
second = t.step()
print("\nstep by step:")
print(first)
print(second)
trace_page = t.to_html(OUT / "neuron_trace.html")
print(f"\nthe same trace to step through in a browser: {OUT / 'neuron_trace.html'}")

# %% [markdown]
# Read it from the top: the first step is the last op of the forward pass (the square), and
# the gradient arriving there is $\partial L/\partial L = 1$. Each later step is one op
# further back; the leaves come last. Compare the numbers with section 1: they are the same,
# signs included.
#
# ## 6. Many numbers at once
#
# Tensors do the same with whole arrays. Here a batch of 4 inputs with 3 features each goes
# through the neuron; the loss is the mean squared error over the batch (F1). The gradient of
# `w` has `w`'s shape: the engine summed the contributions of all four examples.

# %%
minigrad.manual_seed(0)
X = minigrad.randn(4, 3)
targets = minigrad.tensor([0.5, -0.2, 0.1, 0.9])
w = minigrad.randn(3, requires_grad=True)
bias = minigrad.zeros(1, requires_grad=True)
pred = (X @ w + bias).tanh()  # (4,)
mse = ((pred - targets) ** 2).mean()
mse.backward()
print("w.grad:", w.grad, "  shape", w.grad.shape)

# By hand, for comparison: dMSE/dw = (2/n) * X^T [(pred - t) * (1 - pred^2)]
Xn, pn, tn_ = X.numpy(), pred.numpy(), targets.numpy()
manual_w_grad = (2 / 4) * Xn.T @ ((pn - tn_) * (1 - pn**2))
print("by hand:", manual_w_grad)

# %% [markdown]
# ### Predict, then step
#
# The bias is one number added to all four predictions: broadcasting copied it four times.
# **Before you run the next cell**, write down $\partial \mathrm{MSE}/\partial b$ from the
# numbers printed above. (Hint: each copy receives its own gradient; what does the engine do
# with four gradients for one number?) Then let the trace check it: `trace.compare(name,
# your_gradient)` says whether they match and, if not, what kind of mistake it looks like.

# %%
w.grad = bias.grad = None
pred = (X @ w + bias).tanh()
mse = ((pred - targets) ** 2).mean()
with minigrad.trace(names={"X": X, "w": w, "bias": bias, "pred": pred}) as t6:
    mse.backward()

# Your prediction (replace it with your own): the four copies' gradients, added up.
my_bias_grad = [(2 / 4) * ((pn - tn_) * (1 - pn**2)).sum()]
check = t6.compare("bias", my_bias_grad)
print(check)

# A classic slip: forgetting that the copies add up. The report says what went wrong.
forgot_the_sum = (2 / 4) * (pn - tn_) * (1 - pn**2)
slip = t6.compare("bias", forgot_the_sum)
print(slip)

# Step to the row where the engine does that sum: an "un-broadcast" step.
print(next(step for step in t6 if step.kind == "un-broadcast"))

# %% [markdown]
# ## 7. Nodes, edges and versions: changing a tensor in place
#
# The graph the engine walks is made of **nodes**, one per op call (`t.grad_fn`), and
# **edges**: each node points to the nodes that made its inputs — or to the input itself when
# it is a leaf. A tensor points to the node that made its *current* value.
#
# That matters when a tensor changes in place. `h += b` writes the sum into `h`'s own memory
# and gives `h` a new node (an `add` whose inputs are the old `h` and `b`). The `matmul` that
# made the old value is still in the graph, drawn as its own box: ops that used the old `h`
# keep their edge to it.

# %%
x_in = minigrad.tensor([[1.0, 2.0]])
W = minigrad.tensor([[0.5, -1.0, 0.3], [0.2, 0.4, -0.6]], requires_grad=True)
b_vec = minigrad.tensor([0.1, 0.2, 0.3], requires_grad=True)
h = x_in @ W
before_png = OUT / "graph_before_inplace.png"
viz.draw_graph(h.tanh().sum(), before_png, names={"x": x_in, "W": W, "h": h})
node_before = h.grad_fn
h += b_vec  # in place: the same tensor object, a new node
after_png = OUT / "graph_after_inplace.png"
out = h.tanh().sum()
viz.draw_graph(out, after_png, names={"x": x_in, "W": W, "b": b_vec, "h": h})
print("h's node before:", node_before, "  after:", h.grad_fn, "  version:", h._version)
out.backward()
print("b.grad:", b_vec.grad, "  (1 - tanh(h)^2, as if we had written h = h + b)")

# %% [markdown]
# **Versions.** Every tensor counts how often it was changed in place (`t._version`). A node
# that saved a tensor for its backward remembers the count; if the tensor changes before
# `backward()`, the saved numbers are not the ones the forward pass used, and backward stops
# with an error rather than return a wrong gradient.
#
# **Predict, then run.** Two tiny graphs, each changed in place after its op:
# `d = z * 2; d += 1` and `e = z.exp(); e += 1`. Which of the two backward passes works, and
# which stops with an error? (Ask yourself what each op needs to keep for its backward.)

# %%
z = minigrad.tensor([0.5, 1.0], requires_grad=True)
d = z * 2.0
d += 1  # version 0 -> 1
d.sum().backward()
print("d = z * 2, then d += 1: z.grad =", z.grad)

e = z.exp()
e += 1  # version 0 -> 1
try:
    e.sum().backward()
    version_error = None
except RuntimeError as error:
    version_error = str(error)
print("e = z.exp(), then e += 1:", version_error)

# %% [markdown]
# The multiplication works: its local derivatives are its *inputs* ($\partial (2z)/\partial z
# = 2$), it saved `z` and 2, and nobody changed them. `exp` fails: its local derivative is its
# *output* ($\partial e^z/\partial z = e^z$), it saved `e`, and `e += 1` overwrote those numbers
# — exactly as in PyTorch. Whether an in-place change is safe depends on what the ops around it
# saved, which is why the engine checks instead of trusting you.

# %% [markdown]
# The rules, PyTorch's:
# * an in-place change of a tensor in the graph is recorded (`h += b`, `x[i] = v`,
#   `x.add_(y)`, `x.mul_(y)`, `x.zero_()`, ...); writing a tensor that requires grad into one
#   that does not (`out = zeros(T, H); out[t] = h`) makes the target part of the graph;
# * a **leaf** that requires grad (a parameter) may only be changed inside `no_grad()` — that is
#   what an optimizer's step does; otherwise its `.grad` would belong to a value that no
#   longer exists;
# * a view (`x[0]`, `x.T`, `x.reshape(...)`) shares its base's memory: changing one changes
#   the other, and the gradients follow.

# %% [markdown]
# ## Your turn
#
# In $L = x \cdot x \cdot x$ the value $x$ is used three times. Work out $dL/dx$ at $x = 2$ by
# hand, then let our `Scalar` engine check it. Our answer is filled in so that the lesson runs:
# delete it and write your own.

# %%
x_mine = Scalar(2.0)
cube = x_mine * x_mine * x_mine
cube.backward()
my_dcube_dx = 3 * 2.0**2  # <- delete this answer and write yours
print(f"dL/dx: our engine {x_mine.grad}, yours {my_dcube_dx}")

# %% [markdown]
# ## Check yourself
#
# The cell below asserts what this lesson claimed. If you change a number above and an
# assertion fails, find out why before you move on. First, three questions; cover the answers.
#
# 1. Why does `backward()` visit the nodes in reverse topological order, not in any order?
#
#    *Answer:* a node may pass its gradient on only when it is complete, after every node that
#    uses it has added its share.
# 2. A training loop forgets to clear the gradients. What does its second step use?
#
#    *Answer:* the sum of the first and second steps' gradients: `.grad` accumulates.
# 3. Which of the two needs `no_grad()`: `w -= 0.1 * w.grad` for a parameter `w`, or `h += b`
#    for an intermediate tensor `h`?
#
#    *Answer:* the first: a leaf that requires grad may change in place only under
#    `no_grad()`; `h += b` is simply recorded in the graph.

# %%
for name in ("w1", "w2", "b"):
    assert abs(by_hand[name] - by_engine[name]) < 1e-12, name
    assert abs(by_hand[name] - by_tensor[name]) < 1e-5, name  # float32 tensors
assert abs(numeric_w1 - dL_dw1) < 1e-6
assert len(graph.ops) == 7 and graph.ops[-1][0] == "Pow"  # mul mul add add tanh sub pow
assert len([s for s in t if s.kind == "op"]) == len(graph.ops) and t[0].op == "pow"
assert t[0].output_grad == 1.0 and np.isclose(t.grad_of("w1"), dL_dw1)
assert check and not slip and "before un-broadcasting" in str(slip)
assert "<svg" in trace_page
assert first is t[0] and second is t[1]
assert np.allclose(w.grad.numpy(), manual_w_grad, atol=1e-6)
assert graph_png.stat().st_size > 1000
assert h.grad_fn is not node_before and h._version == 1
expected_b_grad = 1 - np.tanh(x_in.numpy() @ W.detach().numpy() + b_vec.detach().numpy()) ** 2
assert np.allclose(b_vec.grad.numpy(), expected_b_grad[0], atol=1e-6)
assert version_error is not None and "modified by an inplace operation" in version_error
assert np.allclose(z.grad.numpy(), 2.0), "d = z * 2 saved nothing that d += 1 changed"
assert np.isclose(grad_after_two, 2 * grad_after_one), "a second backward pass adds"
assert x_mine.grad == my_dcube_dx == 12.0, "three uses of x, three contributions added"
assert before_png.stat().st_size > 1000 and after_png.stat().st_size > 1000
assert minigrad.gradcheck(
    lambda v: (v * 2.0).tanh().sum(),
    minigrad.tensor([0.1, -0.5], dtype=minigrad.float64, requires_grad=True),
)
print("lesson 1: all checks passed")
