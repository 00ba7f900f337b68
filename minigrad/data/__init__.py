"""Data utilities: PyTorch's `torch.utils.data`, plus small built-in datasets.

Datasets and loading (also importable as minigrad.utils.data, like torch.utils.data): Dataset,
IterableDataset, TensorDataset, Subset, ConcatDataset, random_split, DataLoader,
default_collate, default_convert, and the samplers Sampler, SequentialSampler, RandomSampler,
SubsetRandomSampler, WeightedRandomSampler, BatchSampler.
Preprocessing (F13): Standardizer, standardize.
Synthetic datasets: make_moons, make_circles, make_spirals, make_linear_regression,
make_polynomial_regression.
Text: load_text_corpus, CharDataset (character-level, next-character prediction).
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
from minigrad.data.datasets import (
    make_circles,
    make_linear_regression,
    make_moons,
    make_polynomial_regression,
    make_spirals,
)
from minigrad.data.preprocessing import Standardizer, standardize
from minigrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from minigrad.data.text import CharDataset, load_text_corpus

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "default_collate",
    "default_convert",
    "IterableDataset",
    "ConcatDataset",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DataLoader",
    "Standardizer",
    "standardize",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_linear_regression",
    "make_polynomial_regression",
    "load_text_corpus",
    "CharDataset",
]
