"""Reproduce the MNIST-1D table (Greydanus 2020) with minigrad: logistic regression, an MLP and a
CNN trained on the same 4,000 signals, test accuracy on the 1,000 held out, a few seeds.

    python -m benchmarks.mnist1d                  # 3 seeds x 6,000 steps each (a few minutes)
    python -m benchmarks.mnist1d --seeds 1 --steps 2000

The paper's recipe: Adam, learning rate 1e-2, batch 100, 6,000 steps; the CNN is three Conv1d
layers (25 channels, kernel 5 then 3 then 3, stride 2) and a Linear layer. Why the CNN wins:
the digits are SHIFTED by up to 48 positions; a convolution shares its weights across
positions, so a pattern learnt at one place is recognised at every place, while the MLP must
learn each digit at each shift separately, and logistic regression cannot do it at all.
Needs the 'lessons' extra (the mnist1d package generates the data; nothing is downloaded).
"""

import argparse
import os

# The matrices here are small (a batch of 100): one BLAS thread is faster than two, and much
# faster on a shared machine, where a second thread spends its time waiting for a core. Set
# before NumPy is imported; an explicit OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is respected.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import statistics  # noqa: E402
import time  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad.data.mnist1d import load_mnist1d  # noqa: E402

PAPER = {"logistic regression": 32.0, "MLP": 68.0, "CNN": 94.0, "GRU": 91.0}


class ConvNet(nn.Module):
    """The paper's CNN. x (N, 1, 40) -> logits (N, 10)."""

    def __init__(self, channels=25):
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)  # (N, 25, 19)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)  # (N, 25, 10)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)  # (N, 25, 5)
        self.linear = nn.Linear(channels * 5, 10)

    def forward(self, x):
        x = self.conv1(x).relu()
        x = self.conv2(x).relu()
        x = self.conv3(x).relu()
        return self.linear(x.flatten(1))  # (N, 125) -> (N, 10)


def make_model(name):
    if name == "logistic regression":
        return nn.Sequential(nn.Flatten(), nn.Linear(40, 10))
    if name == "MLP":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
            nn.Linear(100, 10),
        )  # fmt: skip
    return ConvNet()


def accuracy(model, x, y):
    with minigrad.no_grad():
        predictions = model(x).numpy().argmax(axis=1)
    return 100.0 * float((predictions == y.numpy()).mean())


def train(name, data, seed, steps, batch_size=100, lr=1e-2):
    """Train one model from scratch; return its test accuracy (%)."""
    x, y, x_test, y_test = data
    minigrad.manual_seed(seed)
    model = make_model(name)
    optimizer = minigrad.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    order = minigrad.randperm(n).numpy()
    position = 0
    for _ in range(steps):
        if position + batch_size > n:  # a new epoch: a new order
            order, position = minigrad.randperm(n).numpy(), 0
        batch = order[position : position + batch_size]
        position += batch_size
        loss = F.cross_entropy(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return accuracy(model, x_test, y_test)


def run(seeds=3, steps=6000, models=("logistic regression", "MLP", "CNN"), verbose=True):
    """{model: [test accuracy per seed]}."""
    data = load_mnist1d()
    results = {}
    for name in models:
        results[name] = []
        for seed in range(seeds):
            start = time.perf_counter()
            results[name].append(train(name, data, seed, steps))
            if verbose:
                print(f"  {name:20s} seed {seed}: {results[name][-1]:5.1f} %  "
                      f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    return results


def table(results):
    lines = ["| model | minigrad test accuracy (mean ± spread) | paper |", "|---|---|---|"]
    for name, paper in PAPER.items():
        if name not in results:
            lines.append(f"| {name} | (not run) | {paper:.0f} % |")
            continue
        accs = results[name]
        spread = (max(accs) - min(accs)) / 2
        lines.append(f"| {name} | {statistics.mean(accs):.1f} ± {spread:.1f} % "
                     f"({len(accs)} seeds) | {paper:.0f} % |")  # fmt: skip
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=6000)
    args = parser.parse_args(argv)
    results = run(args.seeds, args.steps)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
