"""The quick-start demo: train a small MLP on the two-moons data with the autograd engine alone.

    python -m minigrad.demo

No layers, no optimizer classes: the weights are plain tensors, the loss is written out, and
the update is the gradient-descent rule theta <- theta - lr * dL/dtheta (F4). It prints the
loss as it falls and the final accuracy.
"""

import math
import time

import numpy as np

import minigrad


def two_moons(n, noise=0.1, seed=0):
    """Two interleaving half circles, labels 0 and 1 (points on the host, as NumPy arrays)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, math.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
    points = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return points.astype(np.float32), label.astype(np.float32)


def init_layer(n_in, n_out):
    """Weights ~ U(-1/sqrt(n_in), 1/sqrt(n_in)), as PyTorch's Linear starts."""
    bound = 1 / math.sqrt(n_in)
    w = (minigrad.rand(n_in, n_out) * 2 - 1) * bound
    b = (minigrad.rand(n_out) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def main(steps=600, lr=0.5, seed=0):
    minigrad.manual_seed(seed)
    points, labels = two_moons(400, seed=seed)
    x = minigrad.tensor(points)  # (400, 2)
    y = minigrad.tensor(labels)  # (400,)

    w1, b1 = init_layer(2, 16)
    w2, b2 = init_layer(16, 16)
    w3, b3 = init_layer(16, 1)
    params = [w1, b1, w2, b2, w3, b3]

    print("Training a 2-16-16-1 MLP on two moons with minigrad's autograd engine alone.")
    start = time.perf_counter()
    for step in range(steps + 1):
        h1 = (x @ w1 + b1).tanh()  # (400, 16)
        h2 = (h1 @ w2 + b2).tanh()  # (400, 16)
        z = (h2 @ w3 + b3).reshape(-1)  # (400,) logits
        # Binary cross-entropy on logits (F3, stable form): max(z,0) - z*y + log(1 + e^-|z|)
        loss = (z.relu() - z * y + (1 + (-z.abs()).exp()).log()).mean()

        for p in params:
            p.grad = None
        loss.backward()
        with minigrad.no_grad():
            for p in params:
                p.data -= lr * p.grad  # theta <- theta - lr * dL/dtheta

        if step % 100 == 0:
            accuracy = ((z.detach() > 0).astype(minigrad.float32) == y).astype(minigrad.float32)
            print(
                f"step {step:4d}   loss {loss.item():.4f}   accuracy {accuracy.mean().item():.1%}"
            )
    print(f"done in {time.perf_counter() - start:.1f} s")
    return loss.item()


if __name__ == "__main__":
    main()
