"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict: every operation done on
both minigrad's and PyTorch's container, then the names (parameters, state_dict) compared."""

from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

torch = pytest.importorskip("torch")


def _names(module):
    return [n for n, _ in module.named_parameters()], list(module.state_dict())


def _layers(m, n):
    return [m.Linear(i + 1, i + 2) for i in range(n)]


SEQUENTIAL_OPS = [
    lambda m, s: s.append(m.Linear(9, 9)),
    lambda m, s: s.insert(1, m.Linear(8, 8)),
    lambda m, s: s.insert(-1, m.Linear(8, 8)),
    lambda m, s: s.insert(4, m.Linear(8, 8)),
    lambda m, s: s.extend([m.Linear(7, 7), m.Linear(6, 6)]),
    lambda m, s: s.__delitem__(1),
    lambda m, s: s.__delitem__(slice(0, 2)),
    lambda m, s: s.__setitem__(-1, m.Linear(5, 5)),
    lambda m, s: s.pop(0),
]


@pytest.mark.parametrize("op", SEQUENTIAL_OPS)
def test_sequential_operations_as_pytorch(op):
    ours, theirs = nn.Sequential(*_layers(nn, 4)), torch.nn.Sequential(*_layers(torch.nn, 4))
    op(nn, ours)
    op(torch.nn, theirs)
    assert _names(ours) == _names(theirs)
    assert len(ours) == len(theirs)
    assert [tuple(m.weight.shape) for m in ours] == [tuple(m.weight.shape) for m in theirs]


def test_sequential_indexing_and_slicing_keep_names_as_pytorch():
    def make(m):
        return m.Sequential(OrderedDict(a=m.Linear(1, 2), b=m.ReLU(), c=m.Linear(2, 3)))

    ours, theirs = make(nn), make(torch.nn)
    for index in (slice(1, None), slice(None, None, 2), slice(-1, None)):
        assert _names(ours[index]) == _names(theirs[index])
        assert repr(ours[index]) == repr(theirs[index])
    assert ours[-1] is ours.c and ours[0] is ours.a
    assert ours[1:][0] is ours.b  # a slice holds the same modules
    with pytest.raises(IndexError, match="index 3 is out of range"):
        ours[3]
    with pytest.raises(IndexError):
        theirs[3]
    assert _names(ours + ours) == _names(theirs + theirs)


def test_sequential_forward_runs_in_order():
    model = nn.Sequential(OrderedDict(scale=nn.Linear(1, 1, bias=False), act=nn.ReLU()))
    nn.init.constant_(model.scale.weight, 2.0)
    np.testing.assert_array_equal(model(mg.tensor([[3.0], [-1.0]])).numpy(), [[6.0], [0.0]])


MODULE_LIST_OPS = [
    lambda m, s: s.append(m.Linear(9, 9)),
    lambda m, s: s.insert(1, m.Linear(8, 8)),
    lambda m, s: s.insert(0, m.Linear(8, 8)),
    lambda m, s: s.extend([m.Linear(7, 7)]),
    lambda m, s: s.__iadd__([m.Linear(7, 7)]),
    lambda m, s: s.__delitem__(0),
    lambda m, s: s.__delitem__(slice(1, 3)),
    lambda m, s: s.__setitem__(-2, m.Linear(5, 5)),
    lambda m, s: s.pop(1),
]


@pytest.mark.parametrize("op", MODULE_LIST_OPS)
def test_module_list_operations_as_pytorch(op):
    ours, theirs = nn.ModuleList(_layers(nn, 4)), torch.nn.ModuleList(_layers(torch.nn, 4))
    op(nn, ours)
    op(torch.nn, theirs)
    assert _names(ours) == _names(theirs)
    assert [tuple(m.weight.shape) for m in ours] == [tuple(m.weight.shape) for m in theirs]
    assert repr(ours) == repr(theirs)


def test_module_list_slices_renumber_as_pytorch():
    ours, theirs = nn.ModuleList(_layers(nn, 4)), torch.nn.ModuleList(_layers(torch.nn, 4))
    for index in (slice(1, 3), slice(None, None, -1), slice(2, None)):
        assert _names(ours[index]) == _names(theirs[index])
    assert ours[-1] is list(ours)[3]
    with pytest.raises(IndexError, match="index 4 is out of range"):
        ours[4]
    with pytest.raises(TypeError, match="expected a Module, got int"):
        ours.append(3)
    ours.insert(-1, nn.ReLU())  # as list.insert (PyTorch 2.13 raises KeyError: '-1' here)
    assert [type(m).__name__ for m in ours][-2:] == ["ReLU", "Linear"]


def test_module_dict_as_pytorch():
    def make(m):
        d = m.ModuleDict({"z": m.Linear(1, 2), "a": m.Linear(2, 3)})
        d["m"] = m.Linear(3, 4)
        d.update([("b", m.Linear(4, 5))])
        d.pop("a")
        return d

    ours, theirs = make(nn), make(torch.nn)
    assert _names(ours) == _names(theirs)
    assert list(ours.keys()) == list(theirs.keys()) and "m" in ours and "a" not in ours
    with pytest.raises(KeyError, match="ModuleDict has no key 'q'"):
        ours["q"]


def test_parameter_list_registers_under_pytorchs_names():
    def make(m, t):
        params = m.ParameterList([m.Parameter(t.ones(2)), t.zeros(3)])  # a Tensor is wrapped
        params.append(t.ones(1))
        params.extend([m.Parameter(t.ones(2, 2))])
        holder = m.Module()
        holder.scales = params
        return holder

    ours, theirs = make(nn, mg), make(torch.nn, torch)
    assert _names(ours) == _names(theirs) == (["scales.0", "scales.1", "scales.2", "scales.3"],) * 2
    assert all(isinstance(p, nn.Parameter) for p in ours.scales)
    assert len(ours.scales) == 4 and ours.scales[-1].shape == (2, 2)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours.scales) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [minigrad.float32 of size 2]\n"
        "    (1): Parameter containing: [minigrad.float32 of size 3]\n"
        "    (2): Parameter containing: [minigrad.float32 of size 1]\n"
        "    (3): Parameter containing: [minigrad.float32 of size 2x2]\n"
        ")"
    )  # PyTorch's text, with minigrad's dtype name


def test_parameter_dict_registers_under_pytorchs_names_and_order():
    def make(m, t):
        holder = m.Module()
        holder.gains = m.ParameterDict({"b": t.ones(2), "a": t.ones(3)})  # a dict: sorted
        holder.gains.update(OrderedDict(z=t.ones(1), c=t.ones(1)))  # an OrderedDict: in order
        holder.gains["y"] = m.Parameter(t.zeros(2))
        return holder

    ours, theirs = make(nn, mg), make(torch.nn, torch)
    assert _names(ours) == _names(theirs)
    assert list(ours.gains.keys()) == list(theirs.gains.keys())
    assert "y" in ours.gains and ours.gains.get("q") is None
    model_params = list(ours.parameters())
    assert len(model_params) == 5 and model_params[0] is ours.gains["a"]
    ours.gains.pop("z")
    assert "z" not in ours.state_dict()


def test_parameters_in_containers_are_trained():
    holder = nn.Module()
    holder.weights = nn.ParameterList([nn.Parameter(mg.ones(2))])
    optimizer = mg.optim.SGD(holder.parameters(), lr=0.5)
    (holder.weights[0] * 2).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(holder.weights[0].numpy(), [0.0, 0.0])
