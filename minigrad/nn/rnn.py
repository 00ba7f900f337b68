"""Recurrent layers with PyTorch's names, arguments, parameter layout and gate order, so that a
PyTorch state_dict loads: RNN, GRU, LSTM (whole sequences) and RNNCell, GRUCell, LSTMCell (one
step). S1 and S3 (the documents' text models) are Embedding -> LSTM -> Linear.

One step of each, for a batch x: (N, input_size) and a state h: (N, H). The gates' weights are
stacked in one matrix per input, W_ih: (G·H, input_size) and W_hh: (G·H, H), in PyTorch's order:

  RNN (G = 1)    h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)              (or relu)

  GRU (G = 3: r, z, n; Cho et al. 2014, as PyTorch writes it)
                 r  = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)      reset gate
                 z  = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)      update gate
                 n  = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))   candidate (r scales the
                                                                    whole recurrent term)
                 h' = (1 - z) ⊙ n + z ⊙ h

  LSTM (G = 4: i, f, g, o; Hochreiter & Schmidhuber 1997), with a second state c
                 gates = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh      (N, 4H), cut into four (N, H)
                 i = σ(gates_i)      input gate:  how much new content to write into the cell
                 f = σ(gates_f)      forget gate: how much of the old cell to keep
                 g = tanh(gates_g)   the new content
                 o = σ(gates_o)      output gate: how much of the cell to show
                 c' = f ⊙ c + i ⊙ g
                 h' = o ⊙ tanh(c')

The LSTM's cell state is updated by addition, not by repeated matrix products, which is why
gradients survive over many more steps than in a plain RNN. Every line is ordinary Tensor ops, so
the engine back-propagates through time on its own.

Layout (as PyTorch): input (T, N, input_size), or (N, T, input_size) with batch_first=True, or
unbatched (T, input_size). bidirectional=True runs a second pass from the last step to the first
(parameters "..._reverse") and concatenates the two passes' outputs: (T, N, 2H).
"""

import math

from minigrad.creation import zeros
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.routines import concat, stack
from minigrad.tensor import Tensor

# ----------------------------------------------------------------------------------------------
# One step of each cell. x_gates = x W_ihᵀ + b_ih is computed by the caller (for a whole
# sequence at once); the step adds the recurrent part h W_hhᵀ + b_hh.
# ----------------------------------------------------------------------------------------------


def _rnn_step(x_gates, h, w_hh, b_hh, nonlinearity):
    """x_gates: (N, H), h: (N, H) -> h' (N, H)."""
    pre = x_gates + F.linear(h, w_hh, b_hh)  # (N, H)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def _gru_step(x_gates, h, w_hh, b_hh):
    """x_gates: (N, 3H), h: (N, H) -> h' (N, H). Gate order r, z, n."""
    H = h.shape[-1]
    h_gates = F.linear(h, w_hh, b_hh)  # (N, 3H): the three h W_hᵀ + b_h blocks
    r = (x_gates[..., 0 * H : 1 * H] + h_gates[..., 0 * H : 1 * H]).sigmoid()  # (N, H)
    z = (x_gates[..., 1 * H : 2 * H] + h_gates[..., 1 * H : 2 * H]).sigmoid()  # (N, H)
    n = (x_gates[..., 2 * H : 3 * H] + r * h_gates[..., 2 * H : 3 * H]).tanh()  # (N, H)
    return (1 - z) * n + z * h


def _lstm_step(x_gates, state, w_hh, b_hh):
    """x_gates: (N, 4H), state (h, c): (N, H) each -> (h', c'). Gate order i, f, g, o."""
    h, c = state
    H = h.shape[-1]
    gates = x_gates + F.linear(h, w_hh, b_hh)  # (N, 4H)
    i = gates[..., 0 * H : 1 * H].sigmoid()
    f = gates[..., 1 * H : 2 * H].sigmoid()
    g = gates[..., 2 * H : 3 * H].tanh()
    o = gates[..., 3 * H : 4 * H].sigmoid()
    c_next = f * c + i * g
    h_next = o * c_next.tanh()
    return h_next, c_next


GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _step(mode, x_gates, state, w_hh, b_hh):
    """One step of the cell `mode`; state is h, or (h, c) for the LSTM."""
    if mode == "LSTM":
        return _lstm_step(x_gates, state, w_hh, b_hh)
    if mode == "GRU":
        return _gru_step(x_gates, state, w_hh, b_hh)
    return _rnn_step(x_gates, state, w_hh, b_hh, "tanh" if mode == "RNN_TANH" else "relu")


def _check_state(state, expected, name, who):
    if not isinstance(state, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(state).__name__}")
    if state.shape != expected:
        raise ValueError(f"{who}: expected {name} of shape {expected}, got {state.shape}")


def _check_size(value, name, who, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {value!r}")


def _init_uniform(module):
    # PyTorch: every weight and bias ~ U(-1/√H, 1/√H).
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
    for param in module.parameters():
        init.uniform_(param, -bound, bound)


# ----------------------------------------------------------------------------------------------
# Whole sequences: RNN, GRU, LSTM
# ----------------------------------------------------------------------------------------------


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the parameters, the loop over layers, directions and time
    steps, and the checks. `mode` ("RNN_TANH", "RNN_RELU", "GRU", "LSTM") picks the step."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        who = type(self).__name__
        _check_size(input_size, "input_size", who, minimum=0)
        _check_size(hidden_size, "hidden_size", who)
        _check_size(num_layers, "num_layers", who)
        if isinstance(dropout, bool) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{who}: dropout must be a number between 0 and 1, got {dropout!r}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        num_directions = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size

        def new_parameter(*shape):  # zeros for now: reset_parameters() draws the values
            return Parameter(zeros(*shape, dtype=dtype, device=device))

        # Registered in PyTorch's order: per layer, per direction, w_ih, w_hh, b_ih, b_hh.
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                # setattr with a computed name registers the Parameter under PyTorch's name.
                setattr(self, "weight_ih" + suffix, new_parameter(gate_size, layer_input_size))
                setattr(self, "weight_hh" + suffix, new_parameter(gate_size, hidden_size))
                if bias:
                    setattr(self, "bias_ih" + suffix, new_parameter(gate_size))
                    setattr(self, "bias_hh" + suffix, new_parameter(gate_size))
        self.reset_parameters()

    def reset_parameters(self):
        _init_uniform(self)

    def flatten_parameters(self):
        """Nothing to do: PyTorch packs the weights into one block for cuDNN; minigrad has no
        such block. Kept so that PyTorch code calling it runs unchanged."""

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        w_ih = getattr(self, "weight_ih" + suffix)
        w_hh = getattr(self, "weight_hh" + suffix)
        b_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
        b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        return w_ih, w_hh, b_ih, b_hh

    # -- checks -----------------------------------------------------------------------------

    def _time_major_input(self, input, who):
        """The input as (T, N, input_size), and whether it had a batch axis."""
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if not isinstance(input, Tensor):
            raise TypeError(f"{who}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: expected input of shape {layout} or (T, input_size) with "
                f"input_size={self.input_size}, got {input.shape}"
            )
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)  # (T, 1, input_size)
        elif self.batch_first:
            input = input.transpose(0, 1)  # (T, N, input_size): the loop runs over axis 0
        if input.shape[0] == 0:
            raise ValueError(f"{who}: the input sequence is empty (length 0)")
        return input, batched

    def _initial_states(self, hx, input, batched, who):
        """[h_0] (or [h_0, c_0] for the LSTM), each (num_layers·num_directions, N, H)."""
        num_states = 2 if self.mode == "LSTM" else 1
        names = ["h_0", "c_0"][:num_states]
        shape = (
            self.num_layers * (2 if self.bidirectional else 1),
            input.shape[1],
            self.hidden_size,
        )
        if hx is None:
            return [zeros(shape, dtype=input.dtype, device=input.device) for _ in names]
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{who}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
            states = list(hx)
        else:
            states = [hx]
        for k, name in enumerate(names):
            if batched:
                _check_state(states[k], shape, name, who)
            else:
                _check_state(states[k], (shape[0], shape[2]), name, who)
                states[k] = states[k].unsqueeze(1)  # (L·D, 1, H)
        return states

    # -- the loop -----------------------------------------------------------------------------

    def _run_direction(self, layer_input, state, weights, reverse):
        """One layer in one direction over all T steps; returns (outputs (T, N, H), last state)."""
        w_ih, w_hh, b_ih, b_hh = weights
        # The input part of the gates does not depend on h, so it is computed for all time
        # steps in one matrix product instead of T small ones.
        x_gates = F.linear(layer_input, w_ih, b_ih)  # (T, N, G·H)
        T = layer_input.shape[0]
        outputs = [None] * T
        for t in reversed(range(T)) if reverse else range(T):
            state = _step(self.mode, x_gates[t], state, w_hh, b_hh)  # h, or (h, c): (N, H)
            outputs[t] = state[0] if self.mode == "LSTM" else state
        return stack(outputs, axis=0), state

    def forward(self, input, hx=None):
        who = f"{type(self).__name__}({self.extra_repr()})"
        input, batched = self._time_major_input(input, who)  # (T, N, input_size)
        states = self._initial_states(hx, input, batched, who)  # each (L·D, N, H)
        num_directions = 2 if self.bidirectional else 1
        layer_input = input
        last_states = []  # one per (layer, direction), in h_n's order
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                state = (states[0][k], states[1][k]) if self.mode == "LSTM" else states[0][k]
                out, state = self._run_direction(
                    layer_input, state, self._weights(layer, direction), reverse=direction == 1
                )
                outputs.append(out)  # (T, N, H)
                last_states.append(state)
            layer_input = outputs[0] if num_directions == 1 else concat(outputs, axis=-1)
            if self.dropout > 0.0 and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
        return self._outputs(layer_input, last_states, batched)

    def _outputs(self, output, last_states, batched):
        """output (T, N, D·H) and the last states -> PyTorch's return value and layout."""
        if self.mode == "LSTM":
            h_n = stack([h for h, _ in last_states], axis=0)  # (L·D, N, H)
            c_n = stack([c for _, c in last_states], axis=0)
            finals = [h_n, c_n]
        else:
            finals = [stack(last_states, axis=0)]  # (L·D, N, H)
        if not batched:
            output = output.squeeze(1)  # (T, D·H)
            finals = [state.squeeze(1) for state in finals]  # (L·D, H)
        elif self.batch_first:
            output = output.transpose(0, 1)  # (N, T, D·H)
        if self.mode == "LSTM":
            return output, (finals[0], finals[1])
        return output, finals[0]

    def extra_repr(self):
        # PyTorch's: only the arguments that differ from their defaults (and, as PyTorch,
        # never the nonlinearity).
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


class RNN(RNNBase):
    """Elman RNN over whole sequences: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh).

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
        batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)
    forward(input, hx=None) -> (output, h_n):
        input (T, N, input_size) ((N, T, input_size) if batch_first) or (T, input_size)
        hx, h_n (num_layers·num_directions, N, H); zeros if hx is None
        output: the last layer's h at every step, (T, N, num_directions·H)
    Parameters weight_ih_l{k} (H, in), weight_hh_l{k} (H, H), bias_ih_l{k}, bias_hh_l{k} (H,).
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity


class GRU(RNNBase):
    """Gated recurrent unit over whole sequences (gate equations at the top of this file).

    GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, device=None, dtype=None)
    forward(input, hx=None) -> (output, h_n), shapes as RNN's.
    Parameters weight_ih_l{k} (3H, in), weight_hh_l{k} (3H, H), biases (3H,): gates r, z, n.
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )


class LSTM(RNNBase):
    """A multi-layer LSTM over whole sequences; layer k reads the hidden states of layer k-1.

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
         bidirectional=False, proj_size=0, device=None, dtype=None)
    forward(input, hx=None) -> output, (h_n, c_n):
        input (T, N, input_size) ((N, T, input_size) if batch_first) or (T, input_size)
        hx: optional (h_0, c_0), each (num_layers·num_directions, N, H); zeros if None
        output: the last layer's h at every step, (T, N, num_directions·H)
        h_n, c_n: every layer's state after the last step, (num_layers·num_directions, N, H)
    Parameters per layer k, named as in PyTorch: weight_ih_l{k} (4H, input of layer k),
    weight_hh_l{k} (4H, H), bias_ih_l{k} (4H,), bias_hh_l{k} (4H,): gates i, f, g, o.
    dropout: applied to every layer's output except the last, in training mode.
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        if proj_size != 0:
            raise NotImplementedError("LSTM: proj_size (LSTM with projections) is not supported")
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.proj_size = 0


# ----------------------------------------------------------------------------------------------
# One step: RNNCell, GRUCell, LSTMCell
# ----------------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """What the three cells share: parameters weight_ih (G·H, input_size), weight_hh (G·H, H),
    bias_ih, bias_hh (G·H,), and the checks of x (N, input_size) or (input_size,)."""

    def __init__(self, mode, input_size, hidden_size, bias, device, dtype):
        super().__init__()
        who = type(self).__name__
        _check_size(input_size, "input_size", who, minimum=0)
        _check_size(hidden_size, "hidden_size", who)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = GATES[mode] * hidden_size
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
        _init_uniform(self)

    def forward(self, input, hx=None):
        who = f"{type(self).__name__}({self.extra_repr()})"
        if not isinstance(input, Tensor):
            raise TypeError(f"{who}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {input.shape}"
            )
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)  # (1, input_size)
        state = self._initial_state(hx, input, batched, who)
        x_gates = F.linear(input, self.weight_ih, self.bias_ih)  # (N, G·H)
        state = _step(self.mode, x_gates, state, self.weight_hh, self.bias_hh)
        if self.mode == "LSTM":
            h, c = state
            return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
        return state if batched else state.squeeze(0)

    def _initial_state(self, hx, input, batched, who):
        shape = (input.shape[0], self.hidden_size)
        names = ["h", "c"] if self.mode == "LSTM" else ["h"]
        if hx is None:
            states = [zeros(shape, dtype=input.dtype, device=input.device) for _ in names]
        else:
            if self.mode == "LSTM" and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError(f"{who}: hx must be a tuple (h, c), got {type(hx).__name__}")
            states = list(hx) if self.mode == "LSTM" else [hx]
            for k, name in enumerate(names):
                _check_state(states[k], shape if batched else shape[1:], name, who)
                if not batched:
                    states[k] = states[k].unsqueeze(0)
        return tuple(states) if self.mode == "LSTM" else states[0]

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity=relu"  # PyTorch prints it without quotes
        return text


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu); returns h'.

    RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh', device=None, dtype=None)
    """

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity


class GRUCell(RNNCellBase):
    """One GRU step (equations at the top of this file): (x, h) -> h'. Gates r, z, n."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)


class LSTMCell(RNNCellBase):
    """One LSTM step: (x, (h, c)) -> (h', c'). Gates i, f, g, o.

    x: (N, input_size) or (input_size,);  h, c: (N, hidden_size) or (hidden_size,), zeros if
    hx is None. Parameters: weight_ih (4H, input_size), weight_hh (4H, H), bias_ih (4H,),
    bias_hh (4H,), all initialised U(-1/√H, 1/√H) as in PyTorch.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)
