"""`minigrad.cuda.is_available()`, as torch.cuda.is_available()."""

from minigrad.backend import cuda_is_available


def is_available():
    """True when CuPy is installed and sees an NVIDIA GPU; then device="cuda" works."""
    return cuda_is_available()
