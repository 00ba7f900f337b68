"""Bad input, everywhere: one catalogue of wrong calls and the error each must give.

Every row is (the call, the exception TYPE, a regex its message must match). The test also
checks that the error was raised by minigrad, not from inside NumPy: a student should read
"matmul: cannot multiply shapes (2, 3) and (2, 3)", never "operands could not be broadcast
together" from three frames deep in numpy/_core. Rows marked ENGINE are known gaps of the
engine (strict xfails): they show today's behaviour and turn into failures once fixed.
"""

import inspect
import json
import os
import pickle
import re
import traceback
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset, random_split

NUMPY_DIR = os.path.dirname(np.__file__)


def t23():
    return mg.ones(2, 3)


def t32():
    return mg.ones(3, 2)


def leaf(*shape):
    return mg.ones(*shape, requires_grad=True)


# ----------------------------------------------------------------------------------------------
# Helpers for rows that need a setup (files, models, anomaly mode)
# ----------------------------------------------------------------------------------------------


def _checkpoint(tmp):
    path = tmp / "ckpt.npz"
    mg.save({"model": nn.Linear(2, 3).state_dict(), "epoch": 3}, path)
    return path


def _rewritten(tmp, name, transform):
    """A copy of a valid checkpoint whose bytes went through `transform`."""
    data = _checkpoint(tmp).read_bytes()
    path = tmp / name
    path.write_bytes(transform(data))
    return path


def _corrupt(data):
    data = bytearray(data)
    middle = len(data) // 3
    data[middle : middle + 32] = bytes(32)
    return bytes(data)


def _with_header(tmp, header_bytes):
    """A zip/.npz archive with the given bytes as minigrad's header entry."""
    path = tmp / "header.npz"
    np.savez(path, __minigrad_header__=np.frombuffer(header_bytes, dtype=np.uint8))
    return path


def _pickle_file(tmp):
    path = tmp / "model.pt"
    path.write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    return path


def _plain_npz(tmp):
    path = tmp / "plain.npz"
    np.savez(path, weight=np.ones(3))
    return path


def _anomaly(call):
    def run(tmp):
        with mg.detect_anomaly():
            call()

    return run


def _backward_twice():
    x = leaf(2)
    loss = (x * x).sum()
    loss.backward()
    loss.backward()


def _load_state(state, model=None):
    model = model or nn.Linear(2, 3)
    return lambda tmp: model.load_state_dict(state)


def _in_place(op):
    def run(tmp):
        x = t23()
        op(x)

    return run


def _adam_state_with(buffer):
    model = nn.Linear(2, 3)
    optimizer = mg.optim.Adam(model.parameters())
    model(mg.ones(1, 2)).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    state["state"][0]["exp_avg"] = buffer
    return lambda tmp: mg.optim.Adam(model.parameters()).load_state_dict(state)


# ----------------------------------------------------------------------------------------------
# The catalogue
# ----------------------------------------------------------------------------------------------

SHAPES = r"\(2, 3\) and \(3, 2\)"
CATALOGUE = []


def bad(name, call, exc, pattern, engine=None):
    """One row. `call` takes the test's tmp_path (most ignore it)."""
    wants_tmp = "tmp" in inspect.signature(call).parameters
    wrapped = call if wants_tmp else (lambda tmp: call())
    marks = [pytest.mark.xfail(strict=True, reason=f"ENGINE: {engine}")] if engine else []
    CATALOGUE.append(pytest.param(wrapped, exc, pattern, id=name, marks=marks))


# --- shape mismatches in every binary op: the message names the op and both shapes ----------
for op, fn in {
    "add": lambda: t23() + t32(),
    "sub": lambda: t23() - t32(),
    "mul": lambda: t23() * t32(),
    "div": lambda: t23() / t32(),
    "pow": lambda: t23() ** t32(),
    "maximum": lambda: mg.maximum(t23(), t32()),
    "minimum": lambda: mg.minimum(t23(), t32()),
    "eq": lambda: t23() == t32(),
    "lt": lambda: t23() < t32(),
    "and": lambda: (t23() > 0) & (t32() > 0),
}.items():
    bad(f"shapes-{op}", fn, ValueError, rf"^{op}: shapes {SHAPES} cannot be broadcast")
bad(
    "shapes-add-reflected-array",
    lambda: np.ones((3, 2), np.float32) + t23(),
    ValueError,
    r"^add: shapes \(3, 2\) and \(2, 3\) cannot be broadcast",
)
bad(
    "shapes-where",
    lambda: mg.where(mg.ones(4, dtype=mg.bool), t23(), t23()),
    ValueError,
    r"^where: shapes \(4,\) and \(2, 3\)",
)
bad(
    "shapes-masked_fill",
    lambda: t23().masked_fill(mg.ones(4, dtype=mg.bool), 0.0),
    ValueError,
    r"^masked_fill: shapes \(2, 3\) and \(4,\)",
)
bad(
    "shapes-matmul",
    lambda: t23() @ t23(),
    ValueError,
    r"^matmul: cannot multiply shapes \(2, 3\) and \(2, 3\): the inner dimensions 3 and 2",
)
bad(
    "shapes-matmul-batch",
    lambda: mg.ones(2, 3, 4) @ mg.ones(3, 4, 5),
    ValueError,
    r"^matmul \(batch dimensions\): shapes \(2,\) and \(3,\)",
)
bad(
    "shapes-matmul-0d",
    lambda: mg.tensor(2.0) @ t23(),
    ValueError,
    r"^matmul: both operands need at least one dimension, got shapes \(\) and \(2, 3\)",
)
bad(
    "shapes-concat",
    lambda: mg.concat([t23(), t32()]),
    ValueError,
    rf"^concat: shapes {SHAPES} differ outside axis 0",
)
bad(
    "shapes-stack",
    lambda: mg.stack([t23(), t32()]),
    ValueError,
    rf"^stack: all tensors need the same shape, got {SHAPES}",
)
bad(
    "shapes-reshape",
    lambda: t23().reshape(4, 2),
    ValueError,
    r"^reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, 2\)",
)
bad(
    "shapes-broadcast_to",
    lambda: t23().broadcast_to((3, 3)),
    ValueError,
    r"^broadcast_to: shapes \(2, 3\) and \(3, 3\) cannot be broadcast",
)
bad(
    "shapes-permute",
    lambda: t23().permute(0, 0),
    ValueError,
    r"^permute: \(0, 0\) is not a permutation of the axes of shape \(2, 3\)",
)
bad(
    "shapes-backward-gradient",
    lambda: (leaf(2) * 2.0).backward(mg.ones(3)),
    ValueError,
    r"^backward: the gradient has shape \(3,\) but the output has shape \(2,\)",
)
bad(
    "shapes-in-place",
    _in_place(lambda x: x.__iadd__(t32())),
    ValueError,
    rf"^in-place \+=: shapes {SHAPES} cannot be broadcast together",
)
bad(
    "shapes-in-place-grows",
    _in_place(lambda x: x.__iadd__(mg.ones(4, 2, 3))),
    ValueError,
    r"^in-place \+=: .*\(2, 3\) and \(4, 2, 3\).*cannot change the tensor's shape \(2, 3\)",
)
bad(
    "shapes-item-assignment",
    _in_place(lambda x: x.__setitem__(0, mg.ones(4))),
    ValueError,
    r"^item assignment: shapes \(4,\) and \(3,\) cannot be broadcast together",
)
bad(
    "dtype-in-place-int-plus-float",
    _in_place(lambda x: mg.ones(3, dtype=mg.int64).__iadd__(mg.ones(3) * 0.5)),
    TypeError,
    r"^in-place \+=: the tensor is int64 and cannot hold the float result",
)

# --- layers ------------------------------------------------------------------------------------
bad(
    "Linear-in_features",
    lambda: nn.Linear(3, 2)(mg.ones(4, 5)),
    ValueError,
    r"^Linear\(in_features=3, out_features=2, bias=True\): expected input of shape "
    r"\(\.\.\., 3\), got \(4, 5\)",
)
bad(
    "Sequential-mismatch",
    lambda: nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1))(mg.ones(1, 2)),
    ValueError,
    r"^Linear\(in_features=4.*expected input of shape \(\.\.\., 4\)"
    r", got \(1, 3\)",
)
bad(
    "LayerNorm-shape",
    lambda: nn.LayerNorm(3)(mg.ones(4, 5)),
    ValueError,
    r"^layer_norm: expected input of shape \(\.\.\., 3\) .*got \(4, 5\)",
)
bad(
    "layer_norm-weight-shape",
    lambda: F.layer_norm(mg.ones(2, 3), (3,), mg.ones(4)),
    ValueError,
    r"^layer_norm: weight must have shape \(3,\), got \(4,\)",
)
bad(
    "Embedding-index-range",
    lambda: nn.Embedding(3, 2)(mg.tensor([0, 5])),
    IndexError,
    r"^embedding: index 5 is out of range; valid values are 0 to 2",
)
bad(
    "Embedding-negative-index",
    lambda: nn.Embedding(3, 2)(mg.tensor([-1])),
    IndexError,
    r"^embedding: index -1 is out of range",
)
bad(
    "Embedding-float-indices",
    lambda: nn.Embedding(3, 2)(mg.tensor([0.0, 1.0])),
    TypeError,
    r"^embedding: input must be integer indices \(int64\), got float32",
)
bad(
    "LSTM-input-size",
    lambda: nn.LSTM(3, 4)(mg.ones(2, 5, 2)),
    ValueError,
    r"^LSTM\(3, 4.*input_size=3, got \(2, 5, 2\)",
)
bad(
    "LSTMCell-state-shape",
    lambda: nn.LSTMCell(3, 4)(mg.ones(2, 3), (mg.ones(2, 5), mg.ones(2, 4))),
    ValueError,
    r"^LSTMCell\(3, 4.*expected h of shape \(2, 4\), got \(2, 5\)",
)
bad(
    "Dropout-p",
    lambda: nn.Dropout(1.5),
    ValueError,
    r"^Dropout: probability p must be between 0 and 1, got 1\.5",
)
bad(
    "dropout-p",
    lambda: F.dropout(mg.ones(2), -0.1),
    ValueError,
    r"^dropout: probability p must be between 0 and 1, got -0\.1",
)
bad(
    "MultiHeadAttention-width",
    lambda: nn.MultiHeadAttention(4, 2)(mg.ones(2, 3, 5)),
    ValueError,
    r"MultiHeadAttention\(.*\): expected query of shape "
    r"\(N, length, 4\).*got \(2, 3, 5\)",
)

# --- losses ------------------------------------------------------------------------------------
bad(
    "mse-shapes",
    lambda: F.mse_loss(t23(), t32()),
    ValueError,
    r"^mse_loss: input shape \(2, 3\) and target shape \(3, 2\) differ",
)
bad(
    "mse-broadcast-trap",
    lambda: F.mse_loss(mg.ones(4, 1), mg.ones(4)),
    ValueError,
    r"^mse_loss: input shape \(4, 1\) and target shape \(4,\) differ",
)
bad(
    "ce-class-out-of-range",
    lambda: F.cross_entropy(t23(), mg.tensor([0, 3])),
    IndexError,
    r"^cross_entropy: target class index 3 is out of range; valid values are 0 to 2",
)
bad(
    "ce-negative-class",
    lambda: F.cross_entropy(t23(), mg.tensor([0, -1])),
    IndexError,
    r"^cross_entropy: target class index -1 is out of range",
)
bad(
    "ce-float-class-indices",
    lambda: F.cross_entropy(t23(), mg.tensor([0.0, 1.0])),
    TypeError,
    r"^cross_entropy: target has shape \(2,\) like class indices but dtype float32;"
    r" class indices must be integers",
)
bad(
    "ce-bool-target",
    lambda: F.cross_entropy(t23(), mg.tensor([True, False])),
    TypeError,
    r"^cross_entropy: target must hold integer class indices or float probabilities, got bool",
)
bad(
    "ce-batch-size",
    lambda: F.cross_entropy(t23(), mg.tensor([0, 1, 2])),
    ValueError,
    r"^cross_entropy: batch sizes differ \(input 2, target 3\)",
)
bad(
    "ce-probabilities-shape",
    lambda: F.cross_entropy(t23(), mg.ones(2, 4)),
    ValueError,
    r"^cross_entropy: expected a target of class indices of shape \(2,\) or of class "
    r"probabilities of shape \(2, 3\), got \(2, 4\)",
)
bad(
    "ce-weight-shape",
    lambda: F.cross_entropy(t23(), mg.tensor([0, 1]), weight=mg.ones(2)),
    ValueError,
    r"^cross_entropy: weight must have one entry per class, shape \(3,\)",
)
bad(
    "ce-label-smoothing",
    lambda: F.cross_entropy(t23(), mg.tensor([0, 1]), label_smoothing=1.5),
    ValueError,
    r"^cross_entropy: label_smoothing must be between 0 and 1, got 1\.5",
)
bad(
    "ce-reduction",
    lambda: F.cross_entropy(t23(), mg.tensor([0, 1]), reduction="avg"),
    ValueError,
    r"^cross_entropy: reduction must be 'mean', 'sum' or 'none', got 'avg'",
)
bad(
    "ce-integer-logits",
    lambda: F.cross_entropy(mg.ones(2, 3, dtype=mg.int64), mg.tensor([0, 1])),
    TypeError,
    r"^cross_entropy: input must be a floating-point tensor, got int64",
)
bad(
    "ce-0d-input",
    lambda: F.cross_entropy(mg.tensor(1.0), mg.tensor(0)),
    ValueError,
    r"^cross_entropy: expected input of shape \(C,\), \(N, C\) or \(N, C, d1, \.\.\.\)",
)
bad(
    "nll-probability-target",
    lambda: F.nll_loss(t23(), t23()),
    TypeError,
    r"^nll_loss: target must hold integer class indices, got float32",
)
bad(
    "bce-not-probabilities",
    lambda: F.binary_cross_entropy(mg.tensor([1.5]), mg.tensor([1.0])),
    ValueError,
    r"^binary_cross_entropy: input must hold probabilities in \[0, 1\].*"
    r"binary_cross_entropy_with_logits",
)
bad(
    "bce-shapes",
    lambda: F.binary_cross_entropy(mg.tensor([0.5, 0.2]), mg.tensor([1.0])),
    ValueError,
    r"^binary_cross_entropy: target shape \(1,\) and input shape \(2,\) differ",
)
bad(
    "bce-logits-shapes",
    lambda: F.binary_cross_entropy_with_logits(t23(), t32()),
    ValueError,
    r"^binary_cross_entropy_with_logits: target shape \(3, 2\) and input shape "
    r"\(2, 3\) differ",
)
bad(
    "loss-dtype-mix",
    lambda: F.binary_cross_entropy_with_logits(t23(), mg.ones(2, 3, dtype=mg.float64)),
    TypeError,
    r"^binary_cross_entropy_with_logits: input is float32 but target is float64",
)

# --- indexing ----------------------------------------------------------------------------------
bad(
    "index-int",
    lambda: t23()[5],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): index 5 is out of bounds for axis 0 with size 2",
)
bad(
    "index-negative",
    lambda: t23()[-3],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): index -3 is out of bounds",
)
bad(
    "index-second-axis",
    lambda: t23()[0, 7],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): index 7 is out of bounds for axis 1 with size 3",
)
bad(
    "index-list",
    lambda: t23()[[0, 2]],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): index 2 is out of bounds for axis 0",
)
bad(
    "index-tensor",
    lambda: t23()[mg.tensor([4])],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): index 4 is out of bounds",
)
bad(
    "index-float",
    lambda: t23()[1.5],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): only"
    r" integers, slices",
)
bad(
    "index-float-list",
    lambda: t23()[[0.5]],
    IndexError,
    r"^indexing: index arrays must be integer or bool, not float64",
)
bad(
    "index-float-tensor",
    lambda: t23()[mg.tensor([0.0])],
    IndexError,
    r"^indexing: tensors used as indices must be integer or bool, not float32",
)
bad(
    "index-too-many",
    lambda: t23()[0, 0, 0],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): too many indices",
)
bad(
    "index-mask-shape",
    lambda: t23()[mg.tensor([True, False, True])],
    IndexError,
    r"^indexing a tensor of shape \(2, 3\): boolean index did not match",
)
bad(
    "index-assignment",
    _in_place(lambda x: x.__setitem__(5, 1.0)),
    IndexError,
    r"^item assignment into a tensor of shape \(2, 3\): index 5 is out of bounds for axis 0",
)
bad(
    "axis-out-of-range",
    lambda: t23().sum(axis=2),
    IndexError,
    r"^sum: axis 2 is out of range for a tensor with 2 dimension\(s\) \(shape \(2, 3\)\)",
)
bad("softmax-axis", lambda: t23().softmax(2), IndexError, r"^softmax: axis 2 is out of range")

# --- state dicts -------------------------------------------------------------------------------
bad(
    "state_dict-missing-key",
    _load_state({"weight": np.zeros((3, 2))}),
    RuntimeError,
    r"^load_state_dict for Linear: missing key\(s\): 'bias'",
)
bad(
    "state_dict-unexpected-key",
    _load_state({"weight": np.zeros((3, 2)), "bias": np.zeros(3), "scale": np.ones(1)}),
    RuntimeError,
    r"^load_state_dict for Linear: unexpected key\(s\): 'scale'",
)
bad(
    "state_dict-shape",
    _load_state({"weight": np.zeros((2, 3)), "bias": np.zeros(3)}),
    RuntimeError,
    r"^load_state_dict for Linear: shape mismatch for 'weight': the state_dict "
    r"has shape \(2, 3\), the model's parameter has shape \(3, 2\)",
)
bad(
    "state_dict-list-value",
    _load_state({"weight": [[0.0] * 2] * 3, "bias": np.zeros(3)}),
    TypeError,
    r"^load_state_dict for Linear: 'weight' must be an array or a Tensor, got list",
)
bad(
    "state_dict-strings",
    _load_state({"weight": np.full((3, 2), "a"), "bias": np.zeros(3)}),
    TypeError,
    r"^load_state_dict for Linear: 'weight' must hold real numbers.*<U1",
)
bad(
    "state_dict-complex",
    _load_state({"weight": np.zeros((3, 2), complex), "bias": np.zeros(3)}),
    TypeError,
    r"^load_state_dict for Linear: 'weight' must hold real numbers.*complex128",
)
bad(
    "state_dict-of-another-model",
    _load_state(nn.Linear(2, 4).state_dict()),
    RuntimeError,
    r"^load_state_dict for Linear: shape mismatch for 'weight'.*\(4, 2\).*\(3, 2\)",
)

# --- checkpoint files --------------------------------------------------------------------------
bad(
    "checkpoint-corrupt",
    lambda tmp: mg.load(_rewritten(tmp, "c.npz", _corrupt)),
    mg.CheckpointError,
    r"^cannot load '.*c\.npz': the file is corrupt or truncated",
)
bad(
    "checkpoint-truncated",
    lambda tmp: mg.load(_rewritten(tmp, "t.npz", lambda b: b[: len(b) // 2])),
    mg.CheckpointError,
    r"^cannot load '.*t\.npz': the file is corrupt or truncated",
)
bad(
    "checkpoint-truncated-to-4-bytes",
    lambda tmp: mg.load(_rewritten(tmp, "t4.npz", lambda b: b[:4])),
    mg.CheckpointError,
    r"^cannot load '.*t4\.npz': the file is corrupt or truncated",
)
bad(
    "checkpoint-empty",
    lambda tmp: mg.load(_rewritten(tmp, "e.npz", lambda b: b"")),
    mg.CheckpointError,
    r"^cannot load '.*e\.npz': the file is empty",
)
bad(
    "checkpoint-random-bytes",
    lambda tmp: mg.load(_rewritten(tmp, "r.npz", lambda b: bytes(range(256)))),
    mg.CheckpointError,
    r"^cannot load '.*r\.npz': it is not a minigrad checkpoint",
)
bad(
    "checkpoint-pickle",
    lambda tmp: mg.load(_pickle_file(tmp)),
    mg.CheckpointError,
    r"^cannot load '.*model\.pt': it looks like a Python pickle.*never loads pickles",
)
bad(
    "checkpoint-plain-npz",
    lambda tmp: mg.load(_plain_npz(tmp)),
    mg.CheckpointError,
    r"^cannot load '.*plain\.npz': it is a zip/\.npz archive but not a minigrad checkpoint",
)
bad(
    "checkpoint-damaged-header",
    lambda tmp: mg.load(_with_header(tmp, b"{not json")),
    mg.CheckpointError,
    r"^cannot load '.*header\.npz': its header is damaged",
)
bad(
    "checkpoint-newer-version",
    lambda tmp: mg.load(
        _with_header(
            tmp, json.dumps({"format": "minigrad-checkpoint", "version": 99, "tree": None}).encode()
        )
    ),
    mg.CheckpointError,
    r"written in checkpoint format version 99 by a newer minigrad",
)
bad(
    "checkpoint-missing-array",
    lambda tmp: mg.load(
        _with_header(
            tmp,
            json.dumps(
                {
                    "format": "minigrad-checkpoint",
                    "version": 1,
                    "tree": {"type": "array", "name": "a7"},
                }
            ).encode(),
        )
    ),
    mg.CheckpointError,
    r"the header refers to a missing array entry 'a7'",
)
bad(
    "checkpoint-missing-file",
    lambda tmp: mg.load(tmp / "nope.npz"),
    FileNotFoundError,
    r"No such file or directory: '.*nope\.npz'",
)
bad(
    "checkpoint-zip-of-something-else",
    lambda tmp: mg.load(_zip_without_npy(tmp)),
    mg.CheckpointError,
    r"^cannot load '.*other\.zip': it is a zip/\.npz archive but not a "
    r"minigrad checkpoint",
)
bad(
    "save-unsupported-object",
    lambda tmp: mg.save({"model": object()}, tmp / "x.npz"),
    TypeError,
    r"^minigrad\.save: cannot save obj\['model'\], a object",
)
bad(
    "save-tuple-key",
    lambda tmp: mg.save({(1, 2): 1}, tmp / "x.npz"),
    TypeError,
    r"^minigrad\.save: dict keys must be str or int",
)


def _zip_without_npy(tmp):
    path = tmp / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


# --- optimizers --------------------------------------------------------------------------------
def _params():
    return [leaf(2)]


for name, cls in {
    "SGD": mg.optim.SGD,
    "Adam": mg.optim.Adam,
    "AdamW": mg.optim.AdamW,
    "RMSprop": mg.optim.RMSprop,
}.items():
    bad(
        f"{name}-negative-lr",
        lambda cls=cls: cls(_params(), lr=-0.1),
        ValueError,
        r"^Invalid lr \(learning rate\): -0\.1; it must be >= 0",
    )
    bad(
        f"{name}-nan-lr",
        lambda cls=cls: cls(_params(), lr=float("nan")),
        ValueError,
        r"^Invalid lr \(learning rate\): nan",
    )
    bad(
        f"{name}-negative-weight-decay",
        lambda cls=cls: cls(_params(), weight_decay=-1),
        ValueError,
        r"^Invalid weight_decay value: -1\.0",
    )
for name, cls in {"Adam": mg.optim.Adam, "AdamW": mg.optim.AdamW}.items():
    bad(
        f"{name}-beta1-is-1",
        lambda cls=cls: cls(_params(), betas=(1.0, 0.9)),
        ValueError,
        r"^Invalid betas\[0\] \(beta1\): 1\.0; need 0 <= beta1 < 1",
    )
    bad(
        f"{name}-beta2-is-1",
        lambda cls=cls: cls(_params(), betas=(0.9, 1.0)),
        ValueError,
        r"^Invalid betas\[1\] \(beta2\): 1\.0; need 0 <= beta2 < 1",
    )
    bad(
        f"{name}-negative-beta",
        lambda cls=cls: cls(_params(), betas=(-0.1, 0.9)),
        ValueError,
        r"^Invalid betas\[0\] \(beta1\): -0\.1",
    )
    bad(
        f"{name}-betas-not-a-pair",
        lambda cls=cls: cls(_params(), betas=0.9),
        TypeError,
        r"^Invalid betas: 0\.9; it must be a pair of numbers \(beta1, beta2\)",
    )
    bad(
        f"{name}-betas-too-short",
        lambda cls=cls: cls(_params(), betas=(0.9,)),
        TypeError,
        r"^Invalid betas: \(0\.9,\); it must be a pair",
    )
    bad(
        f"{name}-group-betas",
        lambda cls=cls: cls([{"params": _params(), "betas": 0.5}]),
        TypeError,
        r"^Invalid betas: 0\.5",
    )
    bad(
        f"{name}-negative-eps",
        lambda cls=cls: cls(_params(), eps=-1e-8),
        ValueError,
        r"^Invalid eps value: -1e-08",
    )
bad(
    "SGD-negative-momentum",
    lambda: mg.optim.SGD(_params(), momentum=-0.9),
    ValueError,
    r"^Invalid momentum value: -0\.9",
)
bad(
    "SGD-nesterov-without-momentum",
    lambda: mg.optim.SGD(_params(), nesterov=True),
    ValueError,
    r"^nesterov=True requires momentum > 0 and dampening = 0",
)
bad(
    "SGD-group-negative-lr",
    lambda: mg.optim.SGD([{"params": _params(), "lr": -1}]),
    ValueError,
    r"^Invalid lr \(learning rate\): -1",
)
bad(
    "RMSprop-alpha",
    lambda: mg.optim.RMSprop(_params(), alpha=1.5),
    ValueError,
    r"^Invalid alpha value: 1\.5; need 0 <= alpha <= 1",
)
bad(
    "optimizer-single-tensor",
    lambda: mg.optim.SGD(leaf(2)),
    TypeError,
    r"^params should be an iterable of Tensors or dicts.*got a single Tensor",
)
bad(
    "optimizer-no-params",
    lambda: mg.optim.Adam([]),
    ValueError,
    r"^optimizer got an empty parameter list",
)
bad(
    "optimizer-non-leaf",
    lambda: mg.optim.SGD([leaf(2) * 2]),
    ValueError,
    r"^can't optimize a non-leaf Tensor",
)
bad(
    "optimizer-duplicate",
    lambda: (lambda p: mg.optim.SGD([p, p]))(leaf(2)),
    ValueError,
    r"^some parameters appear more than once",
)
bad(
    "optimizer-load-model-state",
    lambda: mg.optim.SGD(_params()).load_state_dict(nn.Linear(2, 2).state_dict()),
    ValueError,
    r"^load_state_dict: expected an optimizer state dict, a dict with 'state' and "
    r"'param_groups'.*got a dict with keys \['bias', 'weight'\]",
)
bad(
    "optimizer-load-buffer-shape",
    _adam_state_with(np.zeros(1, np.float32)),
    ValueError,
    r"^load_state_dict: state 'exp_avg' of parameter 0 has shape \(1,\), but the parameter "
    r"has shape \(3, 2\)",
)
bad(
    "scheduler-step-size",
    lambda: mg.optim.lr_scheduler.StepLR(mg.optim.SGD(_params(), lr=0.1), step_size=0),
    ValueError,
    r"^Invalid step_size: 0; it must be a positive int",
)
bad(
    "clip_grad_norm-negative",
    lambda: nn.utils.clip_grad_norm_([leaf(2)], -1.0),
    ValueError,
    r"^clip_grad_norm_: max_norm must be >= 0, got -1\.0",
)
bad(
    "clip_grad_value-negative",
    lambda: nn.utils.clip_grad_value_([leaf(2)], -0.5),
    ValueError,
    r"^clip_grad_value_: clip_value must be >= 0, got -0\.5",
)

# --- non-finite values under anomaly mode ------------------------------------------------------
bad(
    "anomaly-nan-input",
    _anomaly(lambda: mg.tensor([float("nan"), 1.0]).exp()),
    mg.AnomalyError,
    r"(?s)^anomaly in the forward pass: Exp produced 1 nan value\(s\) in its "
    r"output of shape \(2,\)\.\n.*already contains 1 nan",
)
bad(
    "anomaly-log-zero",
    _anomaly(lambda: mg.tensor([0.0, 1.0]).log()),
    mg.AnomalyError,
    r"^anomaly in the forward pass: Log produced 1 inf value\(s\).*\n  formula: y = ln x\.",
)
bad(
    "anomaly-inf-input",
    _anomaly(lambda: mg.tensor([float("inf")]) @ mg.tensor([0.0])),
    mg.AnomalyError,
    r"^anomaly in the forward pass: MatMul produced 1 nan",
)
bad(
    "anomaly-backward",
    _anomaly(lambda: (leaf(2) * 0.0).sqrt().sum().backward()),
    mg.AnomalyError,
    r"^anomaly in the backward pass: Sqrt\.backward produced 2 inf",
)

# --- autograd and tensors ----------------------------------------------------------------------
bad(
    "backward-non-scalar",
    lambda: (leaf(2) * 2.0).backward(),
    RuntimeError,
    r"^backward\(\) without a gradient works only for a scalar output, but this tensor has "
    r"shape \(2,\)",
)
bad(
    "backward-twice",
    _backward_twice,
    RuntimeError,
    r"backward through the graph a second time.*retain_graph=True",
)
bad(
    "backward-without-grad",
    lambda: mg.ones(2).sum().backward(),
    RuntimeError,
    r"^backward\(\) was called on a tensor that does not require grad",
)
bad(
    "backward-int-gradient",
    lambda: (leaf(2) * 2.0).backward(mg.tensor([1, 2])),
    TypeError,
    r"^backward: the gradient is int64 but the output is float32",
)
bad(
    "requires-grad-int",
    lambda: mg.tensor([1, 2], requires_grad=True),
    TypeError,
    r"^only floating-point tensors can require gradients, but this tensor is int64",
)
bad(
    "float-dtype-mix",
    lambda: mg.ones(2) + mg.ones(2, dtype=mg.float64),
    TypeError,
    r"^add: dtype mismatch, float32 and float64",
)
bad(
    "layer-dtype-mix",
    lambda: nn.Linear(2, 2)(mg.ones(1, 2, dtype=mg.float64)),
    TypeError,
    r"^matmul: dtype mismatch, float64 and float32",
)
bad(
    "item-of-many",
    lambda: t23().item(),
    ValueError,
    r"^item\(\): only one-element tensors convert to a number, not \(2, 3\)",
)
bad(
    "truth-value",
    lambda: bool(t23()),
    ValueError,
    r"^the truth value of a tensor with 6 elements is ambiguous",
)
bad(
    "in-place-on-leaf",
    lambda: leaf(2).__iadd__(1.0),
    RuntimeError,
    r"^in-place \+=: a leaf tensor that requires grad .* inside `with minigrad.no_grad\(\):`",
)
bad(
    "in-place-on-expand",
    lambda: (leaf(2) * 2.0).expand(3, 2).add_(1.0),
    RuntimeError,
    r"^add_: this tensor comes from expand\(\)/broadcast_to\(\)",
)
bad(
    "tensor-of-strings",
    lambda: mg.tensor(["a", "b"]),
    TypeError,
    r"^cannot make a tensor from list data \(NumPy kind 'U'\)",
)
bad(
    "tensor-ragged",
    lambda: mg.tensor([[1.0, 2.0], [3.0]]),
    ValueError,
    r"^tensor\(\): nested lists must be rectangular, but this one is ragged",
)
bad(
    "zeros-negative",
    lambda: mg.zeros(-1),
    ValueError,
    r"^a shape needs non-negative integer sizes, got \(-1,\)",
)
bad(
    "unknown-device",
    lambda: mg.ones(2, device="tpu"),
    ValueError,
    r"^unknown device 'tpu'; known devices are 'cpu', 'cuda', 'strict'",
)
bad(
    "unknown-dtype",
    lambda: mg.ones(2, dtype="complex64"),
    TypeError,
    r"^dtype complex64 is not supported",
)

# --- data and metrics --------------------------------------------------------------------------
bad(
    "DataLoader-batch-size",
    lambda: DataLoader([1, 2], batch_size=0),
    ValueError,
    r"^batch_size should be a positive integer, got 0",
)
bad(
    "TensorDataset-lengths",
    lambda: TensorDataset(mg.ones(3), mg.ones(4)),
    ValueError,
    r"^TensorDataset: all tensors must have the same length; got \(3,\), \(4,\)",
)
bad(
    "random_split-lengths",
    lambda: random_split(TensorDataset(mg.ones(3)), [1, 1]),
    ValueError,
    r"^random_split: lengths add up to 2, but the dataset has 3 samples",
)
bad(
    "metrics-lengths",
    lambda: mg.metrics.accuracy([0, 1], [0]),
    ValueError,
    r"^y_true has 2 labels but y_pred has 1",
)
bad(
    "metrics-probabilities",
    lambda: mg.metrics.f1_score([0, 1], [0.3, 0.7]),
    ValueError,
    r"^y_pred must hold class labels \(whole numbers\)",
)


@pytest.mark.parametrize("call, exc, pattern", CATALOGUE)
def test_bad_input_gives_a_clear_error(call, exc, pattern, tmp_path):
    """Each bad call raises exactly the expected exception type, with a message matching the
    row's pattern, from minigrad's own code (not from inside NumPy)."""
    with pytest.raises(Exception) as info:
        call(tmp_path)
    error = info.value
    assert type(error) is exc, f"{type(error).__name__}: {error}"
    assert re.search(pattern, str(error)), f"message was: {error}"
    innermost = traceback.extract_tb(info.tb)[-1].filename
    assert not innermost.startswith(NUMPY_DIR), f"raised inside NumPy ({innermost}): {error}"


def test_catalogue_is_large_and_unique():
    """The catalogue covers the ground the issue lists (and no id is used twice)."""
    ids = [param.id for param in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 120
