"""Data types. minigrad uses NumPy's dtype objects (CuPy uses the same ones).

The default floating-point type is float32, as in PyTorch: half the memory of float64 and what
GPUs are fast at. Gradient checks switch to float64, where finite differences are accurate.
"""

import numpy as np

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool = np.dtype("bool")  # noqa: A001 -- the PyTorch name (torch.bool)

# PyTorch's other names for the same types. They are the same objects, so
# `minigrad.long is minigrad.int64` and a dtype compares equal whichever name made it.
half = float16
float = float32  # noqa: A001 -- the PyTorch name (torch.float)
double = float64
short = int16
int = int32  # noqa: A001 -- the PyTorch name (torch.int)
long = int64

NAMES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}

# The legacy type names that `x.type()` returns, as PyTorch's 'torch.FloatTensor'.
TYPE_NAMES = {
    float16: "minigrad.HalfTensor",
    float32: "minigrad.FloatTensor",
    float64: "minigrad.DoubleTensor",
    int8: "minigrad.CharTensor",
    int16: "minigrad.ShortTensor",
    int32: "minigrad.IntTensor",
    int64: "minigrad.LongTensor",
    uint8: "minigrad.ByteTensor",
    bool: "minigrad.BoolTensor",
}


def name(dtype):
    """How a dtype prints: 'minigrad.float32', as PyTorch prints 'torch.float32'."""
    return f"minigrad.{dtype.name}"


_default_dtype = float32


def as_dtype(dtype):
    """Accept minigrad.float32, np.float32, "float32", "minigrad.long" and the like."""
    if isinstance(dtype, str) and lookup_name(dtype) is not None:
        dtype = lookup_name(dtype)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype; use e.g. minigrad.float32") from None
    if dtype.name not in NAMES:
        raise TypeError(f"dtype {dtype} is not supported; use one of {sorted(NAMES)}")
    return dtype


_ALIASES = {
    "half": float16,
    "float": float32,
    "double": float64,
    "short": int16,
    "int": int32,
    "long": int64,
}


def lookup_name(text):
    """The dtype a name stands for ("float32", "minigrad.long", "int"), or None."""
    text = text.removeprefix("minigrad.")
    if text in _ALIASES:
        return _ALIASES[text]
    return np.dtype(text) if text in NAMES else None


def get_default_dtype():
    return _default_dtype


def set_default_dtype(dtype):
    """The dtype that Python floats and random tensors get (float32 unless changed)."""
    global _default_dtype
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"the default dtype must be a floating-point type, not {dtype}")
    _default_dtype = dtype


def infer_dtype(data):
    """The dtype of Python data: floats -> the default float dtype, ints -> int64, bools -> bool."""
    kind = np.asarray(data).dtype.kind
    if kind == "f":
        return _default_dtype
    if kind == "b":
        return bool
    if kind in "iu":
        return int64
    raise TypeError(f"cannot make a tensor from {type(data).__name__} data (NumPy kind {kind!r})")
