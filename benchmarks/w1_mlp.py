"""W1: one SGD training step of an MLP 64 -> 256 -> 256 -> 10 with ReLU and cross-entropy.

    logits = relu(relu(x W1ᵀ + b1) W2ᵀ + b2) W3ᵀ + b3        x: (256, 64) float32
    loss   = cross_entropy(logits, y)                         y: (256,) int64 in [0, 10)
    W     <- W - lr · ∂loss/∂W                                (plain SGD, lr = 0.01)

Small matrices: the step is ~0.13 GFLOP, so framework overhead (Python per op, graph
bookkeeping) weighs as much as the arithmetic.
"""

import numpy as np

from benchmarks.common import require, require_tinygrad

NAME = "W1"
TITLE = "MLP 64-256-256-10, batch 256, SGD"
UNIT = "ms"
SIZES = (64, 256, 256, 10)
BATCH = 256
LR = 0.01
# Forward 2·B·in·out per layer; backward twice that (∂x and ∂W).
FLOPS = 3 * sum(2 * BATCH * a * b for a, b in zip(SIZES[:-1], SIZES[1:]))


def make_inputs(seed=0):
    """Weights as torch.nn.Linear initialises them (U(±1/√in)), random data and labels."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
        layers.append((w, b))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH).astype(np.int64)
    return {"layers": layers, "x": x, "y": y}


def build_minigrad(inputs):
    import minigrad
    import minigrad.nn as nn
    import minigrad.nn.functional as F

    model = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    state = {}
    for i, (w, b) in zip((0, 2, 4), inputs["layers"]):
        state[f"{i}.weight"], state[f"{i}.bias"] = w, b
    model.load_state_dict(state)
    x, y = minigrad.tensor(inputs["x"]), minigrad.tensor(inputs["y"])
    optimizer = minigrad.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def build_torch(inputs):
    torch = require("torch", "torch")
    nn = torch.nn

    model = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    with torch.no_grad():
        for i, (w, b) in zip((0, 2, 4), inputs["layers"]):
            model[i].weight.copy_(torch.from_numpy(w))
            model[i].bias.copy_(torch.from_numpy(b))
    x, y = torch.from_numpy(inputs["x"].copy()), torch.from_numpy(inputs["y"].copy())
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def build_mygrad(inputs):
    mg = require("mygrad", "mygrad")
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    params = [(mg.tensor(w.copy()), mg.tensor(b.copy())) for w, b in inputs["layers"]]
    x, y = inputs["x"], inputs["y"]

    def step():
        h = x
        for i, (w, b) in enumerate(params):
            h = mg.matmul(h, w.T) + b
            if i < len(params) - 1:
                h = relu(h)
        loss = softmax_crossentropy(h, y)
        loss.backward()
        for w, b in params:  # SGD on the arrays (the graph is cleared by backward)
            w.data -= LR * w.grad
            b.data -= LR * b.grad
        return loss

    return step


def _autograd_loss(params, x, y):
    import autograd.numpy as anp

    h = x
    for i, (w, b) in enumerate(params):
        h = anp.dot(h, w.T) + b
        if i < len(params) - 1:
            h = anp.maximum(h, 0.0)
    m = anp.max(h, axis=1, keepdims=True)
    log_p = h - m - anp.log(anp.sum(anp.exp(h - m), axis=1, keepdims=True))
    return -anp.mean(log_p[anp.arange(h.shape[0]), y])


def build_autograd(inputs):
    autograd = require("autograd", "autograd")

    params = [(w.copy(), b.copy()) for w, b in inputs["layers"]]
    x, y = inputs["x"], inputs["y"]
    loss_and_grad = autograd.value_and_grad(_autograd_loss)

    def step():
        loss, grads = loss_and_grad(params, x, y)
        for (w, b), (gw, gb) in zip(params, grads):
            w -= LR * gw
            b -= LR * gb
        return loss

    return step


def build_tinygrad(inputs):
    require_tinygrad()
    from tinygrad import Tensor
    from tinygrad.helpers import Context
    from tinygrad.nn.optim import SGD

    params = [(Tensor(w.copy()), Tensor(b.copy())) for w, b in inputs["layers"]]
    x, y = Tensor(inputs["x"].copy()), Tensor(inputs["y"].astype(np.int32))
    optimizer = SGD([p for pair in params for p in pair], lr=LR)

    def step():
        with Context(TRAINING=1):
            optimizer.zero_grad()
            h = x
            for i, (w, b) in enumerate(params):
                h = h.linear(w.T, b)
                if i < len(params) - 1:
                    h = h.relu()
            loss = h.sparse_categorical_crossentropy(y)
            loss.backward()
            loss.realize()  # lazy: realise it before the update changes the weights it reads
            optimizer.step()
        return loss

    return step


BUILDERS = {
    "minigrad": build_minigrad,
    "torch": build_torch,
    "mygrad": build_mygrad,
    "autograd": build_autograd,
    "tinygrad": build_tinygrad,
}
