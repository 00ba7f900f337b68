"""Shared helpers for the model tests: tiny training loops and synthetic tasks."""

import numpy as np

import minigrad as mg
from minigrad.optim import Adam


def train(model, make_batch, steps, lr):
    """Adam on loss = model(*make_batch())[-1]; returns the list of losses."""
    optimizer = Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        *_, loss = model(*make_batch())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def reversal_batch(generator, batch_size, n_digits, sep):
    """Digit-reversal sequences d_1 .. d_n SEP d_n .. d_1, as GPT input/targets.

    Targets are -100 (no loss) on the prompt: only the reversed digits are learned.
    Returns x (N, 2n), y (N, 2n) and the digits (N, n) as NumPy.
    """
    digits = generator.integers(0, 10, (batch_size, n_digits))
    seq = np.concatenate([digits, np.full((batch_size, 1), sep), digits[:, ::-1]], axis=1)
    targets = seq[:, 1:].copy()
    targets[:, : n_digits - 1] = -100  # the next prompt digit cannot be predicted
    return mg.tensor(seq[:, :-1]), mg.tensor(targets), digits


def module_gradcheck(module, inputs, output=lambda out: out, forward_kwargs=None, **kwargs):
    """gradcheck with respect to the float inputs that require grad AND every parameter.

    gradcheck calls fn on fresh copies of the tensors it is given, so fn puts those copies into
    the module's parameter slots for the duration of the call (a test-only stand-in for
    torch.func.functional_call). A tied parameter fills several slots with one copy.
    """
    forward_kwargs = forward_kwargs or {}
    slots = [
        (owner, name)
        for _, owner in module.named_modules()
        for name, param in owner._parameters.items()
        if param is not None
    ]
    originals = [owner._parameters[name] for owner, name in slots]
    unique = []
    for param in originals:
        if all(param is not p for p in unique):
            unique.append(param)
    n = len(inputs)

    def fn(*tensors):
        copies = tensors[n:]
        for (owner, name), param in zip(slots, originals):
            index = next(i for i, p in enumerate(unique) if p is param)
            owner._parameters[name] = copies[index]
        try:
            return output(module(*tensors[:n], **forward_kwargs))
        finally:
            for (owner, name), param in zip(slots, originals):
                owner._parameters[name] = param

    return mg.gradcheck(fn, tuple(inputs) + tuple(unique), **kwargs)
