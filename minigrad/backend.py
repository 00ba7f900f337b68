"""Array backends: where a tensor's numbers live and which library computes with them.

A backend is a small object with:

    name       the device name a tensor reports: "cpu", "cuda" or "strict"
    xp         the array module: numpy, cupy, or the strict stand-in (NumPy-compatible API)
    asarray    make a backend array from host data (lists, numbers, NumPy arrays)
    to_numpy   copy a backend array to a NumPy array on the host
    scatter_add  out[index] += values, with repeated indices adding up (used by indexing's backward)

Engine code asks a tensor for its `xp` and only calls `xp.something(...)`: it never calls NumPy
directly on a tensor's data. That single rule is what lets the same code run on a GPU through CuPy.

Devices:
    "cpu"     NumPy (the default)
    "cuda"    CuPy on an NVIDIA GPU (`pip install minigrad[gpu]`)
    "strict"  a CPU stand-in for CuPy, used by the test suite (CI has no GPU). Its arrays refuse
              exactly what CuPy arrays refuse -- implicit conversion to NumPy (`np.asarray(a)`),
              mixing with NumPy arrays (`a + np_array`) -- and, stricter than CuPy, any NumPy
              function applied to them (`np.exp(a)`). Code that runs on "strict" is backend-clean.
"""

import numpy as np


class DeviceUnavailableError(RuntimeError):
    """Raised when a device is asked for that this machine cannot provide (e.g. no CuPy, no GPU)."""


# --------------------------------------------------------------------------------------------
# NumPy: the default backend
# --------------------------------------------------------------------------------------------


class NumpyBackend:
    name = "cpu"
    xp = np
    array_type = np.ndarray

    def __init__(self):
        _keep_freed_memory()

    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return array

    def is_array(self, obj):
        return isinstance(obj, np.ndarray)

    def scatter_add(self, out, index, values):
        _numpy_scatter_add(out, index, values)


def _numpy_scatter_add(out, index, values):
    """out[index] += values for NumPy arrays, repeated indices adding up.

    The common case -- one integer array picking rows of `out`, as in the backward pass of an
    embedding -- is done by sorting: equal indices become neighbours, `np.add.reduceat` sums each
    run of them, and every distinct row is then updated once. That is several times faster than
    `np.add.at`, which visits the indices one by one; anything else still goes to `np.add.at`.
    """
    parts = index if isinstance(index, tuple) else (index,)
    rows = parts[0] if len(parts) == 1 else None
    if (
        not isinstance(rows, np.ndarray)
        or rows.dtype.kind not in "iu"
        or rows.ndim == 0
        or out.ndim == 0
        or rows.size == 0
        or values.shape != rows.shape + out.shape[1:]
    ):
        np.add.at(out, index, values)
        return
    flat = rows.reshape(-1) % out.shape[0]  # negative indices count from the end, as in out[i]
    order = np.argsort(flat, kind="stable")  # stable: each row's values keep their order
    sorted_rows = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_rows[1:] != sorted_rows[:-1])))
    sums = np.add.reduceat(values.reshape(flat.size, -1)[order], starts, axis=0)
    out[sorted_rows[starts]] += sums.reshape((starts.size,) + out.shape[1:])


def _keep_freed_memory():
    """Ask the C library's malloc to keep freed memory for the next arrays (Linux/glibc only).

    Why: NumPy allocates a new array for every result, and glibc by default gives big blocks
    (above ~128 KiB) back to the operating system as soon as they are freed. The next training
    step then asks for the same memory again and pays a page fault for every 4 KiB of it: in
    W2 of benchmarks/ (a tiny GPT) ~25,000 faults, a third of the step's time. Keeping up to
    512 MiB of freed memory in the process (and serving arrays up to 32 MiB from it) removes
    that cost. PyTorch's GPU caching allocator exists for the same reason.

    Nothing changes but speed and how soon memory is returned; elsewhere this does nothing.
    Set the environment variable MINIGRAD_KEEP_FREED_MEMORY=0 to leave malloc's settings alone.
    """
    import os

    if os.environ.get("MINIGRAD_KEEP_FREED_MEMORY", "1") == "0":
        return
    import ctypes
    import ctypes.util

    m_trim_threshold, m_mmap_threshold = -1, -3  # the option numbers in glibc's <malloc.h>
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl, ...)
        return
    mallopt(m_mmap_threshold, 32 * 2**20)
    mallopt(m_trim_threshold, 512 * 2**20)


# --------------------------------------------------------------------------------------------
# CuPy: the GPU backend, imported only when a tensor is first put on "cuda"
# --------------------------------------------------------------------------------------------


class CupyBackend:
    name = "cuda"

    def __init__(self):
        try:
            import cupy
        except ImportError:
            raise DeviceUnavailableError(
                "device 'cuda' needs CuPy, which is not installed. Install it with "
                "`pip install minigrad[gpu]` (CuPy for CUDA 12), or use device='cpu'."
            ) from None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:  # CuPy raises its own CUDARuntimeError when no driver exists
            count = 0
            reason = f" ({type(error).__name__}: {error})"
        else:
            reason = ""
        if count == 0:
            raise DeviceUnavailableError(
                "device 'cuda': CuPy is installed but no CUDA GPU is available on this machine"
                f"{reason}. Use device='cpu', or run on a machine with an NVIDIA GPU."
            )
        self.xp = cupy
        self.array_type = cupy.ndarray

    def asarray(self, data, dtype=None):
        return self.xp.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return self.xp.asnumpy(array)

    def is_array(self, obj):
        return isinstance(obj, self.array_type)

    def scatter_add(self, out, index, values):
        import cupyx

        cupyx.scatter_add(out, index, values)


# --------------------------------------------------------------------------------------------
# "strict": a CPU stand-in for CuPy that makes backend mistakes loud
# --------------------------------------------------------------------------------------------


def _refuse_numpy(what):
    raise TypeError(
        f"{what} on a 'strict' device array. The strict device stands in for a GPU: like a CuPy "
        "array, its data cannot be handed to NumPy. Use the backend's array module "
        "(`xp = tensor.xp`; `xp.exp(...)`) or copy it to the host with `.numpy()`."
    )


def _unwrap(obj):
    """StrictArray -> its NumPy array (also inside lists, tuples, dicts); NumPy arrays refused."""
    if isinstance(obj, StrictArray):
        return obj._array
    if isinstance(obj, np.ndarray):
        raise TypeError(
            "mixing a 'strict' device array with a NumPy array (as with CuPy, arrays on "
            "different devices cannot be combined); move the NumPy data to the device first"
        )
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap(item) for item in obj)
    if isinstance(obj, dict):  # keyword arguments, e.g. out=... (CuPy accepts it too)
        return {key: _unwrap(value) for key, value in obj.items()}
    return obj


def _wrap(obj):
    """NumPy results -> StrictArray. NumPy scalars become 0-d arrays, as CuPy returns them."""
    if isinstance(obj, np.ndarray):
        return StrictArray(obj)
    if isinstance(obj, np.generic):
        return StrictArray(np.asarray(obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_wrap(item) for item in obj)
    return obj


class StrictArray:
    """A NumPy array in a box: arithmetic works, handing it to NumPy does not."""

    __slots__ = ("_array",)
    __hash__ = None

    def __init__(self, array):
        self._array = array

    # Everything NumPy could use to get at the data refuses.
    def __array__(self, dtype=None, copy=None):
        _refuse_numpy("implicit conversion to a NumPy array (np.asarray / np.array)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse_numpy(f"the NumPy function np.{ufunc.__name__} was called")

    def __array_function__(self, func, types, args, kwargs):
        _refuse_numpy(f"the NumPy function np.{func.__name__} was called")

    # Attributes and methods (reshape, sum, astype, ...) come from the NumPy array, re-wrapped.
    def __getattr__(self, name):
        if name.startswith("__"):
            # NumPy looks for __array_interface__ / __array_struct__ to reach the raw buffer;
            # passing those through would let np.asarray(a) succeed where CuPy refuses it.
            raise AttributeError(name)
        attribute = getattr(self._array, name)
        if not callable(attribute):
            return _wrap(attribute)

        def method(*args, **kwargs):
            return _wrap(attribute(*_unwrap(args), **_unwrap(kwargs)))

        return method

    def __repr__(self):
        return "strict_" + repr(self._array)

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        return (_wrap(item) for item in self._array)

    def __bool__(self):
        return bool(self._array)

    def __float__(self):
        return float(self._array)

    def __int__(self):
        return int(self._array)

    def __index__(self):
        return self._array.__index__()

    def __getitem__(self, index):
        return _wrap(self._array[_unwrap(index)])

    def __setitem__(self, index, value):
        self._array[_unwrap(index)] = _unwrap(value)


def _binary_method(name):
    def method(self, other):
        return _wrap(getattr(self._array, name)(_unwrap(other)))

    method.__name__ = name
    return method


def _inplace_method(name):
    def method(self, other):
        getattr(self._array, name)(_unwrap(other))
        return self

    method.__name__ = name
    return method


def _unary_method(name):
    def method(self):
        return _wrap(getattr(self._array, name)())

    method.__name__ = name
    return method


# The operator methods all have the same shape (unwrap, call NumPy's, wrap), so they are made
# in a loop rather than written out forty times. This is test infrastructure, not an op.
for _name in (
    "add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod pow rpow "
    "matmul rmatmul and rand or ror xor rxor lt le gt ge eq ne"
).split():
    setattr(StrictArray, f"__{_name}__", _binary_method(f"__{_name}__"))
for _name in "iadd isub imul itruediv ipow iand ior".split():
    setattr(StrictArray, f"__{_name}__", _inplace_method(f"__{_name}__"))
for _name in "neg pos abs invert".split():
    setattr(StrictArray, f"__{_name}__", _unary_method(f"__{_name}__"))


class _StrictFunction:
    """A NumPy function (or ufunc) that unwraps its arguments and wraps its results."""

    def __init__(self, function):
        self._function = function

    def __call__(self, *args, **kwargs):
        return _wrap(self._function(*_unwrap(args), **_unwrap(kwargs)))

    def __getattr__(self, name):  # ufunc methods such as np.add.at / np.maximum.reduce
        return _StrictFunction(getattr(self._function, name))


class _StrictNamespace:
    """Looks like the `numpy` module, but every function takes and returns StrictArrays."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        attribute = getattr(self._module, name)
        if isinstance(attribute, type(np)):  # a submodule such as xp.linalg
            return _StrictNamespace(attribute)
        if isinstance(attribute, (type, np.dtype)) or not callable(attribute):
            return attribute  # dtypes (xp.float32), constants (xp.pi, xp.newaxis)
        return _StrictFunction(attribute)


class StrictBackend:
    name = "strict"
    xp = _StrictNamespace(np)
    array_type = StrictArray

    def asarray(self, data, dtype=None):
        if isinstance(data, StrictArray):
            data = data._array
        return StrictArray(np.asarray(data, dtype=dtype))

    def to_numpy(self, array):
        return np.array(array._array)

    def is_array(self, obj):
        return isinstance(obj, StrictArray)

    def scatter_add(self, out, index, values):
        _numpy_scatter_add(out._array, _unwrap(index), _unwrap(values))


# --------------------------------------------------------------------------------------------
# Looking backends up by device name
# --------------------------------------------------------------------------------------------

_BACKEND_CLASSES = {"cpu": NumpyBackend, "cuda": CupyBackend, "strict": StrictBackend}
_backends = {}  # device name -> backend instance, created on first use
_default_device = "cpu"


def normalize_device(device):
    """Accept "cpu", "cuda", "cuda:0", "strict" (and None for the default device)."""
    if device is None:
        return _default_device
    name = str(device).lower()
    if name.startswith("cuda:"):
        if name != "cuda:0":
            raise ValueError(
                f"device {device!r}: minigrad uses a single GPU; use 'cuda' or 'cuda:0'"
            )
        name = "cuda"
    if name not in _BACKEND_CLASSES:
        known = ", ".join(repr(k) for k in _BACKEND_CLASSES)
        raise ValueError(f"unknown device {device!r}; known devices are {known}")
    return name


def get_backend(device=None):
    """The backend object for a device name (created, and for CuPy imported, on first use)."""
    backend = _backends.get(device)  # fast path: a tensor's device is already a normalised name
    if backend is not None:
        return backend
    name = normalize_device(device)
    backend = _backends.get(name)
    if backend is None:
        backend = _BACKEND_CLASSES[name]()
        _backends[name] = backend
    return backend


def set_default_device(device):
    """Where new tensors go when no device is given (like torch.set_default_device)."""
    global _default_device
    name = normalize_device(device)
    get_backend(name)  # fail now, with the clear error, if the device is unavailable
    _default_device = name


def get_default_device():
    return _default_device


def cuda_is_available():
    """True when CuPy is installed and can see a GPU."""
    try:
        get_backend("cuda")
    except DeviceUnavailableError:
        return False
    return True
