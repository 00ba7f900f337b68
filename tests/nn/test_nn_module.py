"""Module, Parameter and the containers: registration, names, modes, saving and loading, repr."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.out = nn.Linear(4, 2)
        self.note = "not a parameter"  # plain attributes are not registered
        self.sizes = [3, 4, 2]

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


# ----------------------------------------------------------------------------------------------
# Parameter
# ----------------------------------------------------------------------------------------------


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    assert isinstance(p, mg.Tensor)
    assert p.requires_grad and p.is_leaf
    assert p.dtype == mg.float32
    assert not nn.Parameter(mg.zeros(2), requires_grad=False).requires_grad


def test_parameter_copies_the_numbers_of_a_tensor():
    """An optimizer updates p.array in place; the tensor a Parameter was made from must not move."""
    source = mg.tensor([1.0, 2.0])
    p = nn.Parameter(source)
    p.array *= 3.0
    np.testing.assert_array_equal(source.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(p.numpy(), [3.0, 6.0])


def test_parameter_keeps_dtype_and_device():
    p = nn.Parameter(mg.zeros(2, dtype=mg.float64, device="strict"))
    assert p.dtype == mg.float64 and p.device == "strict"


def test_ops_on_parameters_give_plain_tensors():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    assert type(p * 2.0) is mg.Tensor


# ----------------------------------------------------------------------------------------------
# Registration and walking the tree
# ----------------------------------------------------------------------------------------------


def test_named_parameters_have_dotted_names_in_definition_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert [p.shape for p in model.parameters()] == [(4, 3), (4,), (2, 4), (2,)]


def test_children_and_modules():
    model = TwoLayer()
    assert [name for name, _ in model.named_children()] == ["hidden", "act", "out"]
    assert list(model.children()) == [model.hidden, model.act, model.out]
    assert [type(m).__name__ for m in model.modules()] == ["TwoLayer", "Linear", "ReLU", "Linear"]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "act", "out"]


def test_plain_attributes_are_not_registered_and_reassignment_replaces():
    model = TwoLayer()
    assert model.note == "not a parameter" and model.sizes == [3, 4, 2]
    model.out = None  # replacing a sub-module with a plain value unregisters it
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert model.out is None


def test_a_python_list_of_layers_is_invisible_but_a_module_list_is_not():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    class Good(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])

    assert list(Bad().parameters()) == []
    assert [n for n, _ in Good().named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]


def test_assigning_a_parameter_before_init_is_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(mg.zeros(2))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgot()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        nn.Module()(mg.zeros(1))


def test_shared_parameter_is_yielded_once_but_saved_under_both_names():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight  # weight tying
    model = nn.Sequential(a, b)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.bias"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert model.num_parameters() == 4 + 2 + 2


def test_register_parameter_none_and_bias_false():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


# ----------------------------------------------------------------------------------------------
# Modes and gradients
# ----------------------------------------------------------------------------------------------


def test_train_and_eval_reach_every_descendant():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not any(m.training for m in model.modules())


def test_zero_grad_sets_grads_to_none():
    model = TwoLayer()
    model(mg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ----------------------------------------------------------------------------------------------
# state_dict / load_state_dict
# ----------------------------------------------------------------------------------------------


def test_state_dict_holds_detached_tensors_sharing_memory_as_in_pytorch():
    model = nn.Linear(2, 2)
    state = model.state_dict()
    assert isinstance(state, OrderedDict) and list(state) == ["weight", "bias"]
    assert isinstance(state["weight"], mg.Tensor) and not state["weight"].requires_grad
    snapshot = copy.deepcopy(state)  # the PyTorch idiom for keeping the values of a moment
    before = state["weight"].numpy().copy()
    with mg.no_grad():
        model.weight += 1.0  # an in-place change, as an optimizer step makes
    np.testing.assert_array_equal(state["weight"].numpy(), before + 1.0)  # shared, as in torch
    np.testing.assert_array_equal(snapshot["weight"].numpy(), before)  # the copy kept its values


def test_state_dict_round_trip_gives_the_same_outputs(device):
    mg.manual_seed(1)
    source = TwoLayer().to(device)
    mg.manual_seed(2)
    target = TwoLayer().to(device)
    x = mg.randn(4, 3, device=device)
    assert not np.allclose(source(x).numpy(), target(x).numpy())
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())
    # The loaded arrays are the target's own: changing the source does not reach the target.
    source.out.bias.array += 1.0
    assert not np.allclose(source(x).numpy(), target(x).numpy())


def test_load_state_dict_casts_to_the_parameter_dtype():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": mg.tensor([0.5])})
    assert model.weight.dtype == mg.float32  # the float64 NumPy array did not sneak in
    np.testing.assert_array_equal(model.weight.numpy(), [[1.0, 2.0]])
    np.testing.assert_array_equal(model.bias.numpy(), [0.5])


def test_load_state_dict_missing_key_is_named():
    model = TwoLayer()
    state = model.state_dict()
    del state["out.bias"]
    with pytest.raises(RuntimeError, match=r"missing key\(s\): 'out.bias'"):
        model.load_state_dict(state)


def test_load_state_dict_unexpected_key_is_named():
    model = TwoLayer()
    state = model.state_dict()
    state["extra.weight"] = np.zeros((1,), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"unexpected key\(s\): 'extra.weight'"):
        model.load_state_dict(state)


def test_load_state_dict_shape_mismatch_names_key_and_both_shapes_and_changes_nothing():
    model = TwoLayer()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = {k: v + 1.0 for k, v in model.state_dict().items()}  # hidden.* would load fine
    state["out.weight"] = np.zeros((2, 5), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"'out.weight'.*\(2, 5\).*\(2, 4\)"):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_reports_keys():
    model = nn.Linear(2, 2)
    result = model.load_state_dict({"weight": np.ones((2, 2)), "other": np.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"]
    assert result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(model.weight.numpy(), np.ones((2, 2)))


# ----------------------------------------------------------------------------------------------
# to(device / dtype)
# ----------------------------------------------------------------------------------------------


def test_to_moves_and_casts_every_parameter():
    model = TwoLayer()
    expected = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    model.to("strict")
    assert all(p.device == "strict" and p.requires_grad for p in model.parameters())
    out = model(mg.randn(2, 3, device="strict"))
    assert out.device == "strict"
    model.to(mg.float64)
    assert all(p.dtype == mg.float64 and p.device == "strict" for p in model.parameters())
    model.to("cpu", mg.float32)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, expected[name])


# ----------------------------------------------------------------------------------------------
# Containers
# ----------------------------------------------------------------------------------------------


def test_sequential_applies_modules_in_order():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    model.load_state_dict(
        {"0.weight": np.array([[1.0, 0.0], [0.0, -1.0]]), "0.bias": np.array([0.5, 0.5])}
    )
    out = model(mg.tensor([[1.0, 2.0]]))
    np.testing.assert_allclose(out.numpy(), [[1.5, 0.0]])  # relu([1.5, -1.5])


def test_sequential_indexing_len_slicing_and_append():
    a, b, c = nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)
    model = nn.Sequential(a, b)
    model.append(c)
    assert len(model) == 3 and model[0] is a and model[-1] is c
    assert list(model) == [a, b, c]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]


def test_sequential_from_ordered_dict_uses_the_names():
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert model.fc is model[0]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="expected a Module, got function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


def test_module_dict():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.ReLU()
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    del heads["a"]
    assert list(heads.keys()) == ["b", "c"]


def test_module_list_setitem_and_slice():
    layers = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1)])
    replacement = nn.Linear(1, 2)
    layers[1] = replacement
    assert layers[1] is replacement and len(layers[:1]) == 1
    assert [p.shape for p in layers.parameters()] == [(1, 1), (1,), (2, 1), (2,)]


# ----------------------------------------------------------------------------------------------
# repr
# ----------------------------------------------------------------------------------------------


def test_repr_shows_the_tree_as_pytorch_prints_it():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1), nn.Sigmoid()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=1, bias=True)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")"
    )
    assert model.num_parameters() == 13  # the count PyTorch's repr does not show


REPR_BUILDERS = [
    lambda m: m.Linear(2, 3),
    lambda m: m.Linear(2, 3, bias=False),
    lambda m: m.Conv2d(3, 8, 3),
    lambda m: m.Conv2d(3, 8, 3, stride=2, padding=1),
    lambda m: m.Conv1d(3, 8, 3, padding=1, bias=False),
    lambda m: m.BatchNorm2d(8),
    lambda m: m.BatchNorm1d(8, affine=False),
    lambda m: m.MaxPool2d(2),
    lambda m: m.AvgPool2d(2),
    lambda m: m.AdaptiveAvgPool2d(1),
    lambda m: m.ReLU(),
    lambda m: m.GELU("tanh"),
    lambda m: m.Softmax(dim=-1),
    lambda m: m.LogSoftmax(dim=1),
    lambda m: m.Dropout(0.1),
    lambda m: m.Dropout2d(0.2),
    lambda m: m.Embedding(10, 3, padding_idx=0),
    lambda m: m.LayerNorm(4),
    lambda m: m.LayerNorm((2, 3), elementwise_affine=False),
    lambda m: m.Flatten(),
    lambda m: m.Identity(),
    lambda m: m.LSTM(2, 3),
    lambda m: m.LSTMCell(2, 3),
    lambda m: m.CrossEntropyLoss(),
    lambda m: m.Sequential(),
    lambda m: m.ModuleList(),
    lambda m: m.ModuleList([m.ReLU(), m.ReLU(), m.Tanh(), m.Linear(2, 2), m.Linear(2, 2)]),
    lambda m: m.ModuleDict({"enc": m.Linear(2, 2), "dec": m.ModuleList([m.Linear(2, 1)] * 3)}),
    lambda m: m.Sequential(
        OrderedDict(conv=m.Conv2d(1, 4, 3), bn=m.BatchNorm2d(4), act=m.ReLU(), flat=m.Flatten())
    ),
]


@pytest.mark.parametrize("build", REPR_BUILDERS)
def test_repr_of_layers_and_containers_as_pytorch(build):
    torch = pytest.importorskip("torch")
    assert repr(build(nn)) == repr(build(torch.nn))


def test_repr_of_a_custom_module_with_extra_repr_and_children():
    torch = pytest.importorskip("torch")

    def build(m):
        class Block(m.Module):
            def __init__(self):
                super().__init__()
                self.fc = m.Linear(2, 2)
                self.unused = None

            def extra_repr(self):
                return "scale=2\nshift=1"

        return Block()

    ours, theirs = repr(build(nn)), repr(build(torch.nn))
    assert ours == theirs


# ----------------------------------------------------------------------------------------------
# Parameter names match PyTorch's (so a state_dict's keys mean the same in both)
# ----------------------------------------------------------------------------------------------


def _builders():
    return {
        "linear": lambda m: m.Linear(3, 2),
        "linear_no_bias": lambda m: m.Linear(3, 2, bias=False),
        "lstm": lambda m: m.LSTM(3, 4, num_layers=2),
        "lstm_cell": lambda m: m.LSTMCell(3, 4),
        "sequential": lambda m: m.Sequential(
            m.Linear(2, 3),
            m.ReLU(),
            m.LayerNorm(3),
            m.Sequential(m.Embedding(5, 3), m.Linear(3, 1)),
        ),
        "module_dict": lambda m: m.ModuleDict(
            {"enc": m.Linear(2, 2), "dec": m.ModuleList([m.Linear(2, 1)])}
        ),
    }


EXPECTED_NAMES = {
    "linear": ["weight", "bias"],
    "linear_no_bias": ["weight"],
    "lstm": [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l1",
        "weight_hh_l1",
        "bias_ih_l1",
        "bias_hh_l1",
    ],
    "lstm_cell": ["weight_ih", "weight_hh", "bias_ih", "bias_hh"],
    "sequential": [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "3.0.weight",
        "3.1.weight",
        "3.1.bias",
    ],
    "module_dict": ["enc.weight", "enc.bias", "dec.0.weight", "dec.0.bias"],
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_NAMES))
def test_parameter_names(kind):
    model = _builders()[kind](nn)
    assert [n for n, _ in model.named_parameters()] == EXPECTED_NAMES[kind]


@pytest.mark.parametrize("kind", sorted(EXPECTED_NAMES))
def test_parameter_names_and_shapes_match_pytorch(kind):
    torch = pytest.importorskip("torch")
    ours = _builders()[kind](nn)
    theirs = _builders()[kind](torch.nn)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    # And a PyTorch state_dict loads into the minigrad model.
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, theirs.state_dict()[name].numpy())


def test_layers_can_be_built_on_a_device_and_in_a_dtype():
    layers = [
        nn.Linear(3, 2, device="strict", dtype=mg.float64),
        nn.Embedding(4, 2, padding_idx=1, device="strict", dtype=mg.float64),
        nn.LayerNorm(3, device="strict", dtype=mg.float64),
        nn.LSTM(2, 3, device="strict", dtype=mg.float64),
        nn.LSTMCell(2, 3, device="strict", dtype=mg.float64),
    ]
    for layer in layers:
        for name, p in layer.named_parameters():
            assert (p.device, p.dtype) == ("strict", mg.float64), name
    np.testing.assert_array_equal(layers[1].weight.numpy()[1], [0.0, 0.0])


def test_deepcopy_and_pickle_give_independent_equal_modules():
    import copy
    import pickle

    model = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3), nn.Linear(3, 1))
    x = mg.randn(4, 2)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in model.named_parameters()]
        assert all(isinstance(p, nn.Parameter) for p in clone.parameters())
        np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())
        clone[2].bias.array += 1.0
        assert not np.allclose(clone(x).numpy(), model(x).numpy())


def test_parameter_from_a_numpy_array_does_not_share_its_memory():
    array = np.array([1.0, 2.0])
    p = nn.Parameter(array)
    p.array -= 1.0
    np.testing.assert_array_equal(array, [1.0, 2.0])
    assert p.dtype == mg.float64  # NumPy arrays keep their dtype, as in minigrad.tensor


def test_zero_grad_set_to_none_false_gives_zeros():
    layer = nn.Linear(2, 1)
    layer(mg.ones(1, 2)).sum().backward()
    layer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.zeros((1, 2), dtype=np.float32))


def test_to_moves_parameters_in_place_keeping_shared_weights_and_optimizers():
    """Module.to changes each Parameter in place: a weight shared by two layers stays one
    Parameter, and an optimizer built before .to() still updates the model's weights."""
    import minigrad.optim as optim

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = nn.Linear(2, 2)
            self.b.weight = self.a.weight

    model = Tied()
    weight = model.a.weight
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert model.num_parameters() == 8  # the shared weight counts once
    model.double()
    assert model.a.weight is weight and model.b.weight is weight
    assert weight.dtype == mg.float64 and model.num_parameters() == 8
    before = weight.numpy().copy()
    model.b(mg.ones(1, 2, dtype=mg.float64)).sum().backward()
    opt.step()
    assert not np.array_equal(weight.numpy(), before)
    model.to("strict")
    assert model.a.weight is weight and weight.device == "strict"
