"""`import minigrad.utils.data` works like `import torch.utils.data`: the same names, defined
in minigrad/data/ (this module only re-exports them, so ported code keeps its imports).

    from minigrad.utils.data import DataLoader, TensorDataset, random_split
"""

from minigrad.data.dataloader import DataLoader
from minigrad.data.dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)
from minigrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "DataLoader", "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
    "random_split", "default_collate", "default_convert", "Sampler", "SequentialSampler",
    "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
]  # fmt: skip
