"""Shared helpers for the optimizer tests: fixed parameters, fixed gradient sequences, a runner.

Optimizers only read `p.grad`, so the tests hand them gradients directly (a seeded sequence of
NumPy arrays) instead of computing a loss: the same numbers can then be fed to PyTorch, to a
hand-written formula, or to a second optimizer after a state-dict round trip.
"""

import numpy as np

import minigrad as mg

SHAPES = [(3, 4), (5,)]


def initial_values(dtype=np.float32, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradient_sequence(n_steps, dtype=np.float32, seed=2):
    """n_steps lists of gradients; their scale changes from step to step (so AMSGrad's running
    maximum and RMSprop's averages really move) and some entries are exactly zero."""
    rng = np.random.default_rng(seed)
    steps = []
    for _ in range(n_steps):
        scale = rng.uniform(0.05, 3.0)
        grads = []
        for shape in SHAPES:
            g = rng.standard_normal(shape) * scale
            g[rng.random(shape) < 0.1] = 0.0
            grads.append(g.astype(dtype))
        steps.append(grads)
    return steps


def make_params(values, device="cpu"):
    return [mg.tensor(v.copy(), requires_grad=True, device=device) for v in values]


def set_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = mg.tensor(g.copy(), device=p.device)


def run_steps(optimizer, params, gradient_steps):
    for grads in gradient_steps:
        set_grads(params, grads)
        optimizer.step()
    return [p.numpy() for p in params]
