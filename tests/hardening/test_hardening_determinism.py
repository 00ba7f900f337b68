"""Determinism: `minigrad.manual_seed(s)` makes a whole training run repeatable, bit for bit --
initialisation, DataLoader shuffling, dropout masks and the optimizer -- and a different seed
really gives a different run (so the tests below could fail).
"""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset, random_split


def _train(seed, device="cpu", epochs=3):
    """A small classifier trained with everything random switched on; its final parameters."""
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.GELU(), nn.Dropout(0.2), nn.Linear(16, 3))
    if device != "cpu":
        model.to(device)
    optimizer = mg.optim.AdamW(model.parameters(), lr=1e-2)
    x = mg.randn(40, 2, device=device)
    y = mg.randint(0, 3, (40,), device=device)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    return [p.numpy().copy() for p in model.parameters()]


def test_training_twice_with_one_seed_is_bit_identical():
    """Same seed, same run: every parameter equal to the last bit."""
    first, second = _train(7), _train(7)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_another_seed_gives_another_model():
    """The control: with another seed the parameters differ (the comparison above is not
    vacuous)."""
    first, other = _train(7), _train(8)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_training_on_the_strict_device_matches_cpu_bit_for_bit():
    """Random numbers are drawn on the host, so one seed gives the same run on another device
    (here the CuPy stand-in, which computes with NumPy underneath)."""
    for a, b in zip(_train(3), _train(3, device="strict")):
        np.testing.assert_array_equal(a, b)


def _epoch_orders(loader, epochs=3):
    return [np.concatenate([xb.numpy() for (xb,) in loader]) for _ in range(epochs)]


def test_dataloader_shuffling_follows_the_seed():
    """The order of every epoch repeats under the same seed; epochs differ from each other;
    another seed gives other orders; every sample appears once per epoch."""
    loader = DataLoader(TensorDataset(mg.arange(20)), batch_size=6, shuffle=True)
    mg.manual_seed(11)
    first = _epoch_orders(loader)
    mg.manual_seed(11)
    again = _epoch_orders(loader)
    mg.manual_seed(12)
    other = _epoch_orders(loader)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))
    for order in first:
        np.testing.assert_array_equal(np.sort(order), np.arange(20))


def test_dataloader_with_its_own_generator_ignores_the_global_seed():
    """generator=<int> gives a fixed sequence of orders whatever the global seed is."""

    def orders(global_seed):
        mg.manual_seed(global_seed)
        loader = DataLoader(TensorDataset(mg.arange(10)), batch_size=4, shuffle=True, generator=5)
        return _epoch_orders(loader, epochs=2)

    for a, b in zip(orders(1), orders(2)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("functional", [False, True])
def test_dropout_masks_follow_the_seed(functional):
    """The same seed drops the same units; another seed drops others; eval mode drops none."""
    layer = nn.Dropout(0.5)
    x = mg.ones(8, 16)

    def mask(seed):
        mg.manual_seed(seed)
        out = F.dropout(x, 0.5, training=True) if functional else layer(x)
        return out.numpy() == 0

    np.testing.assert_array_equal(mask(4), mask(4))
    assert not np.array_equal(mask(4), mask(5))
    assert 0 < mask(4).sum() < x.numel()
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_initialisation_and_random_split_follow_the_seed():
    """Layer initialisation and random_split are drawn from the same seeded generator."""

    def draw(seed):
        mg.manual_seed(seed)
        weight = nn.Linear(3, 4).weight.numpy().copy()
        train, _ = random_split(TensorDataset(mg.arange(10)), [7, 3])
        return weight, np.array(train.indices)

    (w1, s1), (w2, s2), (w3, s3) = draw(1), draw(1), draw(2)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(s1, s2)
    assert not np.array_equal(w1, w3) and not np.array_equal(s1, s3)
