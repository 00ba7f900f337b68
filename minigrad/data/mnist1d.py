"""Two small classification datasets for convolutional networks, made on this machine (no
download at run time). Both need the `lessons` extra: `pip install "minigrad[lessons]"`.

    load_mnist1d   MNIST-1D (Greydanus 2020): 10 classes of 1-D signals of length 40, made from
                   ten hand-drawn templates that are padded, scaled, SHIFTED, sheared and noised.
                   4,000 training and 1,000 test examples. Generated with the `mnist1d` package's
                   own generator (`mnist1d.data.make_dataset`), never its download.
    load_digits    scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes).

Both return (X_train, y_train, X_test, y_test) as float32 / int64 Tensors with a channel axis,
ready for Conv1d (N, 1, 40) or Conv2d (N, 1, 8, 8); `flat=True` gives (N, features) for an MLP.
"""

import functools
import importlib

import numpy as np

from minigrad.creation import tensor

EXTRA_HINT = 'pip install "minigrad[lessons]"  (or: pip install mnist1d scikit-learn)'


def _require(module, what):
    """Import an optional package, or fail with the extra that provides it. Imported when a
    loader is called, not with minigrad: most programs never need it (and mnist1d loads
    matplotlib and scipy)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{what} needs the optional package '{module.split('.')[0]}', part of minigrad's "
            f"'lessons' extra: {EXTRA_HINT}"
        ) from error


@functools.lru_cache(maxsize=4)
def _mnist1d_arrays(num_samples, seed):
    # Generating 5,000 signals takes a few seconds, so each (size, seed) is made once a process.
    data = _require("mnist1d.data", "load_mnist1d")
    args = data.get_dataset_args()  # the paper's settings: length 40, shifts up to 48, ...
    args.num_samples, args.seed = num_samples, seed
    d = data.make_dataset(args)  # generates in memory (get_dataset would download or pickle)
    return d["x"], d["y"], d["x_test"], d["y_test"]


def _as_tensors(x_train, y_train, x_test, y_test, shape, device):
    def features(x):
        return tensor(np.asarray(x, dtype=np.float32).reshape(len(x), *shape), device=device)

    def labels(y):
        return tensor(np.asarray(y, dtype=np.int64), device=device)

    return features(x_train), labels(y_train), features(x_test), labels(y_test)


def load_mnist1d(num_samples=5000, seed=42, flat=False, device=None):
    """MNIST-1D: X (N, 1, 40) float32 (or (N, 40) with flat=True), y (N,) int64 in 0..9.

    The defaults (5,000 samples, seed 42, 80 % for training) are the paper's, whose test
    accuracies are logistic regression 32 %, MLP 68 %, CNN 94 %, GRU 91 %.
    """
    x_train, y_train, x_test, y_test = _mnist1d_arrays(int(num_samples), int(seed))
    shape = (-1,) if flat else (1, -1)
    return _as_tensors(x_train, y_train, x_test, y_test, shape, device)


def load_digits(test_fraction=0.2, seed=0, flat=False, device=None):
    """scikit-learn's 8x8 digits, pixels scaled to [0, 1]: X (N, 1, 8, 8) (or (N, 64) with
    flat=True), y (N,) int64; a random split (fixed by `seed`) into train and test."""
    datasets = _require("sklearn.datasets", "load_digits")
    digits = datasets.load_digits()
    x = digits.images.astype(np.float32) / 16.0  # pixel values are 0..16
    y = digits.target
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    shape = (-1,) if flat else (1, 8, 8)
    return _as_tensors(x[train], y[train], x[test], y[test], shape, device)
