"""W3: per-op overhead, forward and backward of a tiny expression on 4×4 tensors.

    loss = sum(tanh(a ⊙ b + c) ⊙ a)          a, b, c: (4, 4) float32, requiring gradients
    loss.backward()                           fills a.grad, b.grad, c.grad

Five ops on 16 numbers each: the arithmetic is nothing, so this measures what a framework spends
per op -- creating tensors, recording the graph, walking it backwards, accumulating gradients.
"""

import numpy as np

from benchmarks.common import require, require_tinygrad

NAME = "W3"
TITLE = "per-op overhead: fwd+bwd of sum(tanh(a*b+c)*a), 4x4"
UNIT = "us"
FLOPS = None  # nothing worth counting
OPS = 5  # mul, add, tanh, mul, sum


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal((4, 4)).astype(np.float32) for name in "abc"}


def build_minigrad(inputs):
    import minigrad

    a, b, c = (minigrad.tensor(inputs[n], requires_grad=True) for n in "abc")

    def step():
        a.grad = b.grad = c.grad = None
        loss = ((a * b + c).tanh() * a).sum()
        loss.backward()
        return loss

    return step


def build_torch(inputs):
    torch = require("torch", "torch")
    a, b, c = (torch.tensor(inputs[n], requires_grad=True) for n in "abc")

    def step():
        a.grad = b.grad = c.grad = None
        loss = ((a * b + c).tanh() * a).sum()
        loss.backward()
        return loss

    return step


def build_mygrad(inputs):
    mg = require("mygrad", "mygrad")
    a, b, c = (mg.tensor(inputs[n]) for n in "abc")

    def step():
        loss = mg.sum(mg.tanh(a * b + c) * a)
        loss.backward()  # MyGrad sets each .grad afresh: nothing to reset
        return loss

    return step


def build_autograd(inputs):
    autograd = require("autograd", "autograd")
    import autograd.numpy as anp

    def f(params):
        a, b, c = params
        return anp.sum(anp.tanh(a * b + c) * a)

    loss_and_grad = autograd.value_and_grad(f)
    params = tuple(inputs[n].copy() for n in "abc")

    def step():
        loss, _grads = loss_and_grad(params)
        return loss

    return step


def build_tinygrad(inputs):
    require_tinygrad()
    from tinygrad import Tensor

    a, b, c = (Tensor(inputs[n].copy()) for n in "abc")

    def step():
        a.grad = b.grad = c.grad = None
        loss = ((a * b + c).tanh() * a).sum()
        loss.backward()
        Tensor.realize(loss, a.grad, b.grad, c.grad)
        return loss

    return step


BUILDERS = {
    "minigrad": build_minigrad,
    "torch": build_torch,
    "mygrad": build_mygrad,
    "autograd": build_autograd,
    "tinygrad": build_tinygrad,
}
