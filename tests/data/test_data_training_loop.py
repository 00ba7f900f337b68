"""The F13 training loop end to end: data -> standardize -> mini-batches -> Adam -> metrics.

Uses minigrad.nn (another part of the package); skipped if it cannot be imported.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import metrics, optim
from minigrad.data import DataLoader, TensorDataset, make_moons, random_split, standardize
from minigrad.optim.lr_scheduler import StepLR

nn = pytest.importorskip("minigrad.nn")


def test_mlp_learns_the_moons():
    mg.manual_seed(0)
    X, y = make_moons(400, noise=0.1, seed=0)
    X, _, _ = standardize(X)
    train, val = random_split(TensorDataset(X, y), [0.8, 0.2], generator=0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    scheduler = StepLR(optimizer, step_size=20, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train, batch_size=32, shuffle=True, generator=0)

    first_loss = None
    for _ in range(40):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            first_loss = loss.item() if first_loss is None else first_loss
        scheduler.step()

    xv, yv = next(iter(DataLoader(val, batch_size=len(val))))
    with mg.no_grad():
        predictions = model(xv).argmax(axis=1)
    assert loss.item() < 0.2 * first_loss
    assert metrics.accuracy(yv, predictions) > 0.95
    assert metrics.f1_score(yv, predictions) > 0.95
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.02 * 0.25)
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_optimizer_refuses_a_single_tensor():
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(nn.Linear(2, 2).weight, lr=0.1)
