"""Module.register_buffer: PyTorch's semantics for state that is saved and moved but not trained."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.register_buffer("scale", mg.ones(2))
        self.register_buffer("steps", mg.tensor(0, dtype=mg.int64))
        self.register_buffer("cache", mg.zeros(3), persistent=False)
        self.register_buffer("nothing", None)


def test_buffers_are_attributes_but_not_parameters():
    m = WithBuffers()
    assert isinstance(m.scale, mg.Tensor) and m.nothing is None
    assert [n for n, _ in m.named_parameters()] == ["linear.weight", "linear.bias"]
    assert [n for n, _ in m.named_buffers()] == ["scale", "steps", "cache"]
    assert len(list(m.buffers())) == 3
    outer = nn.Sequential(m)
    assert [n for n, _ in outer.named_buffers()] == ["0.scale", "0.steps", "0.cache"]


def test_persistent_buffers_are_in_state_dict_in_torch_order():
    m = WithBuffers()
    assert list(m.state_dict()) == ["scale", "steps", "linear.weight", "linear.bias"]


def test_load_state_dict_writes_buffers_and_checks_them():
    m = WithBuffers()
    state = m.state_dict()
    state["scale"] = np.array([3.0, 4.0])
    state["steps"] = np.array(7)
    m.load_state_dict(state)
    np.testing.assert_array_equal(m.scale.numpy(), [3.0, 4.0])
    assert m.scale.dtype == mg.float32 and int(m.steps.item()) == 7
    state["scale"] = np.zeros(3)
    with pytest.raises(RuntimeError, match="shape mismatch for 'scale'"):
        m.load_state_dict(state)
    with pytest.raises(RuntimeError, match="missing key.*'steps'"):
        m.load_state_dict({k: v for k, v in m.state_dict().items() if k != "steps"})


def test_to_moves_buffers_and_casts_only_float_ones():
    m = WithBuffers().to(mg.float64)
    assert m.scale.dtype == mg.float64 and m.cache.dtype == mg.float64
    assert m.steps.dtype == mg.int64
    m.to("strict")
    assert {b.device for b in m.buffers()} == {"strict"}


def test_assigning_a_tensor_replaces_the_buffer():
    m = WithBuffers()
    m.scale = mg.full((2,), 5.0)
    assert [n for n, _ in m.named_buffers()][0] == "scale"
    np.testing.assert_array_equal(m.state_dict()["scale"], [5.0, 5.0])
    del m.scale
    assert "scale" not in m.state_dict()


def test_register_buffer_rejects_bad_input():
    m = WithBuffers()
    with pytest.raises(TypeError, match="expected a Tensor"):
        m.register_buffer("x", np.zeros(2))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("linear", mg.zeros(2))
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", mg.zeros(2))
