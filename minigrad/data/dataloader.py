"""DataLoader: walk through a dataset in mini-batches ("batch learning", F13).

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, generator=0)
    for epoch in range(10):
        for xb, yb in loader:          # every sample exactly once per epoch
            ...

One pass over the loader is one epoch. With shuffle=True a new random order is drawn at the
start of every epoch; the same generator seed gives the same sequence of orders.

A progress bar, as with PyTorch's DataLoader, comes from wrapping the loader in tqdm (len(loader)
gives the bar its length):

    from tqdm import tqdm
    for xb, yb in tqdm(loader, desc=f"epoch {epoch}"):
        ...
"""

import numpy as np

from minigrad.data.dataset import Dataset, default_collate, resolve_generator


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` samples.

    Args:
        dataset: a Dataset (or any object with __len__ and __getitem__).
        batch_size: samples per batch.
        shuffle: draw a new random order of the samples at every epoch.
        drop_last: skip the last, smaller batch when len(dataset) is not a multiple of
            batch_size (useful when every batch must have the same shape).
        generator: a numpy.random.Generator or an int seed for the shuffling (default:
            minigrad's global generator, so `minigrad.manual_seed` makes runs reproducible).

    Each batch is what the dataset's `get_batch` returns: for a TensorDataset(X, y), a tuple
    (X[batch], y[batch]) of Tensors.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        # An int seed becomes one Generator now, so that each epoch gets a different order.
        # None stays None: the global generator is looked up at each epoch, so a later
        # minigrad.manual_seed still takes effect.
        self.generator = None if generator is None else resolve_generator(generator)

    def __len__(self):
        """The number of batches in one epoch."""
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = resolve_generator(self.generator).permutation(n)
        else:
            order = np.arange(n)

        for start in range(0, n, self.batch_size):
            indices = order[start : start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                break
            if isinstance(self.dataset, Dataset):
                yield self.dataset.get_batch(indices)
            else:
                yield default_collate([self.dataset[int(i)] for i in indices])
