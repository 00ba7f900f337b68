"""LSTMCell and LSTM: a NumPy LSTM written from the gate equations, gradient property tests over
random sequence lengths, PyTorch cross-checks, and errors."""

import math

import numpy as np
import pytest
from helpers_nn import grad_of, leaf, module_gradcheck, rng, seeds, set_params
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step_np(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step from the equations, gate order i, f, g, o (PyTorch's layout)."""
    H = h.shape[-1]
    gates = x @ w_ih.T + h @ w_hh.T + b_ih + b_hh
    i, f = _sigmoid(gates[:, :H]), _sigmoid(gates[:, H : 2 * H])
    g, o = np.tanh(gates[:, 2 * H : 3 * H]), _sigmoid(gates[:, 3 * H :])
    c = f * c + i * g
    return o * np.tanh(c), c


def lstm_np(x, h0, c0, params, num_layers):
    """x: (N, T, in); h0, c0: (L, N, H); params: name -> array. Returns output, h_n, c_n."""
    layer_input = x
    h_n, c_n = [], []
    for k in range(num_layers):
        h, c = h0[k], c0[k]
        outputs = []
        for t in range(x.shape[1]):
            h, c = lstm_step_np(
                layer_input[:, t],
                h,
                c,
                params[f"weight_ih_l{k}"],
                params[f"weight_hh_l{k}"],
                params.get(f"bias_ih_l{k}", 0.0),
                params.get(f"bias_hh_l{k}", 0.0),
            )
            outputs.append(h)
        layer_input = np.stack(outputs, axis=1)
        h_n.append(h)
        c_n.append(c)
    return layer_input, np.stack(h_n), np.stack(c_n)


def _random_params(module, r):
    arrays = {name: r.uniform(-0.8, 0.8, size=p.shape) for name, p in module.named_parameters()}
    set_params(module, arrays)
    return arrays


# ----------------------------------------------------------------------------------------------
# LSTMCell
# ----------------------------------------------------------------------------------------------


@given(
    n=st.integers(1, 3),
    n_in=st.integers(1, 3),
    hidden=st.integers(1, 3),
    bias=st.booleans(),
    with_state=st.booleans(),
    seed=seeds,
)
def test_lstm_cell_forward_and_gradients(n, n_in, hidden, bias, with_state, seed):
    r = rng(seed)
    cell = nn.LSTMCell(n_in, hidden, bias=bias, dtype=mg.float64)
    p = _random_params(cell, r)
    x = r.standard_normal((n, n_in))
    h, c = r.standard_normal((2, n, hidden)) if with_state else np.zeros((2, n, hidden))
    h1, c1 = cell(leaf(x), (leaf(h), leaf(c)) if with_state else None)
    h_exp, c_exp = lstm_step_np(
        x, h, c, p["weight_ih"], p["weight_hh"], p.get("bias_ih", 0.0), p.get("bias_hh", 0.0)
    )
    np.testing.assert_allclose(h1.numpy(), h_exp, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c1.numpy(), c_exp, rtol=1e-12, atol=1e-14)
    inputs = (leaf(x), (leaf(h), leaf(c))) if with_state else (leaf(x),)
    if with_state:  # the state tensors are checked too
        assert module_gradcheck(_CellWithState(cell), (leaf(x), leaf(h), leaf(c)))
    else:
        assert module_gradcheck(cell, inputs)


class _CellWithState(nn.Module):
    """(x, h, c) -> (h', c'): lets gradcheck see h and c as separate inputs."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, h, c):
        return self.cell(x, (h, c))


def test_lstm_cell_unbatched():
    cell = nn.LSTMCell(2, 3)
    h, c = cell(mg.randn(2))
    assert h.shape == (3,) and c.shape == (3,)


# ----------------------------------------------------------------------------------------------
# LSTM
# ----------------------------------------------------------------------------------------------


@given(
    n=st.integers(1, 2),
    seq_len=st.integers(1, 4),
    n_in=st.integers(1, 3),
    hidden=st.integers(1, 2),
    layers=st.integers(1, 2),
    bias=st.booleans(),
    batch_first=st.booleans(),
    with_state=st.booleans(),
    seed=seeds,
)
def test_lstm_forward_and_gradients(
    n, seq_len, n_in, hidden, layers, bias, batch_first, with_state, seed
):
    r = rng(seed)
    lstm = nn.LSTM(
        n_in, hidden, num_layers=layers, bias=bias, batch_first=batch_first, dtype=mg.float64
    )
    params = _random_params(lstm, r)
    x = r.standard_normal((n, seq_len, n_in))  # (N, T, in)
    h0 = r.standard_normal((layers, n, hidden)) if with_state else np.zeros((layers, n, hidden))
    c0 = r.standard_normal((layers, n, hidden)) if with_state else np.zeros((layers, n, hidden))
    x_in = x if batch_first else x.transpose(1, 0, 2)
    hx = (leaf(h0), leaf(c0)) if with_state else None
    out, (h_n, c_n) = lstm(leaf(x_in), hx)
    out_exp, h_exp, c_exp = lstm_np(x, h0, c0, params, layers)
    if not batch_first:
        out_exp = out_exp.transpose(1, 0, 2)
    np.testing.assert_allclose(out.numpy(), out_exp, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.numpy(), h_exp, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_n.numpy(), c_exp, rtol=1e-12, atol=1e-14)

    def all_outputs(result):
        output, (h, c) = result
        return output, h, c

    if with_state:
        assert module_gradcheck(
            _LSTMWithState(lstm), (leaf(x_in), leaf(h0), leaf(c0)), output=all_outputs
        )
    else:
        assert module_gradcheck(lstm, (leaf(x_in),), output=all_outputs)


class _LSTMWithState(nn.Module):
    def __init__(self, lstm):
        super().__init__()
        self.lstm = lstm

    def forward(self, x, h0, c0):
        return self.lstm(x, (h0, c0))


def test_lstm_unbatched_input():
    lstm = nn.LSTM(3, 2, num_layers=2)
    out, (h, c) = lstm(mg.randn(5, 3))
    assert out.shape == (5, 2) and h.shape == (2, 2) and c.shape == (2, 2)
    batched, (hb, _) = lstm(mg.tensor(np.zeros((5, 1, 3), dtype=np.float32)))  # (T, N=1, in)
    unbatched, (hu, _) = lstm(mg.zeros(5, 3))
    np.testing.assert_array_equal(unbatched.numpy(), batched.numpy()[:, 0])
    np.testing.assert_array_equal(hu.numpy(), hb.numpy()[:, 0])


def test_lstm_init_is_uniform_within_one_over_sqrt_hidden():
    lstm = nn.LSTM(64, 64)
    bound = 1.0 / math.sqrt(64)
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert all(p.dtype == mg.float32 for p in lstm.parameters())
    assert np.abs(values).max() <= bound
    assert abs(values.var() / (bound**2 / 3) - 1.0) < 0.03  # 33280 draws


def test_lstm_dropout_only_in_training():
    lstm = nn.LSTM(2, 3, num_layers=2, dropout=0.5)
    x = mg.randn(2, 4, 2)
    lstm.eval()
    a, _ = lstm(x)
    b, _ = lstm(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    lstm.train()
    c, _ = lstm(x)
    assert not np.allclose(a.numpy(), c.numpy())


def test_lstm_errors():
    lstm = nn.LSTM(3, 2, num_layers=2)
    with pytest.raises(
        ValueError,
        match=r"expected input of shape \(T, N, input_size\).*"
        r"input_size=3, got \(4, 5, 2\)",
    ):
        lstm(mg.zeros(4, 5, 2))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 5, 2\), got \(1, 5, 2\)"):
        lstm(mg.zeros(4, 5, 3), (mg.zeros(1, 5, 2), mg.zeros(2, 5, 2)))
    with pytest.raises(ValueError, match="sequence is empty"):
        lstm(mg.zeros(0, 4, 3))
    with pytest.raises(
        ValueError,
        match=r"LSTMCell\(3, 2\): expected input of shape "
        r"\(N, 3\)",
    ):
        nn.LSTMCell(3, 2)(mg.zeros(4, 2))


@pytest.mark.parametrize("batch_first", [True, False])
def test_lstm_matches_pytorch(batch_first):
    torch = pytest.importorskip("torch")
    ours = nn.LSTM(3, 4, num_layers=2, batch_first=batch_first)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, batch_first=batch_first)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    r = rng(8)
    x = r.standard_normal((2, 5, 3) if batch_first else (5, 2, 3)).astype(np.float32)
    h0 = r.standard_normal((2, 2, 4)).astype(np.float32)
    c0 = r.standard_normal((2, 2, 4)).astype(np.float32)
    xm, xt = leaf(x), torch.tensor(x, requires_grad=True)
    out, (h, c) = ours(xm, (mg.tensor(h0), mg.tensor(c0)))
    out_t, (h_t, c_t) = theirs(xt, (torch.tensor(h0), torch.tensor(c0)))
    for a, b in [(out, out_t), (h, h_t), (c, c_t)]:
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out.sum() + (c * c).sum()).backward()
    (out_t.sum() + (c_t * c_t).sum()).backward()
    np.testing.assert_allclose(grad_of(xm), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            grad_of(p), theirs_params[name].grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name
        )


def test_lstm_cell_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LSTMCell(3, 2), torch.nn.LSTMCell(3, 2)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng(9).standard_normal((4, 3)).astype(np.float32)
    h, c = ours(mg.tensor(x))
    h_t, c_t = theirs(torch.tensor(x))
    np.testing.assert_allclose(h.numpy(), h_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), c_t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_lstm_runs_on_other_devices_and_agrees_with_cpu(other_device):
    results = []
    for d in ("cpu", other_device):
        mg.manual_seed(0)
        lstm = nn.LSTM(2, 3, num_layers=2).to(d)
        x = mg.randn(2, 4, 2).to(d)
        out, (h, c) = lstm(x)
        assert out.device == d and out.dtype == mg.float32
        (out.sum() + h.sum() + c.sum()).backward()
        results.append([out.numpy()] + [grad_of(p) for p in lstm.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-6)
