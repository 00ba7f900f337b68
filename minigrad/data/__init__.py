"""Data utilities: PyTorch's `torch.utils.data`, plus small built-in datasets.

Datasets and loading: Dataset, TensorDataset, Subset, random_split, DataLoader, default_collate.
Preprocessing (F13): Standardizer, standardize.
Synthetic datasets: make_moons, make_circles, make_spirals, make_linear_regression,
make_polynomial_regression.
Text: load_text_corpus, CharDataset (character-level, next-character prediction).
"""

from minigrad.data.dataloader import DataLoader
from minigrad.data.dataset import (
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
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
from minigrad.data.text import CharDataset, load_text_corpus

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "default_collate",
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
