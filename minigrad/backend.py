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
    "strict"  a CPU stand-in for CuPy, used by the test suite (CI has no GPU): its arrays refuse
              whatever CuPy arrays refuse, and more (see strict.py).
"""

import ctypes
import ctypes.util

import numpy as np

from minigrad.strict import StrictBackend


class DeviceUnavailableError(RuntimeError):
    """Raised when a device is asked for that this machine cannot provide (e.g. no CuPy, no GPU)."""


# --------------------------------------------------------------------------------------------
# NumPy: the default backend
# --------------------------------------------------------------------------------------------


class NumpyBackend:
    name = "cpu"
    xp = np
    array_type = np.ndarray

    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return array

    def storage(self, array):
        """The array that owns the memory `array` looks at: itself, or the base of a view."""
        while isinstance(array.base, np.ndarray):
            array = array.base
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


def keep_freed_memory():
    """Ask the C library's malloc to keep freed memory for the next arrays (Linux/glibc only).

    A process-wide switch, off unless you call it (`minigrad.keep_freed_memory()`); the
    `minigrad demo` command and `python -m benchmarks` turn it on.

    Why: NumPy allocates a new array for every result, and glibc by default gives big blocks
    (above ~128 KiB) back to the operating system as soon as they are freed. The next training
    step then asks for the same memory again and pays a page fault for every 4 KiB of it: in
    W2 of benchmarks/ (a tiny GPT) ~25,000 faults, up to a third of the step's time. Keeping
    up to 512 MiB of freed memory in the process (and serving arrays up to 32 MiB from it)
    removes that cost. PyTorch's GPU caching allocator exists for the same reason.

    Nothing changes but speed and how soon memory goes back to the operating system. Returns
    True if the setting was applied, False where malloc is not glibc's (macOS, Windows, musl).
    """
    m_trim_threshold, m_mmap_threshold = -1, -3  # the option numbers in glibc's <malloc.h>
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc
        return False
    mallopt(m_mmap_threshold, 32 * 2**20)
    mallopt(m_trim_threshold, 512 * 2**20)
    return True


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

    def storage(self, array):
        while array.base is not None:
            array = array.base
        return array

    def is_array(self, obj):
        return isinstance(obj, self.array_type)

    def scatter_add(self, out, index, values):
        import cupyx

        cupyx.scatter_add(out, index, values)


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
