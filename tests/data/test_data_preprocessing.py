"""Standardization (F13 preprocessing): statistics by hand, train statistics reused on test data."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import Standardizer, standardize

TRAIN = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0], [5.0, 20.0, 5.0]], dtype=np.float32)
# by hand: mean = [3, 20, 5]; population std = [sqrt(8/3), sqrt(200/3), 0 -> 1]
MEAN = np.array([3.0, 20.0, 5.0])
STD = np.array([np.sqrt(8 / 3), np.sqrt(200 / 3), 1.0])


def test_fit_transform_by_hand(device):
    x = mg.tensor(TRAIN, device=device)
    scaler = Standardizer().fit(x)
    np.testing.assert_allclose(scaler.mean.numpy(), [MEAN], rtol=1e-6)
    np.testing.assert_allclose(scaler.std.numpy(), [STD], rtol=1e-6)
    z = scaler.transform(x)
    assert z.device == device and z.dtype == np.float32
    np.testing.assert_allclose(z.numpy(), (TRAIN - MEAN) / STD, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z.numpy()[:, :2].mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(z.numpy()[:, :2].std(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(z.numpy()[:, 2], 0.0)  # a constant column -> 0, not NaN
    np.testing.assert_allclose(scaler.inverse_transform(z).numpy(), TRAIN, rtol=1e-5)


def test_test_data_uses_the_training_statistics():
    test = np.array([[7.0, 20.0, 6.0]], dtype=np.float32)
    scaler = Standardizer().fit(TRAIN)
    np.testing.assert_allclose(scaler.transform(test).numpy(), (test - MEAN) / STD, rtol=1e-5)
    np.testing.assert_allclose(
        scaler.fit_transform(TRAIN).numpy(), (TRAIN - MEAN) / STD, rtol=1e-5, atol=1e-6
    )


def test_standardize_function():
    z, mean, std = standardize(TRAIN)
    np.testing.assert_allclose(mean.numpy(), [MEAN], rtol=1e-6)
    np.testing.assert_allclose(std.numpy(), [STD], rtol=1e-6)
    test = np.array([[3.0, 40.0, 5.0]], dtype=np.float32)
    z_test, mean2, std2 = standardize(test, mean, std)
    np.testing.assert_allclose(z_test.numpy(), [[0.0, 20.0 / STD[1], 0.0]], rtol=1e-5, atol=1e-6)
    assert mean2 is mean and std2 is std
    with pytest.raises(ValueError, match="both"):
        standardize(TRAIN, mean=mean)


def test_no_gradient_history_in_the_statistics():
    x = mg.tensor(TRAIN, requires_grad=True)
    scaler = Standardizer().fit(x)
    assert not scaler.mean.requires_grad and not scaler.std.requires_grad
    scaler.transform(x).sum().backward()  # gradients still flow through transform
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(1.0 / STD, TRAIN.shape), rtol=1e-5)


def test_integers_become_floats_and_state_dict_round_trip():
    scaler = Standardizer().fit(np.array([[1, 2], [3, 6]]))
    assert scaler.mean.dtype == np.float32
    other = Standardizer()
    other.load_state_dict(scaler.state_dict())
    np.testing.assert_array_equal(other.transform([[3.0, 6.0]]).numpy(), [[1.0, 1.0]])


def test_unfitted_standardizer_raises():
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().transform(TRAIN)
