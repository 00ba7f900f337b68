"""DataLoader: walk through a dataset in mini-batches ("batch learning", F13).

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, generator=0)
    for epoch in range(10):
        for xb, yb in loader:          # every sample exactly once per epoch
            ...

One pass over the loader is one epoch. With shuffle=True a new random order is drawn at the
start of every epoch; the same generator seed gives the same sequence of orders.

The arguments are PyTorch's. Inside, as in PyTorch, a sampler gives the order of the indices and
a batch sampler groups them into batches (sampler.py); each batch of indices is turned into a
batch of samples and collated (default_collate). Two differences, both documented in
docs/porting-from-pytorch.md:

* num_workers > 0 is accepted but the samples are loaded in this process: there are no worker
  processes (minigrad's datasets are in memory, where workers would only add start-up time).
  worker_init_fn is therefore never called; timeout, prefetch_factor, persistent_workers and
  multiprocessing_context are checked as PyTorch checks them and otherwise ignored.
* pin_memory is accepted and does nothing (pinned host memory speeds up copies to a CUDA GPU;
  minigrad's batches are made where the dataset lives).

A progress bar, as with PyTorch's DataLoader, comes from wrapping the loader in tqdm (len(loader)
gives the bar its length):

    from tqdm import tqdm
    for xb, yb in tqdm(loader, desc=f"epoch {epoch}"):
        ...
"""

import numpy as np

from minigrad.data.dataset import Dataset, IterableDataset, default_collate, default_convert
from minigrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    _check_positive_int,
    _seeded_once,
)


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` samples (torch.utils.data.DataLoader).

    Args:
        dataset: a Dataset (or any object with __len__ and __getitem__), or an IterableDataset.
        batch_size: samples per batch; None: no batching, one sample at a time.
        shuffle: draw a new random order of the samples at every epoch.
        sampler: the order of the indices (instead of shuffle).
        batch_sampler: yields whole lists of indices (instead of batch_size, shuffle, sampler
            and drop_last).
        num_workers: accepted; loading happens in this process (see the module's docstring).
        collate_fn: makes a batch from a list of samples (default: default_collate).
        pin_memory: accepted; does nothing.
        drop_last: skip the last, smaller batch when len(dataset) is not a multiple of
            batch_size (useful when every batch must have the same shape).
        generator: a minigrad.Generator or an int seed for the shuffling (default: the default
            generator, so `minigrad.manual_seed` makes runs reproducible).

    For a Dataset with the default collate_fn, a batch is what the dataset's `get_batch`
    returns: for a TensorDataset(X, y), a list [X[batch], y[batch]] of Tensors.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
    ):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if isinstance(dataset, IterableDataset):
            _check_iterable_options(shuffle, sampler, batch_sampler)
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "batch_size=None option disables auto-batching and is mutually exclusive "
                    "with drop_last"
                )
        else:
            _check_positive_int("batch_size", batch_size)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.collate_fn = collate_fn
        # An int seed becomes one Generator now, so that each epoch gets a different order.
        self.generator = _seeded_once(generator)
        if sampler is None and not isinstance(dataset, IterableDataset):
            if shuffle:
                sampler = RandomSampler(dataset, generator=self.generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler

    def __len__(self):
        """The number of batches in one epoch."""
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # a TypeError if the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._iterate_stream()
        elif self.batch_sampler is None:  # batch_size=None: one sample at a time
            convert = self.collate_fn or default_convert
            for index in self.sampler:
                yield convert(self.dataset[index])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(indices)

    def _fetch(self, indices):
        """The batch of the samples at `indices`."""
        if self.collate_fn is None and isinstance(self.dataset, Dataset):
            # A Dataset may gather a whole batch at once (TensorDataset indexes its tensors once).
            return self.dataset.get_batch(np.asarray(indices, dtype=np.int64))
        collate = self.collate_fn or default_collate
        return collate([self.dataset[index] for index in indices])

    def _iterate_stream(self):
        """Batches from an IterableDataset, in the order of the stream."""
        if self.batch_size is None:
            convert = self.collate_fn or default_convert
            for sample in self.dataset:
                yield convert(sample)
            return
        collate = self.collate_fn or default_collate
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    """PyTorch's checks of the multiprocessing options (which minigrad accepts and ignores)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing. Let "
            "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable_options(shuffle, sampler, batch_sampler):
    """An IterableDataset has no indices: nothing can order or shuffle them."""
    for name, value, unset in (
        ("shuffle", shuffle, not shuffle),
        ("sampler", sampler, sampler is None),
        ("batch_sampler", batch_sampler, batch_sampler is None),
    ):
        if not unset:
            raise ValueError(
                f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                f"{name}={value!r}"
            )
