"""PyTorch's module paths: `minigrad.utils.data` is `torch.utils.data` (see utils/data.py)."""

from minigrad.utils import data

__all__ = ["data"]
