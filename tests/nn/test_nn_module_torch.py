"""Module's PyTorch API, each behaviour compared with torch.nn on the same architecture: the
walks (names, orders, prefixes, remove_duplicate), apply, requires_grad_, zero_grad, train/eval,
buffers, forward hooks and pre-hooks, load_state_dict's result, and assigning to a parameter."""

import inspect
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

torch = pytest.importorskip("torch")


def build(m):
    """A tree with a shared module, a shared Parameter, buffers (one non-persistent), a None
    child and a bias=False layer: every case the walks must order and deduplicate."""

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            shared = m.Linear(2, 2)
            self.enc = m.Sequential(m.Linear(3, 2), m.ReLU(), shared)
            self.dec = m.ModuleDict({"a": shared, "b": m.Linear(2, 1, bias=False)})
            self.norm = m.BatchNorm1d(2)
            self.register_buffer("steps", torch.zeros(1) if m is torch.nn else mg.zeros(1))
            self.register_buffer("cache", torch.ones(2) if m is torch.nn else mg.ones(2), False)
            self.nothing = None
            self.scale = m.Parameter(torch.ones(1) if m is torch.nn else mg.ones(1))
            self.tied = m.Linear(3, 2)
            self.tied.weight = self.enc[0].weight  # weight tying

    return Net()


@pytest.mark.parametrize(
    "walk",
    [
        lambda model: [n for n, _ in model.named_modules()],
        lambda model: [n for n, _ in model.named_modules(remove_duplicate=False)],
        lambda model: [n for n, _ in model.named_modules(prefix="model")],
        lambda model: [n for n, _ in model.named_children()],
        lambda model: [type(c).__name__ for c in model.children()],
        lambda model: [type(c).__name__ for c in model.modules()],
        lambda model: [n for n, _ in model.named_parameters()],
        lambda model: [n for n, _ in model.named_parameters(remove_duplicate=False)],
        lambda model: [n for n, _ in model.named_parameters(prefix="p", recurse=False)],
        lambda model: [tuple(p.shape) for p in model.parameters()],
        lambda model: [n for n, _ in model.named_buffers()],
        lambda model: [n for n, _ in model.named_buffers(recurse=False)],
        lambda model: [tuple(b.shape) for b in model.buffers()],
        lambda model: list(model.state_dict()),
        lambda model: list(model.dec.state_dict()),
    ],
)
def test_walks_give_pytorchs_names_and_order(walk):
    assert walk(build(nn)) == walk(build(torch.nn))


def test_signatures_and_defaults_as_pytorch():
    names = ["register_buffer", "apply", "named_modules", "named_parameters", "named_buffers",
             "parameters", "buffers", "modules", "children", "named_children", "requires_grad_",
             "zero_grad", "train", "eval"]  # fmt: skip
    for name in names:
        ours = inspect.signature(getattr(nn.Module, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.Module, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()
        ], name


def test_apply_visits_children_first_and_returns_self():
    visited = {}
    for m in (nn, torch.nn):
        model = m.Sequential(m.Linear(2, 2), m.Sequential(m.ReLU(), m.Tanh()))
        visited[m] = []
        assert model.apply(lambda module, m=m: visited[m].append(type(module).__name__)) is model
    assert (
        visited[nn] == visited[torch.nn] == ["Linear", "ReLU", "Tanh", "Sequential", "Sequential"]
    )


def test_apply_for_initialisation():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)
            nn.init.ones_(m.weight)

    model.apply(init_weights)
    np.testing.assert_array_equal(model(mg.ones(1, 2)).numpy(), [[6.0]])


def test_requires_grad_freezes_and_returns_self():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert model[0].requires_grad_(False) is model[0]
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    model(mg.ones(4, 2)).sum().backward()
    assert model[0].weight.grad is None and model[1].weight.grad is not None
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_zero_grad_sets_to_none_by_default_and_train_eval_return_self():
    model = nn.Linear(2, 1)
    model(mg.ones(1, 2)).sum().backward()
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None
    assert model.train() is model and model.training
    assert model.eval() is model and not model.training
    assert model.train(False) is model and not model.training


def test_buffers_persistence_and_to():
    model = build(nn)
    assert "steps" in model.state_dict() and "cache" not in model.state_dict()
    assert [n for n, _ in model.named_buffers()][:2] == ["steps", "cache"]  # own ones first
    model.to(mg.float64)
    assert model.cache.dtype == mg.float64 and model.steps.dtype == mg.float64
    assert model.norm.num_batches_tracked.dtype == mg.int64  # integer buffers keep their dtype
    # A PyTorch state_dict (persistent buffers included) loads as it is.
    theirs = build(torch.nn)
    result = build(nn).load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_load_state_dict_returns_pytorchs_named_tuple():
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    for a, b in [
        (ours.load_state_dict(ours.state_dict()), theirs.load_state_dict(theirs.state_dict())),
        (
            ours.load_state_dict({"weight": np.zeros((3, 2)), "x": np.ones(1)}, strict=False),
            theirs.load_state_dict({"weight": torch.zeros(3, 2), "x": torch.ones(1)}, strict=False),
        ),
    ]:
        assert (a.missing_keys, a.unexpected_keys) == (b.missing_keys, b.unexpected_keys)
        assert tuple(a) == tuple(b) and a._fields == b._fields
    assert repr(ours.load_state_dict(ours.state_dict())) == "<All keys matched successfully>"
    missing, unexpected = ours.load_state_dict({"bias": np.ones(3)}, strict=False)
    assert (missing, unexpected) == (["weight"], [])
    np.testing.assert_array_equal(ours.bias.numpy(), np.ones(3))


def test_load_state_dict_takes_pytorch_tensors_directly():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-7
    )


def test_assigning_a_plain_tensor_to_a_parameter_is_refused_as_in_pytorch():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        layer.weight = mg.zeros(3, 2)
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 3).weight = torch.zeros(3, 2)
    layer.bias = None  # allowed in both: the slot stays, empty
    assert "bias" not in layer.state_dict() and layer.bias is None
    layer.bias = nn.Parameter(mg.ones(3))
    assert list(layer.state_dict()) == ["weight", "bias"]


# ----------------------------------------------------------------------------------------------
# Forward hooks
# ----------------------------------------------------------------------------------------------


def _hook_trace(m, make_input):
    """What hooks see and do, in the same calls for both libraries."""
    model = m.Sequential(m.Linear(2, 2), m.ReLU())
    seen = []
    h1 = model[0].register_forward_pre_hook(lambda mod, args: seen.append(("pre", len(args))))
    h2 = model[0].register_forward_hook(
        lambda mod, args, out: seen.append(("post", tuple(out.shape)))
    )
    model[1].register_forward_hook(lambda mod, args, out: out * 0 + 7)  # replaces the output
    model[1].register_forward_pre_hook(lambda mod, args: args[0] * 0 - 1)  # replaces the input
    first = model(make_input())
    h1.remove()
    h2.remove()
    model(make_input())
    return seen, np.asarray(first.tolist())


def test_forward_hooks_see_and_replace_as_in_pytorch():
    ours = _hook_trace(nn, lambda: mg.ones(3, 2))
    theirs = _hook_trace(torch.nn, lambda: torch.ones(3, 2))
    assert ours[0] == theirs[0] == [("pre", 1), ("post", (3, 2))]
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_array_equal(ours[1], np.full((3, 2), 7.0))


def test_forward_hook_order_prepend_and_context_manager():
    layer = nn.Identity()
    order = []
    layer.register_forward_hook(lambda m, a, o: order.append("first"))
    layer.register_forward_hook(lambda m, a, o: order.append("before"), prepend=True)
    with layer.register_forward_pre_hook(lambda m, a: order.append("pre")):
        layer(mg.ones(1))
    layer(mg.ones(1))
    assert order == ["pre", "before", "first", "before", "first"]


def test_forward_hook_records_activations_and_gradients_flow():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    acts = {}
    model[1].register_forward_hook(lambda m, args, out: acts.update(tanh=out))
    model(mg.ones(4, 2)).sum().backward()
    assert acts["tanh"].shape == (4, 3) and acts["tanh"].grad_fn is not None
    assert model[0].weight.grad is not None


def test_hook_must_be_callable():
    with pytest.raises(TypeError, match="the hook must be callable, got int"):
        nn.Linear(2, 2).register_forward_hook(3)


def test_hooks_survive_deepcopy_and_state_dict_ignores_them():
    import copy

    layer = nn.Linear(2, 2)
    calls = []
    layer.register_forward_hook(lambda m, a, o: calls.append(1))
    clone = copy.deepcopy(layer)
    clone(mg.ones(1, 2))
    assert calls == [1] and list(layer.state_dict()) == ["weight", "bias"]


def test_sequential_from_ordered_dict_state_dict_loads_into_pytorch():
    def make(m):
        return m.Sequential(OrderedDict(fc=m.Linear(2, 3), act=m.ReLU(), out=m.Linear(3, 1)))

    ours, theirs = make(nn), make(torch.nn)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.ones((2, 2), dtype=np.float32)
    np.testing.assert_allclose(
        ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6
    )
