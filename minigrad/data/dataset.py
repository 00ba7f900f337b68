"""Datasets: things with a length that hand out samples by index (PyTorch's torch.utils.data).

    Dataset        the base class: write __len__ and __getitem__
    TensorDataset  samples are rows of tensors that share their first dimension (X[i], y[i])
    Subset         a view of a dataset through a list of indices
    random_split   cut a dataset into random, non-overlapping Subsets (train / validation, F13)

A DataLoader asks a Dataset for a whole mini-batch at once with `get_batch(indices)`. The default
fetches the samples one by one and stacks them (`default_collate`); TensorDataset overrides it to
index its tensors once with the whole index array, which is much faster.
"""

import math

import numpy as np

from minigrad import random
from minigrad.creation import tensor
from minigrad.routines import stack
from minigrad.tensor import Tensor


class Dataset:
    """Base class of datasets. Subclasses define `__len__` and `__getitem__(index)`."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    def get_batch(self, indices):
        """The samples at `indices` (a 1-D integer array), stacked into one batch."""
        return default_collate([self[int(i)] for i in indices])


def default_collate(samples):
    """Stack a list of samples into one batch, field by field.

    Tensors are stacked along a new first axis, numbers become a 1-D Tensor (ints -> int64,
    floats -> the default float dtype), NumPy arrays are stacked then made a Tensor, and tuples,
    lists and dicts are collated per field: [(x0, y0), (x1, y1)] -> (stack([x0, x1]), [y0, y1]).
    Anything else (strings, say) is returned as a list.
    """
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(samples)
    if isinstance(first, np.ndarray):
        return tensor(np.stack(samples))
    if isinstance(first, (bool, int, float, np.generic)):
        return tensor(list(samples))
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        lengths = {len(sample) for sample in samples}
        if len(lengths) != 1:
            raise ValueError(f"can't collate samples with different numbers of fields: {lengths}")
        return tuple(default_collate(list(field)) for field in zip(*samples))
    return list(samples)


class TensorDataset(Dataset):
    """Sample i is (tensors[0][i], tensors[1][i], ...), e.g. `TensorDataset(X, y)`.

    All tensors must have the same length (first dimension). NumPy arrays are made Tensors.
    """

    def __init__(self, *tensors):
        if len(tensors) == 0:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else tensor(t) for t in tensors)
        lengths = [t.shape[0] if t.ndim > 0 else None for t in tensors]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"TensorDataset: all tensors must have the same length; got {shapes}")
        self.tensors = tensors

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def get_batch(self, indices):
        # One integer-array index per tensor instead of len(indices) small tensors + a stack.
        indices = np.asarray(indices, dtype=np.int64)
        return tuple(t[indices] for t in self.tensors)


class Subset(Dataset):
    """The samples of `dataset` at the positions `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        # subset[3] is one sample; subset[:] or subset[[0, 5]] is a batch, as from a DataLoader.
        if isinstance(index, (int, np.integer)):
            return self.dataset[int(self.indices[index])]
        return self.get_batch(np.arange(len(self.indices))[index])

    def get_batch(self, indices):
        inner = self.indices[np.asarray(indices, dtype=np.int64)]
        if isinstance(self.dataset, Dataset):
            return self.dataset.get_batch(inner)
        return default_collate([self.dataset[int(i)] for i in inner])


def resolve_generator(generator):
    """None -> minigrad's global generator; an int -> a new seeded Generator; a Generator as is."""
    if generator is None:
        return random.generator()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator must be None, an int seed or a numpy.random.Generator, "
        f"got {type(generator).__name__}"
    )


def random_split(dataset, lengths, generator=None):
    """Randomly split a dataset into non-overlapping Subsets of the given lengths.

    lengths: ints that add up to len(dataset), e.g. [800, 200]; or fractions that add up to 1,
        e.g. [0.8, 0.2]. Fractions are rounded down and the samples left over are handed out
        one each to the first subsets, so every sample lands in exactly one subset.
    generator: a numpy.random.Generator or an int seed, for a reproducible split
        (default: minigrad's global generator, see `minigrad.manual_seed`).

        >>> train, val = random_split(dataset, [0.8, 0.2], generator=0)
    """
    n = len(dataset)
    lengths = list(lengths)
    if any(length < 0 for length in lengths):
        raise ValueError(f"random_split: lengths must not be negative, got {lengths}")
    is_fractions = any(isinstance(length, float) for length in lengths)
    if is_fractions:
        if not math.isclose(sum(lengths), 1.0) or any(length > 1 for length in lengths):
            raise ValueError(f"random_split: fractions must add up to 1, got {lengths}")
        sizes = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        sizes = [int(length) for length in lengths]
        if sum(sizes) != n:
            raise ValueError(
                f"random_split: lengths add up to {sum(sizes)}, but the dataset has {n} samples"
            )

    order = resolve_generator(generator).permutation(n)
    subsets = []
    start = 0
    for size in sizes:
        subsets.append(Subset(dataset, order[start : start + size]))
        start += size
    return subsets
