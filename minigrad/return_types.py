"""The named tuples some ops return, as in PyTorch's `torch.return_types`.

    values, indices = x.max(dim=1)      # unpacks like a tuple
    x.max(dim=1).indices                # or by name

One small class per op, so `type(result).__name__` says which op made it, as PyTorch's does.
"""

from typing import NamedTuple


class max(NamedTuple):  # noqa: A001 - PyTorch's name: torch.return_types.max
    values: object  # a Tensor (not imported: ops import this module, tensor.py imports ops)
    indices: object  # an integer Tensor


class min(NamedTuple):  # noqa: A001 - PyTorch's name: torch.return_types.min
    values: object
    indices: object


class sort(NamedTuple):
    values: object
    indices: object


class topk(NamedTuple):
    values: object
    indices: object


class kthvalue(NamedTuple):
    values: object
    indices: object
