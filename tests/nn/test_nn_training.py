"""End to end: the documents' small systems train with minigrad.nn (plain SGD written out, so
these tests do not depend on minigrad.optim)."""

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def _sgd_step(model, lr):
    for p in model.parameters():
        p.array = p.array - lr * p.grad.array
    model.zero_grad()


def test_mlp_learns_xor_with_bce_f7():
    """F7: y = σ(W₂ σ(W₁x + b₁) + b₂) trained with the binary cross-entropy of F3."""
    mg.manual_seed(0)
    x = mg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = mg.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    first = None
    for _ in range(500):
        loss = F.binary_cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        loss.backward()
        _sgd_step(model, 1.0)
    assert loss.item() < 0.1 * first
    predictions = (model(x).numpy() > 0.5).astype(np.float32)
    np.testing.assert_array_equal(predictions, y.numpy())


def test_embedding_lstm_linear_learns_next_token_s3():
    """S3: Embedding -> LSTM -> Linear with one output per vocabulary entry, cross-entropy over the
    vocabulary; the sequence 0 1 2 3 0 1 2 3 ... is learnt to predict its next token."""
    mg.manual_seed(1)
    vocab, seq = 4, np.array([[0, 1, 2, 3, 0, 1, 2, 3, 0]])

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, 8)
            self.lstm = nn.LSTM(8, 16, batch_first=True)  # tokens are (N, T)
            self.head = nn.Linear(16, vocab)

        def forward(self, tokens):
            out, _ = self.lstm(self.embed(tokens))  # (N, T, 16)
            return self.head(out)  # (N, T, vocab)

    model = Model()
    inputs, targets = mg.tensor(seq[:, :-1]), mg.tensor(seq[:, 1:])
    for _ in range(60):
        logits = model(inputs)  # (1, 8, vocab) -> cross_entropy wants (N, C, T)
        loss = F.cross_entropy(logits.transpose(1, 2), targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        _sgd_step(model, 0.5)
    assert loss.item() < 0.1
    np.testing.assert_array_equal(model(inputs).numpy().argmax(axis=-1), seq[:, 1:])
