"""The MNIST-1D and 8x8-digits loaders (the `lessons` extra): shapes, dtypes, determinism, and
a clear error naming the extra when the package is missing."""

import importlib

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import mnist1d as loaders


def test_missing_package_names_the_extra(monkeypatch):
    real_import = importlib.import_module

    def refuse(name, *args):
        if name.startswith(("mnist1d", "sklearn")):
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", refuse)
    loaders._mnist1d_arrays.cache_clear()
    with pytest.raises(ImportError, match=r"'mnist1d'.*'lessons' extra.*minigrad\[lessons\]"):
        loaders.load_mnist1d(num_samples=100, seed=1)
    with pytest.raises(ImportError, match=r"'sklearn'.*'lessons' extra"):
        loaders.load_digits()


def test_mnist1d_shapes_and_determinism():
    pytest.importorskip("mnist1d", reason="needs the 'lessons' extra (mnist1d)")
    x, y, x_test, y_test = loaders.load_mnist1d(num_samples=200, seed=3)
    assert x.shape == (160, 1, 40) and x_test.shape == (40, 1, 40)
    assert x.dtype == mg.float32 and y.dtype == mg.int64
    assert set(np.unique(y.numpy())) <= set(range(10))
    again = loaders.load_mnist1d(num_samples=200, seed=3, flat=True)
    np.testing.assert_array_equal(again[0].numpy(), x.numpy().reshape(160, 40))


def test_digits_shapes_and_split():
    pytest.importorskip("sklearn", reason="needs the 'lessons' extra (scikit-learn)")
    x, y, x_test, y_test = loaders.load_digits()
    assert x.shape[1:] == (1, 8, 8) and x.shape[0] + x_test.shape[0] == 1797
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0
    flat = loaders.load_digits(flat=True)
    assert flat[0].shape == (x.shape[0], 64)
