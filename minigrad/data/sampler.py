"""Samplers: the order in which a DataLoader visits a dataset (PyTorch's torch.utils.data.Sampler).

A sampler is an iterable of indices into the dataset; a batch sampler is an iterable of lists
of indices, one list per batch. DataLoader(batch_size=..., shuffle=...) builds them for you:

    shuffle=False  ->  BatchSampler(SequentialSampler(dataset), batch_size, drop_last)
    shuffle=True   ->  BatchSampler(RandomSampler(dataset), batch_size, drop_last)

Pass your own `sampler=` (e.g. a SubsetRandomSampler or a WeightedRandomSampler) or
`batch_sampler=` to change that. Random samplers draw a new order each time they are iterated
(each epoch) from their `generator` (a minigrad.Generator, an int seed, or None for the default
generator that `minigrad.manual_seed` seeds).
"""

import numpy as np

from minigrad import random
from minigrad.tensor import Tensor


def resolve_generator(generator):
    """The NumPy Generator to draw from: the default generator's for None, a minigrad
    Generator's own, a new seeded one for an int seed (a NumPy Generator as it is)."""
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    try:
        return random.numpy_generator(generator)
    except TypeError:
        raise TypeError(
            "generator must be None, a minigrad.Generator, an int seed or a "
            f"numpy.random.Generator, got {type(generator).__name__}"
        ) from None


def _seeded_once(generator):
    """An int seed becomes one Generator now, so that each epoch draws a new order from it
    (None stays None: the default generator is looked up when drawing, so a later
    minigrad.manual_seed still takes effect)."""
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    resolve_generator(generator)  # checks the type now rather than at the first epoch
    return generator


class Sampler:
    """Base class: an iterable of dataset indices. Subclasses define __iter__ (and __len__)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, 2, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices in a random order (a new order each epoch).

    replacement=False: a permutation, each index once (num_samples may still ask for more or
    fewer: whole permutations are chained and cut). replacement=True: num_samples independent
    draws. num_samples defaults to len(data_source).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement!r}"
            )
        if num_samples is not None and (
            isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0
        ):
            raise ValueError(
                f"num_samples should be a positive integer value, but got "
                f"num_samples={num_samples!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _seeded_once(generator)

    @property
    def num_samples(self):
        n = len(self.data_source)
        return n if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = resolve_generator(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        if self._num_samples is None:
            return iter(rng.permutation(n).tolist())
        permutations = [rng.permutation(n) for _ in range(-(-self.num_samples // n))]
        return iter(np.concatenate(permutations)[: self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order (a new order each epoch)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = _seeded_once(generator)

    def __iter__(self):
        order = resolve_generator(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order.tolist()])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices in range(len(weights)), index i with probability weights[i] /
    sum(weights) (e.g. to oversample a rare class)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got "
                f"num_samples={num_samples!r}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement!r}"
            )
        weights = weights.numpy() if isinstance(weights, Tensor) else np.asarray(weights)
        if weights.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {weights.shape}"
            )
        self.weights = Tensor(weights.astype(np.float64))
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = _seeded_once(generator)

    def __iter__(self):
        rng = resolve_generator(self.generator)
        drawn = random.multinomial(self.weights, self.num_samples, self.replacement, generator=rng)
        return iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} should be a positive integer, got {value!r}")


class BatchSampler(Sampler):
    """Group the indices of `sampler` into lists of batch_size (the last may be shorter,
    unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"drop_last should be a boolean value, but got drop_last={drop_last!r}"
            )
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)  # rounded up
