"""W6: one SGD training step of a small CNN on 28x28 images (MNIST-sized).

    x (64, 1, 28, 28) -> conv 3x3, 16 ch, pad 1 -> ReLU -> max pool 2    (64, 16, 14, 14)
                      -> conv 3x3, 32 ch, pad 1 -> ReLU -> max pool 2    (64, 32, 7, 7)
                      -> flatten -> Linear(1568, 10) -> cross_entropy    y: (64,) in [0, 10)
    W <- W - lr · ∂loss/∂W                                              (plain SGD, lr = 0.01)

minigrad's convolution is im2col + one matrix product (ops/conv.py); PyTorch's CPU convolution
is a tuned kernel (oneDNN). Most of the ~0.4 GFLOP are the second convolution's matmuls.
"""

import numpy as np

from benchmarks.common import require

NAME = "W6"
TITLE = "CNN 2 conv + pool + linear, batch 64 of 1x28x28, SGD"
UNIT = "ms"
BATCH = 64
LR = 0.01
CONVS = ((1, 16), (16, 32))  # (in, out) channels, kernel 3, padding 1
HIDDEN = 32 * 7 * 7
# Forward 2·B·H·W·out·in·9 per conv (and 2·B·in·out for the Linear); backward twice that.
FLOPS = 3 * (
    2 * BATCH * 28 * 28 * 16 * 1 * 9 + 2 * BATCH * 14 * 14 * 32 * 16 * 9 + 2 * BATCH * HIDDEN * 10
)


def make_inputs(seed=0):
    """Weights as PyTorch initialises them (U(±1/√fan_in)), random images and labels."""
    rng = np.random.default_rng(seed)
    convs = []
    for c_in, c_out in CONVS:
        bound = 1.0 / np.sqrt(c_in * 9)
        w = rng.uniform(-bound, bound, (c_out, c_in, 3, 3)).astype(np.float32)
        b = rng.uniform(-bound, bound, (c_out,)).astype(np.float32)
        convs.append((w, b))
    bound = 1.0 / np.sqrt(HIDDEN)
    linear = (
        rng.uniform(-bound, bound, (10, HIDDEN)).astype(np.float32),
        rng.uniform(-bound, bound, (10,)).astype(np.float32),
    )
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH).astype(np.int64)
    return {"convs": convs, "linear": linear, "x": x, "y": y}


def _state(inputs):
    """The arrays under the parameter names of the Sequential below (the same in both)."""
    (w1, b1), (w2, b2) = inputs["convs"]
    w3, b3 = inputs["linear"]
    return {"0.weight": w1, "0.bias": b1, "3.weight": w2, "3.bias": b2,
            "7.weight": w3, "7.bias": b3}  # fmt: skip


def _model(nn):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(HIDDEN, 10),
    )  # fmt: skip


def build_minigrad(inputs):
    import minigrad
    import minigrad.nn as nn
    import minigrad.nn.functional as F

    model = _model(nn)
    model.load_state_dict(_state(inputs))
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

    model = _model(nn)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in _state(inputs).items()})
    x, y = torch.from_numpy(inputs["x"].copy()), torch.from_numpy(inputs["y"].copy())
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


BUILDERS = {"minigrad": build_minigrad, "torch": build_torch}
