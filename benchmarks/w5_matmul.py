"""W5: the ceiling, a plain float32 1024×1024 @ 1024×1024 matrix product.

    C = A @ B       2 · 1024³ ≈ 2.15 GFLOP

No framework code at all: this is what the BLAS library under NumPy (and under PyTorch) can do
on this machine, and so the best any NumPy framework could reach on a workload made only of
matrix products. The other workloads report their achieved GFLOP/s against it.
"""

import numpy as np

from benchmarks.common import require

NAME = "W5"
TITLE = "float32 1024³ matmul (the BLAS ceiling)"
UNIT = "ms"
N = 1024
FLOPS = 2 * N**3


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "a": rng.standard_normal((N, N)).astype(np.float32),
        "b": rng.standard_normal((N, N)).astype(np.float32),
    }


def build_numpy(inputs):
    a, b = inputs["a"], inputs["b"]
    out = np.empty((N, N), np.float32)

    def step():
        return np.matmul(a, b, out=out)[0, 0]

    return step


def build_torch(inputs):
    torch = require("torch", "torch")
    a, b = torch.from_numpy(inputs["a"]), torch.from_numpy(inputs["b"])
    out = torch.empty((N, N))

    def step():
        return torch.matmul(a, b, out=out)[0, 0]

    return step


# In the tables NumPy stands in minigrad's column: minigrad's matmul is NumPy's.
BUILDERS = {"minigrad": build_numpy, "torch": build_torch}
