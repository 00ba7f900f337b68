"""RNN, GRU, LSTM and their cells against PyTorch 2.x: the same weights (copied through the
state_dict) give the same outputs, final states and gradients, for every layout PyTorch accepts
(time-major default, batch_first, unbatched), stacked layers, both directions, with or without
biases and an initial state. Everything in float64 so that the tolerances are tight."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

torch = pytest.importorskip("torch")

KINDS = ["RNN", "RNN_relu", "GRU", "LSTM"]


def _pair(kind, *args, **kwargs):
    """(ours, theirs) with the same architecture, PyTorch's weights copied into ours."""
    if kind == "RNN_relu":
        kind, kwargs = "RNN", dict(kwargs, nonlinearity="relu")
    theirs = getattr(torch.nn, kind)(*args, **kwargs, dtype=torch.float64)
    ours = getattr(nn, kind)(*args, **kwargs, dtype=mg.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    return ours, theirs


def _leaf_pair(array):
    return mg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _close(ours, theirs, what):
    np.testing.assert_allclose(
        ours.numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-11, err_msg=what
    )


def _compare(ours, theirs, outputs, outputs_t, leaves):
    """Same outputs; then the same gradients of a loss that uses every output."""
    flat, flat_t = [outputs[0]], [outputs_t[0]]
    state, state_t = outputs[1], outputs_t[1]
    if isinstance(state, tuple):
        flat, flat_t = flat + list(state), flat_t + list(state_t)
    else:
        flat, flat_t = flat + [state], flat_t + [state_t]
    for k, (a, b) in enumerate(zip(flat, flat_t)):
        assert a.shape == tuple(b.shape), k
        _close(a, b, f"output {k}")
    weights = [np.cos(np.arange(b.numel())).reshape(b.shape) for b in flat_t]
    mg.stack([(a * mg.tensor(w)).sum() for a, w in zip(flat, weights)]).sum().backward()
    torch.stack([(b * torch.tensor(w)).sum() for b, w in zip(flat_t, weights)]).sum().backward()
    for k, (a, b) in enumerate(leaves):
        _close(a.grad, b.grad, f"gradient of input {k}")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, theirs_params[name].grad, f"gradient of {name}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "num_layers, bidirectional, batch_first, bias, with_hx",
    [
        (1, False, False, True, False),
        (2, False, False, True, True),
        (1, True, False, True, True),
        (2, True, True, False, False),
        (3, True, True, True, True),
    ],
)
def test_sequence_layers_match_pytorch(kind, num_layers, bidirectional, batch_first, bias, with_hx):
    T, N, n_in, H = 5, 3, 4, 3
    ours, theirs = _pair(
        kind, n_in, H, num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional
    )
    r = np.random.default_rng(0)
    x, x_t = _leaf_pair(r.standard_normal((N, T, n_in) if batch_first else (T, N, n_in)))
    leaves = [(x, x_t)]
    hx = hx_t = None
    if with_hx:
        shape = (num_layers * (2 if bidirectional else 1), N, H)
        states = [_leaf_pair(r.standard_normal(shape)) for _ in range(2 if kind == "LSTM" else 1)]
        leaves += states
        if kind == "LSTM":
            hx, hx_t = (states[0][0], states[1][0]), (states[0][1], states[1][1])
        else:
            hx, hx_t = states[0]
    _compare(ours, theirs, ours(x, hx), theirs(x_t, hx_t), leaves)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_matches_pytorch(kind, batch_first):
    ours, theirs = _pair(kind, 2, 3, 2, batch_first=batch_first, bidirectional=True)
    r = np.random.default_rng(1)
    x, x_t = _leaf_pair(r.standard_normal((6, 2)))  # (T, input_size) whatever batch_first is
    h, h_t = _leaf_pair(r.standard_normal((4, 3)))  # (num_layers * 2, H)
    if kind == "LSTM":
        c, c_t = _leaf_pair(r.standard_normal((4, 3)))
        _compare(ours, theirs, ours(x, (h, c)), theirs(x_t, (h_t, c_t)), [(x, x_t), (h, h_t)])
    else:
        _compare(ours, theirs, ours(x, h), theirs(x_t, h_t), [(x, x_t), (h, h_t)])


def test_default_layout_is_time_major_as_pytorch():
    lstm = nn.LSTM(3, 5)
    assert lstm.batch_first is False
    out, (h, c) = lstm(mg.zeros(7, 2, 3))  # (T, N, input_size)
    assert out.shape == (7, 2, 5) and h.shape == (1, 2, 5) and c.shape == (1, 2, 5)
    out, h = nn.GRU(3, 5, batch_first=True, bidirectional=True)(mg.zeros(2, 7, 3))
    assert out.shape == (2, 7, 10) and h.shape == (2, 2, 5)


def test_dropout_between_layers_only_in_training():
    gru = nn.GRU(2, 3, num_layers=2, dropout=0.5)
    x = mg.randn(4, 2, 2)
    gru.eval()
    a, _ = gru(x)
    b, _ = gru(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    gru.train()
    c, _ = gru(x)
    assert not np.allclose(a.numpy(), c.numpy())


@pytest.mark.parametrize("kind", ["RNNCell", "RNNCell_relu", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize(
    "batched, with_hx, bias",
    [(True, False, True), (True, True, False), (False, True, True), (False, False, True)],
)
def test_cells_match_pytorch(kind, batched, with_hx, bias):
    kwargs = {"bias": bias}
    if kind == "RNNCell_relu":
        kind, kwargs = "RNNCell", dict(kwargs, nonlinearity="relu")
    theirs = getattr(torch.nn, kind)(3, 4, **kwargs, dtype=torch.float64)
    ours = getattr(nn, kind)(3, 4, **kwargs, dtype=mg.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    r = np.random.default_rng(2)
    lead = (5,) if batched else ()
    x, x_t = _leaf_pair(r.standard_normal(lead + (3,)))
    leaves = [(x, x_t)]
    hx = hx_t = None
    if with_hx:
        states = [_leaf_pair(r.standard_normal(lead + (4,))) for _ in range(2)]
        leaves += states if kind == "LSTMCell" else states[:1]
        if kind == "LSTMCell":
            hx, hx_t = (states[0][0], states[1][0]), (states[0][1], states[1][1])
        else:
            hx, hx_t = states[0]
    out, out_t = ours(x, hx), theirs(x_t, hx_t)
    if kind == "LSTMCell":
        out, out_t = (out[0], out[1]), (out_t[0], out_t[1])
    else:
        out, out_t = (out, out), (out_t, out_t)  # h' as output and as state
    _compare(ours, theirs, out, out_t, leaves)


def test_init_is_uniform_within_one_over_sqrt_hidden():
    for layer in (nn.GRU(64, 64), nn.RNN(64, 64, bidirectional=True), nn.GRUCell(64, 64)):
        values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
        bound = 1.0 / np.sqrt(64)
        assert np.abs(values).max() <= bound
        assert abs(values.var() / (bound**2 / 3) - 1.0) < 0.05, type(layer).__name__


@pytest.mark.parametrize(
    "build",
    [
        lambda m: m.RNN(2, 3),
        lambda m: m.RNN(2, 3, 2, nonlinearity="relu", bias=False, batch_first=True),
        lambda m: m.GRU(2, 3, dropout=0.25, bidirectional=True),
        lambda m: m.LSTM(2, 3, num_layers=2, batch_first=True, dropout=0.5, bias=False),
        lambda m: m.RNNCell(2, 3),
        lambda m: m.RNNCell(2, 3, bias=False, nonlinearity="relu"),
        lambda m: m.GRUCell(2, 3),
        lambda m: m.LSTMCell(2, 3, bias=False),
    ],
)
def test_repr_and_parameter_names_as_pytorch(build):
    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]


def test_constructor_arguments_and_defaults_as_pytorch():
    import inspect

    for kind in ("RNNCell", "GRUCell", "LSTMCell"):
        ours = inspect.signature(getattr(nn, kind))
        theirs = inspect.signature(getattr(torch.nn, kind))
        assert [(p.name, p.default) for p in ours.parameters.values()] == [
            (p.name, p.default) for p in theirs.parameters.values()
        ], kind
    # RNN, GRU and LSTM take *args in PyTorch; their documented order and defaults:
    documented = {
        "RNN": ["input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
                "dropout", "bidirectional", "device", "dtype"],
        "GRU": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                "bidirectional", "device", "dtype"],
        "LSTM": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                 "bidirectional", "proj_size", "device", "dtype"],
    }  # fmt: skip
    defaults = dict(num_layers=1, nonlinearity="tanh", bias=True, batch_first=False, dropout=0.0,
                    bidirectional=False, proj_size=0, device=None, dtype=None)  # fmt: skip
    for kind, names in documented.items():
        params = inspect.signature(getattr(nn, kind)).parameters
        assert list(params) == names, kind
        for name in names[2:]:
            assert params[name].default == defaults[name], (kind, name)
    # Positional arguments mean the same: RNN's 4th is the nonlinearity.
    assert nn.RNN(2, 3, 1, "relu").nonlinearity == torch.nn.RNN(2, 3, 1, "relu").nonlinearity


def test_errors_name_the_problem():
    gru = nn.GRU(3, 2, num_layers=2)
    with pytest.raises(ValueError, match=r"GRU\(3, 2, num_layers=2\): expected input of shape "
                       r"\(T, N, input_size\).*input_size=3, got \(4, 5, 2\)"):  # fmt: skip
        gru(mg.zeros(4, 5, 2))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 5, 2\), got \(1, 5, 2\)"):
        gru(mg.zeros(4, 5, 3), mg.zeros(1, 5, 2))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(1, 5, 2\), got \(1, 4, 2\)"):
        nn.LSTM(3, 2)(mg.zeros(4, 5, 3), (mg.zeros(1, 5, 2), mg.zeros(1, 4, 2)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        nn.LSTM(3, 2)(mg.zeros(4, 5, 3), mg.zeros(1, 5, 2))
    with pytest.raises(ValueError, match="sequence is empty"):
        gru(mg.zeros(0, 5, 3))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        nn.RNN(3, 2, nonlinearity="sigmoid")
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 2, proj_size=1)
    with pytest.raises(ValueError, match="dropout must be a number between 0 and 1"):
        nn.GRU(3, 2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1, got 0"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match=r"GRUCell\(3, 2\): expected input of shape \(N, 3\)"):
        nn.GRUCell(3, 2)(mg.zeros(4, 2))
    with pytest.raises(ValueError, match=r"expected h of shape \(4, 2\), got \(4, 3\)"):
        nn.RNNCell(3, 2)(mg.zeros(4, 3), mg.zeros(4, 3))


def test_flatten_parameters_is_accepted():
    lstm = nn.LSTM(2, 3)
    assert lstm.flatten_parameters() is None


def test_runs_on_other_devices_and_agrees_with_cpu(other_device):
    results = []
    for d in ("cpu", other_device):
        mg.manual_seed(0)
        gru = nn.GRU(2, 3, num_layers=2, bidirectional=True).to(d)
        x = mg.randn(4, 2, 2).to(d)
        out, h = gru(x)
        assert out.device == d and out.dtype == mg.float32
        (out.sum() + h.sum()).backward()
        results.append([out.numpy()] + [p.grad.numpy() for p in gru.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
