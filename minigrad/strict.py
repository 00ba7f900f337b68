"""The "strict" device: a CPU stand-in for CuPy that makes backend mistakes loud.

The test suite runs every op on "strict" as well as on "cpu" (CI has no GPU). Its arrays refuse
exactly what CuPy arrays refuse -- implicit conversion to NumPy (`np.asarray(a)`), mixing with
NumPy arrays (`a + np_array`) -- and, stricter than CuPy, any NumPy function applied to them
(`np.exp(a)`). Code that runs on "strict" only calls `xp.something(...)` on a tensor's data, and
so also runs on a GPU.

This is test infrastructure, not part of the engine a student needs to read.
"""

import numpy as np


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

    def storage(self, array):
        inner = array._array
        while isinstance(inner.base, np.ndarray):
            inner = inner.base
        return inner

    def scatter_add(self, out, index, values):
        # NumPy's own np.add.at: the plain reference for the sorted version the "cpu" backend
        # uses (backend._numpy_scatter_add), so tests on both devices also check they agree.
        np.add.at(out._array, _unwrap(index), _unwrap(values))
