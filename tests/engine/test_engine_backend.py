"""The "strict" device: a CPU stand-in for CuPy that makes backend mistakes loud.

CI has no GPU, so engine code is proven GPU-clean by running it on "strict", whose arrays refuse
exactly what CuPy arrays refuse. These tests show that the stand-in really does refuse (so a
planted ``np.exp(t.array)`` cannot slip through) and that "cpu" and "strict" compute the same."""

import numpy as np
import pytest
from helpers_engine import SPECS, as_tuple, call, draw_case, grad_numpy
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg


def strict(values, **kwargs):
    return mg.tensor(np.asarray(values, dtype=np.float64), device="strict", **kwargs)


# ----------------------------------------------------------------------------------------------
# The stand-in refuses what CuPy refuses
# ----------------------------------------------------------------------------------------------


def test_numpy_function_on_strict_data_raises():
    """A planted ``np.exp(t.array)`` fails loudly on "strict" (CuPy would fail too)."""
    t = strict([1.0, 2.0])
    with pytest.raises(TypeError, match="strict"):
        np.exp(t.array)
    with pytest.raises(TypeError):
        np.sum(t.array)


def test_implicit_conversion_to_numpy_raises():
    """np.asarray / np.array on strict data raise, as they do on CuPy arrays."""
    t = strict([1.0, 2.0])
    with pytest.raises(TypeError):
        np.asarray(t.array)
    with pytest.raises(TypeError):
        np.array(t.array)


def test_mixing_strict_and_numpy_arrays_raises():
    """strict_array + numpy_array is refused in both orders."""
    t = strict([1.0, 2.0])
    with pytest.raises(TypeError):
        t.array + np.ones(2)
    with pytest.raises(TypeError):
        np.ones(2) + t.array


def test_xp_module_works_on_strict_data():
    """The backend's array module (t.xp) is the right way: it computes and stays on device."""
    t = strict([0.0, 1.0])
    backend = mg.backend.get_backend("strict")
    out = t.xp.exp(t.array)
    assert backend.is_array(out)
    assert not isinstance(out, np.ndarray)
    np.testing.assert_allclose(backend.to_numpy(out), np.exp([0.0, 1.0]), rtol=1e-15)
    assert backend.name == "strict"
    assert mg.backend.get_backend("cpu").xp is np


class PlantedNumpyExp(mg.Function):
    """exp written WRONGLY with np.exp instead of ctx.xp.exp: fine on cpu, not on a GPU."""

    @staticmethod
    def forward(ctx, x):
        return np.exp(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_planted_numpy_call_in_a_function_is_caught_on_strict():
    """The same Function works on "cpu" but raises TypeError on "strict": this is how the suite
    catches engine code that would break on CuPy."""
    np.testing.assert_allclose(PlantedNumpyExp.apply(mg.tensor([0.0])).numpy(), [1.0])
    with pytest.raises(TypeError):
        PlantedNumpyExp.apply(strict([0.0]))


# ----------------------------------------------------------------------------------------------
# Moving between devices
# ----------------------------------------------------------------------------------------------


def test_to_round_trip_keeps_values_and_dtype():
    """.to("strict") then .to("cpu") gives back the same values and dtype."""
    for dtype in (mg.float32, mg.float64, mg.int64):
        values = np.arange(6).reshape(2, 3).astype(dtype)
        t = mg.tensor(values)
        s = t.to("strict")
        assert s.device == "strict" and s.dtype == dtype and s.shape == (2, 3)
        back = s.to("cpu")
        assert back.device == "cpu" and back.dtype == dtype
        np.testing.assert_array_equal(back.numpy(), values)


def test_numpy_and_item_work_on_strict():
    """.numpy() returns a real NumPy array (a host copy), .item() and .tolist() work."""
    s = strict([[1.5, 2.5]])
    host = s.numpy()
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(host, [[1.5, 2.5]])
    host[0, 0] = 99.0  # a copy: the device tensor is unchanged
    np.testing.assert_array_equal(s.numpy(), [[1.5, 2.5]])
    assert s[0, 1].item() == 2.5
    assert s.tolist() == [[1.5, 2.5]]


def test_gradients_flow_through_to():
    """.to() is differentiable: a loss computed on "strict" sends gradients to a "cpu" leaf."""
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    loss = (x.to("strict") * 3.0).sum()
    loss.backward()
    assert x.grad is not None
    np.testing.assert_array_equal(grad_numpy(x), [3.0, 3.0])


def test_default_device():
    """set_default_device("strict") puts new tensors there; the fixture resets it to cpu."""
    mg.set_default_device("strict")
    assert mg.get_default_device() == "strict"
    assert mg.zeros(2).device == "strict"
    assert mg.tensor([1.0]).device == "strict"


def test_same_seed_same_random_numbers_on_every_device():
    """Random numbers are drawn on the host: one seed gives the same randn/rand/randint on
    "cpu" and "strict"."""
    draws = {}
    for device in ("cpu", "strict"):
        mg.manual_seed(1234)
        draws[device] = (
            mg.randn(3, 4, device=device).numpy(),
            mg.rand(5, device=device).numpy(),
            mg.randint(0, 10, (6,), device=device).numpy(),
        )
    for a, b in zip(draws["cpu"], draws["strict"], strict=True):
        np.testing.assert_array_equal(a, b)
    mg.manual_seed(1235)
    assert not np.array_equal(mg.randn(3, 4).numpy(), draws["cpu"][0])


# ----------------------------------------------------------------------------------------------
# cpu and strict compute identical results
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", sorted(SPECS))
@given(data=st.data())
def test_cpu_and_strict_agree_exactly(op, data):
    """Each op's forward result and gradient are bit-for-bit the same on "cpu" and "strict"
    (both run NumPy underneath, so any difference is a backend bug)."""
    spec = SPECS[op]
    case = draw_case(spec, data)
    results = {}
    for device in ("cpu", "strict"):
        tensors = case.tensors(device)
        outs = call(spec, case, tensors, device)
        mg.autograd.backward(list(outs), [mg.ones_like(o) for o in outs])
        results[device] = ([o.numpy() for o in as_tuple(outs)], [grad_numpy(t) for t in tensors])
    for a, b in zip(
        results["cpu"][0] + results["cpu"][1],
        results["strict"][0] + results["strict"][1],
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
