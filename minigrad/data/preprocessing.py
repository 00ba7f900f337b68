"""Standardization: the "preprocess (normalise)" step of the training loop (F13).

    x_std = (x - mean) / std        per feature (column), mean and std measured on training data

Why: features on very different scales (age in years next to income in euros) make the loss
surface a long narrow valley, where one learning rate is too big for one direction and too small
for another. After standardization every feature has mean 0 and standard deviation 1.

The statistics must come from the TRAINING data only and then be reused, unchanged, for the
validation and test data -- otherwise information about the test set leaks into training.
`Standardizer` keeps them for exactly that:

    scaler = Standardizer().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
"""

from minigrad.creation import tensor
from minigrad.grad_mode import no_grad
from minigrad.tensor import Tensor


def _as_tensor(x):
    """Tensors pass through; arrays and lists become Tensors; integers become floats."""
    x = x if isinstance(x, Tensor) else tensor(x)
    return x if x.dtype.kind == "f" else x.float()


class Standardizer:
    """Learns per-feature mean and std with `fit`, then maps x -> (x - mean) / std.

    std is the population standard deviation (divide by n, as scikit-learn's StandardScaler).
    A feature that is constant in the training data has std 0; it is divided by 1 instead, so it
    becomes 0 rather than NaN.

    Statistics are taken over axis 0 (the samples) and kept with keepdims, so they broadcast
    against batches of any number of rows. They are Tensors, without gradient history.
    """

    def __init__(self):
        self.mean = None
        self.std = None

    def fit(self, x):
        x = _as_tensor(x)
        with no_grad():
            self.mean = x.mean(axis=0, keepdims=True)
            std = x.var(axis=0, correction=0, keepdims=True).sqrt()
            self.std = std.masked_fill(std == 0, 1.0)
        return self

    def _check_fitted(self):
        if self.mean is None:
            raise RuntimeError("this Standardizer is not fitted yet: call fit(x_train) first")

    def transform(self, x):
        self._check_fitted()
        return (_as_tensor(x) - self.mean) / self.std

    def inverse_transform(self, x_std):
        """Undo transform: x = x_std * std + mean (e.g. to report predictions in real units)."""
        self._check_fitted()
        return _as_tensor(x_std) * self.std + self.mean

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def state_dict(self):
        self._check_fitted()
        return {"mean": self.mean, "std": self.std}

    def load_state_dict(self, state_dict):
        self.mean = _as_tensor(state_dict["mean"])
        self.std = _as_tensor(state_dict["std"])


def standardize(x, mean=None, std=None):
    """Return (x_std, mean, std) with x_std = (x - mean) / std.

    Without mean and std they are computed from x itself (per feature, over axis 0, population
    std, zeros replaced by 1). Pass the training set's mean and std to standardize other data:

        X_train, mean, std = standardize(X_train)
        X_test, _, _ = standardize(X_test, mean, std)
    """
    if (mean is None) != (std is None):
        raise ValueError("standardize: pass both mean and std, or neither")
    scaler = Standardizer()
    if mean is None:
        scaler.fit(x)
    else:
        scaler.load_state_dict({"mean": mean, "std": std})
    return scaler.transform(x), scaler.mean, scaler.std
