"""Shared test configuration: hypothesis profiles and the devices the suite runs on.

Profiles (choose with the environment variable HYPOTHESIS_PROFILE):
  ci        fast and derandomised, the default (and what CI runs)
  thorough  many more examples, random seeds: run it locally before a release
"""

import os

import pytest
from hypothesis import HealthCheck, settings

import minigrad

settings.register_profile(
    "ci",
    max_examples=15,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _test_devices():
    """'cpu' and the CuPy stand-in 'strict' always; 'cuda' too when a GPU is usable.

    MINIGRAD_TEST_DEVICES=cpu,cuda overrides the list (used on a GPU machine).
    """
    wanted = os.environ.get("MINIGRAD_TEST_DEVICES")
    if wanted:
        return [d.strip() for d in wanted.split(",") if d.strip()]
    devices = ["cpu", "strict"]
    if minigrad.cuda.is_available():
        devices.append("cuda")
    return devices


DEVICES = _test_devices()


@pytest.fixture(autouse=True)
def _fresh_global_state():
    """Every test starts on the CPU, in float32, with gradients enabled and a fixed seed."""
    minigrad.set_default_device("cpu")
    minigrad.set_default_dtype(minigrad.float32)
    minigrad.manual_seed(0)
    yield
    minigrad.set_default_device("cpu")
    minigrad.set_default_dtype(minigrad.float32)
    minigrad.set_grad_enabled(True)


@pytest.fixture(params=DEVICES, scope="session")
def device(request):
    """Each test that takes `device` runs once per device in DEVICES ("cpu", "strict", ...).

    Session-scoped because hypothesis refuses function-scoped fixtures in @given tests; the
    value is a plain string, so sharing it between tests is safe.
    """
    return request.param


@pytest.fixture(params=[d for d in DEVICES if d != "cpu"], scope="session")
def other_device(request):
    """Each device in DEVICES except "cpu": for tests that run on it and compare with the CPU."""
    return request.param
