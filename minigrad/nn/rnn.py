"""LSTMCell and LSTM (S1, S3: the documents' text models are Embedding -> LSTM -> Linear).

One LSTM step (Hochreiter & Schmidhuber 1997), with PyTorch's gate layout: the four gates'
weights are stacked in one matrix, in the order i, f, g, o.

    gates = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh      (N, 4H), cut into four (N, H) blocks:
    i = σ(gates[:, 0H:1H])       input gate:  how much new content to write into the cell
    f = σ(gates[:, 1H:2H])       forget gate: how much of the old cell to keep
    g = tanh(gates[:, 2H:3H])    the new content
    o = σ(gates[:, 3H:4H])       output gate: how much of the cell to show
    c' = f ⊙ c + i ⊙ g
    h' = o ⊙ tanh(c')

The cell state c is updated by addition, not by repeated matrix products, which is why gradients
survive over many more steps than in a plain RNN. Every line is ordinary Tensor ops, so the engine
back-propagates through time on its own.
"""

import math

from minigrad.creation import zeros
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.routines import stack
from minigrad.tensor import Tensor


def _lstm_update(gates, c):
    """gates: (N, 4H) pre-activations, c: (N, H) -> (h', c'), each (N, H)."""
    H = c.shape[-1]
    i = gates[..., 0 * H : 1 * H].sigmoid()
    f = gates[..., 1 * H : 2 * H].sigmoid()
    g = gates[..., 2 * H : 3 * H].tanh()
    o = gates[..., 3 * H : 4 * H].sigmoid()
    c_next = f * c + i * g
    h_next = o * c_next.tanh()
    return h_next, c_next


def _check_state(state, expected, name, who):
    if not isinstance(state, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(state).__name__}")
    if state.shape != expected:
        raise ValueError(f"{who}: expected {name} of shape {expected}, got {state.shape}")


class LSTMCell(Module):
    """One LSTM step: (x, (h, c)) -> (h', c').

    x: (N, input_size) or (input_size,);  h, c: (N, hidden_size) or (hidden_size,), zeros if
    hx is None. Parameters: weight_ih (4H, input_size), weight_hh (4H, H), bias_ih (4H,),
    bias_hh (4H,), all initialised U(-1/√H, 1/√H) as in PyTorch.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = 4 * hidden_size
        self.weight_ih = Parameter(zeros(gate_size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(zeros(gate_size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(zeros(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(zeros(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def forward(self, input, hx=None):
        who = f"LSTMCell({self.extra_repr()})"
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {input.shape}"
            )
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)  # (1, input_size)
        state_shape = (input.shape[0], self.hidden_size)
        if hx is None:
            h = zeros(state_shape, dtype=input.dtype, device=input.device)
            c = zeros(state_shape, dtype=input.dtype, device=input.device)
        else:
            h, c = hx
            if not batched:
                h, c = h.unsqueeze(0), c.unsqueeze(0)
            _check_state(h, state_shape, "h", who)
            _check_state(c, state_shape, "c", who)
        gates = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(
            h, self.weight_hh, self.bias_hh
        )
        h, c = _lstm_update(gates, c)  # (N, H) each
        if not batched:
            h, c = h.squeeze(0), c.squeeze(0)
        return h, c

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class LSTM(Module):
    """A multi-layer LSTM over whole sequences; layer k reads the hidden states of layer k-1.

    input: (N, T, input_size) with batch_first=True (minigrad's default; PyTorch's default is
    batch_first=False, (T, N, input_size)), or (T, input_size) unbatched.
    hx: optional (h_0, c_0), each (num_layers, N, H) (or (num_layers, H) unbatched); zeros if None.
    Returns output, (h_n, c_n):
        output: the last layer's h at every step, (N, T, H) (batch_first) or (T, N, H)
        h_n, c_n: every layer's state after the last step, (num_layers, N, H)
    Parameters per layer k, named as in PyTorch: weight_ih_l{k} (4H, input of layer k),
    weight_hh_l{k} (4H, H), bias_ih_l{k} (4H,), bias_hh_l{k} (4H,), initialised U(-1/√H, 1/√H).
    dropout: applied to every layer's output except the last, in training mode.
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=True,
        dropout=0.0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"LSTM: num_layers must be at least 1, got {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"LSTM: dropout must be between 0 and 1, got {dropout}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = dropout
        gate_size = 4 * hidden_size
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else hidden_size
            # setattr with a computed name registers the Parameter under PyTorch's name.
            setattr(
                self,
                f"weight_ih_l{layer}",
                Parameter(zeros(gate_size, layer_input_size, dtype=dtype, device=device)),
            )
            setattr(
                self,
                f"weight_hh_l{layer}",
                Parameter(zeros(gate_size, hidden_size, dtype=dtype, device=device)),
            )
            if bias:
                setattr(
                    self,
                    f"bias_ih_l{layer}",
                    Parameter(zeros(gate_size, dtype=dtype, device=device)),
                )
                setattr(
                    self,
                    f"bias_hh_l{layer}",
                    Parameter(zeros(gate_size, dtype=dtype, device=device)),
                )
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _layer_parameters(self, layer):
        w_ih = getattr(self, f"weight_ih_l{layer}")
        w_hh = getattr(self, f"weight_hh_l{layer}")
        b_ih = getattr(self, f"bias_ih_l{layer}") if self.bias else None
        b_hh = getattr(self, f"bias_hh_l{layer}") if self.bias else None
        return w_ih, w_hh, b_ih, b_hh

    def forward(self, input, hx=None):
        who = f"LSTM({self.extra_repr()})"
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: expected input of shape {layout} or (T, input_size) with "
                f"input_size={self.input_size}, got {input.shape}"
            )
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if not self.batch_first:
            input = input.transpose(0, 1)  # the loop below works on (N, T, input_size)
        N, T = input.shape[0], input.shape[1]
        if T == 0:
            raise ValueError(f"{who}: the input sequence is empty (length 0)")

        L, H = self.num_layers, self.hidden_size
        if hx is None:
            h0 = zeros(L, N, H, dtype=input.dtype, device=input.device)
            c0 = zeros(L, N, H, dtype=input.dtype, device=input.device)
        else:
            h0, c0 = hx
            if not batched:
                _check_state(h0, (L, H), "h_0", who)
                _check_state(c0, (L, H), "c_0", who)
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            _check_state(h0, (L, N, H), "h_0", who)
            _check_state(c0, (L, N, H), "c_0", who)

        layer_input = input  # (N, T, features)
        h_last, c_last = [], []
        for layer in range(L):
            w_ih, w_hh, b_ih, b_hh = self._layer_parameters(layer)
            # The input part of the gates does not depend on h, so it is computed for all time
            # steps in one matrix product instead of T small ones.
            x_gates = F.linear(layer_input, w_ih, b_ih)  # (N, T, 4H)
            h, c = h0[layer], c0[layer]  # (N, H)
            outputs = []
            for t in range(T):
                gates = x_gates[:, t] + F.linear(h, w_hh, b_hh)  # (N, 4H)
                h, c = _lstm_update(gates, c)
                outputs.append(h)
            layer_input = stack(outputs, axis=1)  # (N, T, H)
            if self.dropout > 0.0 and layer < L - 1:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
            h_last.append(h)
            c_last.append(c)

        output = layer_input
        h_n = stack(h_last, axis=0)  # (L, N, H)
        c_n = stack(c_last, axis=0)
        if not self.batch_first:
            output = output.transpose(0, 1)  # (T, N, H)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)  # (T, H)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)  # (L, H)
        return output, (h_n, c_n)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        text += f", batch_first={self.batch_first}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text
