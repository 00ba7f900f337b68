"""Memory and graph lifetime: backward() frees what the graph saved, training does not grow,
and very deep graphs neither recurse nor overflow the stack.
"""

import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import autograd


class _Recorder:
    """A forward observer that keeps WEAK references to every array an op outputs or saves."""

    def __init__(self):
        self.refs = []

    def __call__(self, function, ctx, args, out):
        for array in (out, *getattr(ctx, "_saved", ())):
            if isinstance(array, np.ndarray):
                self.refs.append((function.__name__, weakref.ref(array)))

    def __enter__(self):
        autograd.forward_observers.append(self)
        return self

    def __exit__(self, *exc):
        autograd.forward_observers.remove(self)

    def alive(self, keep=()):
        gc.collect()
        kept = {id(a) for a in keep}
        return [name for name, ref in self.refs if ref() is not None and id(ref()) not in kept]


def _small_graph():
    x = mg.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    w = mg.tensor([[1.0], [2.0], [-0.5]], requires_grad=True)
    hidden = (x @ w).tanh()
    loss = (hidden * hidden.exp()).sum() + x.sigmoid().mean()
    return x, w, hidden, loss


def test_intermediate_tensors_are_freed_after_backward():
    """An intermediate tensor the user no longer names lives on only inside the graph; after
    backward() (without retain_graph) it is gone, although the loss is still alive."""
    x, w, hidden, loss = _small_graph()
    hidden_ref, data_ref = weakref.ref(hidden), weakref.ref(hidden.array)
    del hidden
    gc.collect()
    assert hidden_ref() is not None  # still held by the graph
    loss.backward()
    gc.collect()
    assert hidden_ref() is None and data_ref() is None
    assert loss.grad_fn is not None and loss.grad_fn.freed
    assert x.grad is not None and w.grad is not None


def test_retain_graph_keeps_intermediates_until_the_loss_goes():
    """The contrast: with retain_graph=True the intermediates survive backward, and are freed
    as soon as the last reference to the graph (the loss) is dropped."""
    x, w, hidden, loss = _small_graph()
    hidden_ref = weakref.ref(hidden)
    del hidden
    loss.backward(retain_graph=True)
    gc.collect()
    assert hidden_ref() is not None
    del loss
    gc.collect()
    assert hidden_ref() is None


def test_every_saved_array_of_a_model_is_released_after_backward():
    """In a real forward pass (MLP, LayerNorm, cross-entropy) every array an op produced or
    saved for backward is freed by backward(), except the loss value itself and what the
    user still holds (inputs, parameters) -- even while the user keeps the loss tensor."""
    model = nn.Sequential(nn.Linear(4, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 3))
    x, y = mg.randn(8, 4), mg.tensor([0, 1, 2, 1, 0, 2, 1, 0])
    with _Recorder() as recorder:
        loss = F.cross_entropy(model(x), y)
    assert len(recorder.refs) > 10
    keep = [loss.array, x.array, y.array, *(p.array for p in model.parameters())]
    assert recorder.alive(keep)  # before backward the graph holds them
    loss.backward()
    assert recorder.alive(keep) == []


def test_no_grad_forward_keeps_nothing():
    """Under no_grad nothing is saved for a backward pass that cannot happen."""
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    x = mg.randn(5, 4)
    with mg.no_grad(), _Recorder() as recorder:
        out = model(x)
    assert out.grad_fn is None
    assert recorder.alive([out.array, x.array, *(p.array for p in model.parameters())]) == []


def _train(model, optimizer, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def test_training_memory_stays_flat():
    """Training for many steps does not grow memory (tracemalloc, not timed): after a warm-up
    of 100 steps, 300 more steps of an MLP with dropout and Adam add less than 64 KiB. Keeping
    just the (freed) loss tensor of every step adds about 130 KiB; an activation, over 2 MiB."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 4))
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-2)
    x, y = mg.randn(64, 8), mg.randint(0, 4, (64,))
    tracemalloc.start()
    try:
        _train(model, optimizer, x, y, 100)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        _train(model, optimizer, x, y, 300)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024, f"memory grew by {after - before} bytes"


def test_a_100000_op_chain_backpropagates_without_recursion():
    """A chain of 100,000 ops (*2, +1, *0.5, -0.5, repeated) backpropagates -- with the
    recursion limit lowered far below the chain's depth -- and every op's backward ran: the
    value comes back to x exactly and the gradient is exactly 1 (a skipped *2 or *0.5 would
    halve or double it)."""
    x = mg.tensor([1.0, -2.0], dtype=mg.float64, requires_grad=True)
    y = x
    for _ in range(25_000):
        y = (((y * 2.0) + 1.0) * 0.5) - 0.5
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200 + len(_stack_depth()))
    try:
        y.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    np.testing.assert_array_equal(y.numpy(), [1.0, -2.0])
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def _stack_depth():
    frames, frame = [], sys._getframe()
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


@pytest.mark.parametrize("backward", [False, True])
def test_a_deep_graph_can_be_dropped(backward):
    """Dropping a 100,000-deep graph (with or without a retained backward first) frees it
    without overflowing the stack, and frees it completely."""
    x = mg.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    first = weakref.ref(x + 0.0)  # not in the chain: freed at once
    middle = weakref.ref(y.grad_fn.parents[0])
    if backward:
        y.backward(retain_graph=True)
    del y
    gc.collect()
    assert first() is None and middle() is None
