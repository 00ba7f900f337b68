"""Datasets: things with a length that hand out samples by index (PyTorch's torch.utils.data).

    Dataset         the base class: write __len__ and __getitem__
    IterableDataset a stream of samples: write __iter__ (no indices, no shuffling)
    TensorDataset   samples are rows of tensors that share their first dimension (X[i], y[i])
    Subset          a view of a dataset through a list of indices
    ConcatDataset   several datasets one after another
    random_split    cut a dataset into random, non-overlapping Subsets (train / validation, F13)

A DataLoader asks a Dataset for a whole mini-batch at once with `get_batch(indices)`. The default
fetches the samples one by one and stacks them (`default_collate`); TensorDataset overrides it to
index its tensors once with the whole index array, which is much faster.
"""

import bisect
import math
from collections.abc import Mapping, Sequence

import numpy as np

from minigrad.creation import tensor
from minigrad.data.sampler import resolve_generator
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


class IterableDataset:
    """Base class of a stream of samples: subclasses define `__iter__` (torch's IterableDataset).

    A DataLoader batches the samples in the order the stream gives them; there are no indices,
    so no shuffle, sampler or batch_sampler.
    """

    def __iter__(self):
        raise NotImplementedError


def default_collate(samples):
    """Stack a list of samples into one batch, field by field (torch's default_collate).

    Tensors are stacked along a new first axis; NumPy arrays and NumPy scalars are stacked into
    a Tensor of their dtype; Python ints become an int64 Tensor, bools a bool Tensor and floats a
    Tensor of the default float dtype (float32; PyTorch makes them float64); strings stay a list.
    Dicts, tuples and lists are collated per field: [(x0, y0), (x1, y1)] -> [stack([x0, x1]),
    tensor([y0, y1])] (a list, as in PyTorch; a namedtuple stays that namedtuple).
    """
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(samples)
    if isinstance(first, (np.ndarray, np.generic)) and first.dtype.kind in "biuf":
        return tensor(np.stack(samples))
    if isinstance(first, (bool, int, float)):
        return tensor(list(samples))
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, Sequence):
        lengths = {len(sample) for sample in samples}
        if len(lengths) != 1:
            raise ValueError(f"can't collate samples with different numbers of fields: {lengths}")
        fields = [default_collate(list(field)) for field in zip(*samples)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
            return type(first)(*fields)
        return fields
    raise TypeError(
        "default_collate: a batch must contain Tensors, NumPy arrays, numbers, strings, dicts "
        f"or lists; found {type(first).__name__}"
    )


def default_convert(sample):
    """What a DataLoader with batch_size=None gives for one sample: NumPy arrays become
    Tensors (also inside dicts, tuples and lists); everything else stays as it is."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind in "biuf":
        return tensor(sample)
    if isinstance(sample, Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*[default_convert(value) for value in sample])
    if isinstance(sample, (tuple, list)):
        return [default_convert(value) for value in sample]
    return sample


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
        return [t[indices] for t in self.tensors]  # a list, as default_collate gives


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


class ConcatDataset(Dataset):
    """The samples of several datasets, one dataset after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        # cumulative_sizes[k]: the number of samples in datasets 0..k together
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index = index + n if index < 0 else index
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None):
    """Randomly split a dataset into non-overlapping Subsets of the given lengths.

    lengths: ints that add up to len(dataset), e.g. [800, 200]; or fractions that add up to 1,
        e.g. [0.8, 0.2]. Fractions are rounded down and the samples left over are handed out
        one each to the first subsets, so every sample lands in exactly one subset.
    generator: a minigrad.Generator or an int seed, for a reproducible split
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
